package tokenizer

import (
	"bufio"
	"testing"

	"github.com/zoo-nn/zoo/internal/sharedtest"
)

// sharedPath locates a file of the project's shared data: $ZOO_SHARED if
// set, else ../shared beside the repository root. Tests that need it skip
// when it is absent, so the package still tests on a bare checkout.
func sharedPath(tb testing.TB, rel string) string { return sharedtest.Path(tb, rel) }

// readLines returns the lines of a shared text file, gzipped or not,
// without their "\n".
func readLines(tb testing.TB, rel string) []string {
	tb.Helper()
	f, err := Open(sharedPath(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}
