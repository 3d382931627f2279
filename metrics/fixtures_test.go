package metrics

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/internal/sharedtest"
)

// fixtureRef is the reference all systems in expected.tsv are scored against.
const fixtureRef = "newstest2017-ende-ref.de"

// fixtureDir locates the shared BLEU fixtures: $ZOO_SHARED if set, else
// the shared directory next to the repository root. Tests that need the
// fixtures skip when they are absent; they are never copied into the repo.
func fixtureDir(tb testing.TB) string {
	tb.Helper()
	sharedtest.Path(tb, "fixtures/bleu/expected.tsv")
	return sharedtest.Path(tb, "fixtures/bleu")
}

// readFixture reads one fixture file as sacreBLEU's command line would.
func readFixture(tb testing.TB, name string) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(fixtureDir(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	lines, err := ReadLines(f)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return lines
}

// expectedRow is one system of expected.tsv.
type expectedRow struct {
	system         string
	bleu           float64
	counts, totals []int
	hypLen, refLen int
}

// readExpected parses expected.tsv: system, BLEU, four counts, four
// totals, hypothesis length, reference length; '#' starts a comment.
func readExpected(tb testing.TB) []expectedRow {
	tb.Helper()
	f, err := os.Open(filepath.Join(fixtureDir(tb), "expected.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, parseExpectedRow(tb, line))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(rows) == 0 {
		tb.Fatal("expected.tsv has no rows")
	}
	return rows
}

func parseExpectedRow(tb testing.TB, line string) expectedRow {
	tb.Helper()
	f := strings.Split(line, "\t")
	if len(f) != 6 {
		tb.Fatalf("expected.tsv: want 6 tab-separated fields, got %d in %q", len(f), line)
	}
	bleu, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		tb.Fatal(err)
	}
	return expectedRow{
		system: f[0], bleu: bleu,
		counts: atois(tb, strings.Fields(f[2])), totals: atois(tb, strings.Fields(f[3])),
		hypLen: atois(tb, f[4:5])[0], refLen: atois(tb, f[5:6])[0],
	}
}

func atois(tb testing.TB, ss []string) []int {
	tb.Helper()
	out := make([]int, len(ss))
	for i, s := range ss {
		n, err := strconv.Atoi(s)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = n
	}
	return out
}
