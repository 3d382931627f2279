package metrics

import (
	"errors"
	"fmt"
	"strings"
)

// errNoReference is returned for a segment whose references are all empty.
var errNoReference = errors.New("every reference is empty")

// LineCountError reports a reference stream whose length differs from the
// hypothesis stream's.
type LineCountError struct {
	Stream   int // 0-based index of the reference stream
	HypLines int
	RefLines int
}

// Error names both line counts and the stream.
func (e *LineCountError) Error() string {
	return fmt.Sprintf("hypotheses have %d lines but reference stream %d has %d lines",
		e.HypLines, e.Stream+1, e.RefLines)
}

// InvalidUTF8Error reports a line that is not valid UTF-8.
type InvalidUTF8Error struct {
	Source string // what held the line, e.g. "hypothesis"; may be empty
	Line   int    // 1-based line number; 0 when unknown
}

// Error reads like "hypothesis line 3: invalid UTF-8".
func (e *InvalidUTF8Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString("invalid UTF-8")
	return b.String()
}

// checkStreams verifies that every reference stream is as long as the
// hypothesis stream.
func checkStreams(nHyps int, refStreams [][]string) error {
	if len(refStreams) == 0 {
		return errors.New("no reference streams given")
	}
	for k, s := range refStreams {
		if len(s) != nHyps {
			return &LineCountError{Stream: k, HypLines: nHyps, RefLines: len(s)}
		}
	}
	return nil
}

// checkSegmentUTF8 validates one hypothesis and its references; line is
// the 1-based segment number, or 0 for a lone sentence.
func checkSegmentUTF8(line int, hyp string, refs []string) error {
	if !validUTF8(hyp) {
		return &InvalidUTF8Error{Source: "hypothesis", Line: line}
	}
	for k, r := range refs {
		if !validUTF8(r) {
			return &InvalidUTF8Error{Source: fmt.Sprintf("reference %d", k+1), Line: line}
		}
	}
	return nil
}
