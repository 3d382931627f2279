package dataset

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Transform turns a source's bytes into the file's content.
type Transform string

const (
	// Copy keeps the bytes as they are.
	Copy Transform = ""
	// SGM extracts the segments of WMT's SGML-like test files, one a line,
	// the way sacreBLEU does: only lines starting with "<seg ", the text
	// between the tag and the last "</seg>", trimmed, runs of white space
	// collapsed to one space. Entities are left as they are (WMT's files
	// are not real SGML and sacreBLEU does not unescape them either).
	SGM Transform = "sgm"
	// Gunzip decompresses a .gz download.
	Gunzip Transform = "gunzip"
)

// apply copies src to dst through t.
func (t Transform) apply(dst io.Writer, src io.Reader) error {
	switch t {
	case Copy:
		_, err := io.Copy(dst, src)
		return err
	case Gunzip:
		z, err := gzip.NewReader(src)
		if err != nil {
			return fmt.Errorf("gunzip: %w", err)
		}
		defer z.Close()
		if _, err := io.Copy(dst, z); err != nil {
			return fmt.Errorf("gunzip: %w", err)
		}
		return nil
	case SGM:
		return sgmToText(dst, src)
	}
	return fmt.Errorf("unknown transform %q", string(t))
}

func sgmToText(dst io.Writer, src io.Reader) error {
	r := bufio.NewReaderSize(src, 1<<16)
	w := bufio.NewWriter(dst)
	for {
		line, err := r.ReadString('\n')
		if strings.HasPrefix(line, "<seg ") {
			if _, werr := w.WriteString(segText(line) + "\n"); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return w.Flush()
		}
		if err != nil {
			return fmt.Errorf("sgm: %w", err)
		}
	}
}

// segText is one segment's text. A line whose tag is not closed is kept
// whole, as sacreBLEU's substitution would leave it.
func segText(line string) string {
	line = strings.TrimRight(line, "\n")
	open := strings.IndexByte(line, '>')
	end := strings.LastIndex(line, "</seg>")
	if open >= 0 && end > open {
		line = line[open+1 : end]
	}
	return strings.Join(strings.FieldsFunc(line, isPySpace), " ")
}

// isPySpace is Python's str.isspace, which sacreBLEU's \s follows: Unicode
// white space plus the ASCII separators U+001C..U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }
