package metrics

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// ReadLines reads a text stream the way sacreBLEU's command line reads its
// files: lines end at "\n" only, a final line without a newline still
// counts, and each line loses its trailing whitespace (Python's rstrip,
// which also removes a "\r" of CRLF files). A line that is not valid
// UTF-8 yields an *InvalidUTF8Error with its 1-based number.
func ReadLines(r io.Reader) ([]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading lines: %w", err)
	}
	return SplitLines(data)
}

// SplitLines is ReadLines on a byte slice.
func SplitLines(data []byte) ([]string, error) {
	if len(data) == 0 {
		return nil, nil
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	raw := bytes.Split(data, []byte("\n"))
	lines := make([]string, len(raw))
	for i, l := range raw {
		if !utf8.Valid(l) {
			return nil, &InvalidUTF8Error{Line: i + 1}
		}
		lines[i] = pyRstrip(string(l))
	}
	return lines, nil
}
