package tokenizer

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// batchLines is how many lines travel together to a worker: large enough
// that channel traffic is negligible, small enough to keep memory flat.
const batchLines = 2048

// ErrInvalidUTF8 is wrapped by every error about input that is not UTF-8.
var ErrInvalidUTF8 = errors.New("invalid UTF-8")

// Open opens a text file for reading, decompressing it when its name ends
// in ".gz", so that callers can hand corpora over by path alone.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := NewGzipReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return gzipFile{z, f}, nil
}

// GzipReader decompresses a gzip stream; a stream cut short reads as an
// error that says so (gzip's own is a bare "unexpected EOF").
type GzipReader struct {
	*gzip.Reader
}

// NewGzipReader is gzip.NewReader with errors that say what is wrong
// with the file named path: empty, not gzip at all, or cut short.
func NewGzipReader(r io.Reader, path string) (GzipReader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	z, err := gzip.NewReader(br)
	switch {
	case err == nil:
		return GzipReader{z}, nil
	case len(magic) == 0:
		return GzipReader{}, fmt.Errorf("%s: not a gzip file: it is empty", path)
	case len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b:
		return GzipReader{}, fmt.Errorf("%s: not a gzip file (its name ends in .gz, but it lacks gzip's header)", path)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return GzipReader{}, fmt.Errorf("%s: gzip file cut short (in its header)", path)
	}
	return GzipReader{}, fmt.Errorf("%s: %w", path, err)
}

// errGzipTruncated replaces gzip's bare "unexpected EOF".
var errGzipTruncated = errors.New("gzip data cut short (unexpected end of file)")

// Read implements io.Reader.
func (g GzipReader) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errGzipTruncated
	}
	return n, err
}

type gzipFile struct {
	GzipReader
	f *os.File
}

