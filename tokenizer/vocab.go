package tokenizer

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// Vocab maps each word of a corpus to the number of times it occurs; it is
// what BPE learning consumes. Adding several texts to one Vocab gives a
// joint vocabulary.
type Vocab map[string]int

// AddText counts the words of r into v, splitting lines on goroutines.
// Words are separated by single spaces exactly as subword-nmt separates
// them: a tab or a no-break space stays inside a word, and a line ends at
// "\n" and at every other break Python's str.splitlines knows. name is
// used in errors.
func (v Vocab) AddText(r io.Reader, name string) error {
	workers := workerCount(0)
	batches := make(chan batch, workers)
	var stop atomic.Bool
	rerr := make(chan error, 1)
	go func() {
		rerr <- readBatches(r, batches, &stop)
		close(batches)
	}()
	parts := make([]Vocab, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k], errs[k] = countBatches(batches, name, &stop)
		}()
	}
	wg.Wait()
	if err := firstLineError(errs); err != nil {
		return err
	}
	if err := <-rerr; err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range parts {
		for w, n := range p {
			v[w] += n
		}
	}
	return nil
}

// countBatches drains batches into a private map, so workers never lock.
func countBatches(batches <-chan batch, name string, stop *atomic.Bool) (Vocab, error) {
	local := Vocab{}
	var err error
	for b := range batches {
		if err != nil {
			continue // keep draining so the reader can finish
		}
		if err = checkUTF8(name, b); err != nil {
			stop.Store(true)
			continue
		}
		for _, line := range b.lines {
			for _, piece := range pyLines(line) {
				local.addLine(piece)
			}
		}
	}
	return local, err
}

func (v Vocab) addLine(line string) {
	line = strings.Trim(line, "\r\n ")
	for line != "" {
		word, rest, _ := strings.Cut(line, " ")
		if word != "" {
			v[word]++
		}
		line = rest
	}
}

// firstLineError picks, among the errors of several workers, the one found
// earliest in the input, so that the report does not depend on scheduling.
func firstLineError(errs []error) error {
	var first error
	firstLine := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		line := 0
		var le *LineError
		if errors.As(err, &le) {
			line = le.Line
		}
		if first == nil || line < firstLine {
			first, firstLine = err, line
		}
	}
	return first
}
