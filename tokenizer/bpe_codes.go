package tokenizer

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EndOfWord is appended to the last character of every word before
// learning, so that word-final and word-internal subwords differ.
const EndOfWord = "</w>"

// Pair is one merge operation: wherever Left is followed by Right inside a
// word, the two symbols become the single symbol Left+Right.
type Pair struct{ Left, Right string }

// Codes is a list of merge operations in the order they were learned; a
// lower index means a higher priority when the codes are applied.
type Codes struct {
	// Version is the subword-nmt format: {0, 2} (the one learned here) puts
	// EndOfWord on the last character, {0, 1} made it a symbol of its own.
	Version [2]int
	Merges  []Pair
}

// LoadCodes reads a codes file written by this package or by subword-nmt.
func LoadCodes(path string) (*Codes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bpe codes: %w", err)
	}
	defer f.Close()
	return ReadCodes(f, path)
}

// ReadCodes parses codes from r; name identifies r in errors. Unlike
// subword-nmt, which silently takes a file without header for version 0.1,
// a missing header is an error: such a file is far more often the wrong
// file than an old one.
func ReadCodes(r io.Reader, name string) (*Codes, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("bpe codes %s: %w", name, err)
	}
	text := string(data)
	header, rest, _ := strings.Cut(text, "\n")
	c := &Codes{}
	if c.Version, err = parseVersion(header); err != nil {
		return nil, fmt.Errorf("bpe codes %s line 1: %w", name, err)
	}
	// Like subword-nmt, trailing newlines end the file but an empty line
	// inside it is malformed.
	rest = strings.TrimRight(rest, "\n")
	if rest == "" {
		return c, nil
	}
	for i, line := range strings.Split(rest, "\n") {
		p, err := parseMerge(line)
		if err != nil {
			return nil, fmt.Errorf("bpe codes %s line %d: %w", name, i+2, err)
		}
		c.Merges = append(c.Merges, p)
	}
	return c, nil
}

func parseVersion(line string) ([2]int, error) {
	v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "#version:")
	if !ok {
		return [2]int{}, fmt.Errorf("expected header \"#version: 0.2\", found %s", QuoteLine(line))
	}
	v = strings.TrimSpace(v)
	// subword-nmt ignores trailing ".0" groups: "0.2.0" is 0.2.
	for strings.HasSuffix(v, ".0") && strings.Count(v, ".") > 1 {
		v = strings.TrimSuffix(v, ".0")
	}
	major, minor, _ := strings.Cut(v, ".")
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || a != 0 || (b != 1 && b != 2) {
		return [2]int{}, fmt.Errorf("unsupported version %s, expected 0.1 or 0.2", QuoteLine(v))
	}
	return [2]int{a, b}, nil
}

func parseMerge(line string) (Pair, error) {
	if !utf8.ValidString(line) {
		return Pair{}, ErrInvalidUTF8
	}
	fields := strings.Split(strings.Trim(line, "\r\n "), " ")
	if len(fields) != 2 {
		return Pair{}, fmt.Errorf("expected two symbols separated by one space, found %s", QuoteLine(line))
	}
	return Pair{fields[0], fields[1]}, nil
}

// WriteTo writes c in the subword-nmt format: a version header, then one
// merge a line.
func (c *Codes) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	n, _ := fmt.Fprintf(bw, "#version: %d.%d\n", c.Version[0], c.Version[1])
	total := int64(n)
	for _, p := range c.Merges {
		n, _ := fmt.Fprintf(bw, "%s %s\n", p.Left, p.Right)
		total += int64(n)
	}
	return total, bw.Flush()
}

// Save writes c to path.
func (c *Codes) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bpe codes: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bpe codes %s: %w", path, err)
	}
	return f.Close()
}