// Close closes the decompressor and the file beneath it.
func (g gzipFile) Close() error {
	err := g.GzipReader.Close()
	if ferr := g.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// batch is a run of consecutive input lines; first is the 1-based number of
// lines[0], kept so that errors found on a worker can still name the line.
type batch struct {
	first int
	lines []string
}

// readBatches splits r into lines that keep their "\n" (the last line may
// lack it) and sends them in batches until r ends or stop is set. A
// bufio.Reader is used instead of a Scanner because corpora do contain
// lines longer than any fixed token limit.
func readBatches(r io.Reader, out chan<- batch, stop *atomic.Bool) error {
	br := bufio.NewReaderSize(r, 1<<16)
	b := batch{first: 1}
	n := 0
	for !stop.Load() {
		line, err := br.ReadString('\n')
		if line != "" {
			n++
			b.lines = append(b.lines, line)
			if len(b.lines) == batchLines {
				out <- b
				b = batch{first: n + 1}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if len(b.lines) > 0 {
		out <- b
	}
	return nil
}

// LineError reports a problem with one line of an input text.
type LineError struct {
	Name string // the input, usually a file name
	Line int    // 1-based
	Err  error
}

// Error names the input and line: "train.en line 12: invalid UTF-8".
func (e *LineError) Error() string { return fmt.Sprintf("%s line %d: %v", e.Name, e.Line, e.Err) }

// Unwrap gives errors.Is access to the cause, such as ErrInvalidUTF8.
func (e *LineError) Unwrap() error { return e.Err }

// checkUTF8 names the first line of b that is not valid UTF-8.
func checkUTF8(name string, b batch) error {
	for i, l := range b.lines {
		if !utf8.ValidString(l) {
			return &LineError{name, b.first + i, ErrInvalidUTF8}
		}
	}
	return nil
}

func workerCount(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// LineFunc maps one input line, including its "\n" if it had one, to the
// text written for it.
type LineFunc func(line string) string

type lineResult struct {
	text []string
	err  error
}

type lineJob struct {
	b   batch
	out chan lineResult
}

// MapLines applies the function made by newFunc to every line of r on
// workers goroutines (0: one per CPU) and writes the results to w in input
// order. Each worker calls newFunc once, so a LineFunc may keep unshared
// state such as a cache. name is used in errors; input that is not UTF-8
// stops the run with an error naming the line.
func MapLines(r io.Reader, w io.Writer, name string, workers int, newFunc func() LineFunc) error {
	workers = workerCount(workers)
	var stop atomic.Bool
	jobs := make(chan lineJob, workers)
	// order holds each batch's result channel in input order, so that the
	// writer can wait for batches one by one while workers run ahead.
	order := make(chan chan lineResult, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runLineJobs(jobs, name, newFunc())
		}()
	}
	werr := make(chan error, 1)
	go func() { werr <- writeInOrder(w, order, &stop) }()
	rerr := feedLineJobs(r, jobs, order, &stop)
	wg.Wait()
	if err := <-werr; err != nil {
		return err
	}
	if rerr != nil {
		return fmt.Errorf("%s: %w", name, rerr)
	}
	return nil
}

func runLineJobs(jobs <-chan lineJob, name string, f LineFunc) {
	for j := range jobs {
		if err := checkUTF8(name, j.b); err != nil {
			j.out <- lineResult{err: err}
			continue
		}
		res := make([]string, len(j.b.lines))
		for i, l := range j.b.lines {
			res[i] = f(l)
		}
		j.out <- lineResult{text: res}
	}
}

// feedLineJobs reads r into jobs, queueing each job's result channel in
// order, and closes both when r ends or the writer asks to stop.
func feedLineJobs(r io.Reader, jobs chan<- lineJob, order chan<- chan lineResult, stop *atomic.Bool) error {
	batches := make(chan batch)
	rerr := make(chan error, 1)
	go func() {
		rerr <- readBatches(r, batches, stop)
		close(batches)
	}()
	for b := range batches {
		out := make(chan lineResult, 1)
		order <- out
		jobs <- lineJob{b, out}
	}
	close(jobs)
	close(order)
	return <-rerr
}

// writeInOrder writes results as they complete in input order. After the
// first error it only drains, so that no goroutine is left blocked.
func writeInOrder(w io.Writer, order <-chan chan lineResult, stop *atomic.Bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var err error
	for out := range order {
		res := <-out
		if err != nil {
			continue
		}
		if err = res.err; err == nil {
			err = writeAll(bw, res.text)
		}
		if err != nil {
			stop.Store(true)
		}
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func writeAll(w *bufio.Writer, text []string) error {
	for _, s := range text {
		if _, err := w.WriteString(s); err != nil {
			return err
		}
	}
	return nil
}

// isPyLineBreak reports the characters at which Python's str.splitlines
// ends a line. subword-nmt reads its files through codecs, whose readline
// splits there, so a word never spans one of them.
func isPyLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// hasPyLineBreak reports whether s holds a line break before its last
// byte; it looks at bytes because nearly every line takes this path.
func hasPyLineBreak(s string) bool {
	for i := 0; i < len(s)-1; i++ {
		switch s[i] {
		case '\r', '\v', '\f', 0x1c, 0x1d, 0x1e:
			return true
		case 0xc2: // U+0085
			if s[i+1] == 0x85 {
				return true
			}
		case 0xe2: // U+2028, U+2029
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
				return true
			}
		}
	}
	return false
}

// pyLines splits one "\n"-terminated line the way Python's
// str.splitlines(keepends=True) does, so that "\r\n" stays one break.
func pyLines(s string) []string {
	if !hasPyLineBreak(s) {
		return []string{s}
	}
	var out []string
	start := 0
	for i, r := range s {
		if !isPyLineBreak(r) {
			continue
		}
		end := i + utf8.RuneLen(r)
		if r == '\r' && end < len(s) && s[end] == '\n' {
			continue // the "\n" that follows ends this line
		}
		out = append(out, s[start:end])
		start = end
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// maxQuoted is how many characters of an input line an error message
// quotes, quotes and escapes included.
const maxQuoted = 72

// QuoteLine quotes s for an error message, cut (at a rune boundary) so
// that the quoted text stays within maxQuoted characters, with its full
// length noted: a garbage line of a megabyte does not become a megabyte
// of error.
func QuoteLine(s string) string {
	q := strconv.Quote(s)
	if len(q) <= maxQuoted {
		return q
	}
	cut := min(len(s), maxQuoted)
	for {
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if q = strconv.Quote(s[:cut]); len(q) <= maxQuoted || cut == 0 {
			break
		}
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", q, len(s))
}
