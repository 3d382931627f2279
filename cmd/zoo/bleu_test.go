package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/internal/sharedtest"
)

// bleuFixtures locates the shared BLEU fixtures ($ZOO_SHARED, else the
// shared directory beside the repository) or skips the test.
func bleuFixtures(t *testing.T) string {
	t.Helper()
	sharedtest.Path(t, "fixtures/bleu/expected.tsv")
	return sharedtest.Path(t, "fixtures/bleu")
}

// runBleuCLI runs `zoo` in-process and returns stdout and the error.
func runBleuCLI(t *testing.T, stdin string, args ...string) (string, error) {
	out, _, err := zooIO(t, stdin, args...)
	return out, err
}

// writeBleuFile writes lines (joined by newlines) into dir/name.
func writeBleuFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const uedinLine = "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.2 = 28.3 " +
	"59.9/34.0/21.8/14.4 (BP = 1.000 ratio = 1.026 hyp_len = 62873 ref_len = 61287)\n"

func TestBleuCLIFixture(t *testing.T) {
	dir := bleuFixtures(t)
	ref := filepath.Join(dir, "newstest2017-ende-ref.de")
	hyp := filepath.Join(dir, "newstest2017.uedin-nmt.4722.en-de")
	out, err := runBleuCLI(t, "", "bleu", ref, "-i", hyp)
	if err != nil {
		t.Fatal(err)
	}
	if out != uedinLine {
		t.Errorf("got  %q\nwant %q", out, uedinLine)
	}
	data, err := os.ReadFile(hyp)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runBleuCLI(t, string(data), "bleu", ref); err != nil || out != uedinLine {
		t.Errorf("from stdin: %q, %v", out, err)
	}
}

// Every system of expected.tsv, printed with six decimals.
func TestBleuCLIExpectedTSV(t *testing.T) {
	dir := bleuFixtures(t)
	tsv, err := os.ReadFile(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(tsv)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		out, err := runBleuCLI(t, "", "bleu", filepath.Join(dir, "newstest2017-ende-ref.de"),
			"-i", filepath.Join(dir, f[0]), "-w", "6", "-b")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out) != f[1] {
			t.Errorf("%s: %s, want %s", f[0], strings.TrimSpace(out), f[1])
		}
	}
}

func TestBleuCLIJSON(t *testing.T) {
	dir := bleuFixtures(t)
	out, err := runBleuCLI(t, "", "bleu", filepath.Join(dir, "newstest2017-ende-ref.de"),
		"-i", filepath.Join(dir, "newstest2017.uedin-nmt.4722.en-de"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Name      string
		Score     float64
		Signature string
		Counts    []int
		Totals    []int
		SysLen    int     `json:"sys_len"`
		RefLen    int     `json:"ref_len"`
		BP        float64 `json:"bp"`
		Tok       string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Name != "BLEU" || got.Score != 28.3 || got.SysLen != 62873 || got.RefLen != 61287 || got.BP != 1 ||
		fmt.Sprint(got.Counts) != "[37673 20379 12397 7771]" || fmt.Sprint(got.Totals) != "[62873 59869 56865 53861]" ||
		got.Signature != "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.2" || got.Tok != "13a" {
		t.Errorf("unexpected JSON %+v", got)
	}
	// sacreBLEU's layout: json.dumps(indent=1), the score rounded to --width.
	if !strings.HasPrefix(out, "{\n \"name\": \"BLEU\",\n \"score\": 28.3,\n \"signature\": ") {
		t.Errorf("layout differs from sacreBLEU's:\n%s", out)
	}
}

// The README example of sacreBLEU with two reference files.
var (
	bleuReadmeHyp  = "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n"
	bleuReadmeRef1 = "The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n"
	bleuReadmeRef2 = "The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n"
)

func TestBleuCLIOptions(t *testing.T) {
	dir := t.TempDir()
	hyp := writeBleuFile(t, dir, "hyp", bleuReadmeHyp)
	r1 := writeBleuFile(t, dir, "ref1", bleuReadmeRef1)
	r2 := writeBleuFile(t, dir, "ref2", bleuReadmeRef2)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"two references", []string{r1, r2, "-i", hyp, "-b", "-w", "6"}, "48.530827\n"},
		{"intl", []string{r1, r2, "-i", hyp, "-b", "-w", "8", "--tokenize", "intl"}, "43.91623493\n"},
		{"none", []string{r1, r2, "-i", hyp, "-b", "-w", "7", "--tokenize", "none"}, "49.1919566\n"},
		{"signature", []string{r1, r2, "-i", hyp, "-s", "floor", "-lc"},
			"BLEU|nrefs:2|case:lc|eff:no|tok:13a|smooth:floor[0.10]|version:2.4.2 = "},
		{"smooth value", []string{r1, "-i", hyp, "-s", "add-k", "--smooth-value", "2"}, "smooth:add-k[2.00]|"},
		{"chrF++", []string{r1, "-i", hyp, "-m", "chrf", "--chrf-word-order", "2"},
			"chrF2++|nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.4.2 = "},
		{"tokenized", []string{r1, "-i", hyp, "--tokenized", "--remove-bpe", "--compound-split"},
			"TokenizedBLEU|nrefs:1|case:mixed|tok:none|smooth:none|bpe:subword-nmt|compound:yes|style:fairseq = "},
		{"sentence level", []string{r1, "-i", hyp, "--sentence-level", "-b"}, "100.0\n"},
	}
	for _, tt := range tests {
		out, err := runBleuCLI(t, "", append([]string{"bleu"}, tt.args...)...)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !strings.Contains(out, tt.want) || (strings.HasSuffix(tt.want, "\n") && !strings.HasPrefix(out, tt.want)) {
			t.Errorf("%s: output %q lacks %q", tt.name, out, tt.want)
		}
	}
}

func TestBleuCLIMultipleMetrics(t *testing.T) {
	dir := t.TempDir()
	hyp := writeBleuFile(t, dir, "hyp", bleuReadmeHyp)
	ref := writeBleuFile(t, dir, "ref", bleuReadmeRef1)
	// chrf is asked first but printed second: sacreBLEU sorts by name.
	out, err := runBleuCLI(t, "", "bleu", ref, "-i", hyp, "-m", "chrf,bleu")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "BLEU|") || !strings.Contains(lines[1], "chrF2|") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if strings.Index(lines[0], " = ") != strings.Index(lines[1], " = ") {
		t.Errorf("scores are not aligned on '=':\n%s", out)
	}
	out, err = runBleuCLI(t, "", "bleu", ref, "-i", hyp, "-m", "bleu,chrf", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 || list[1]["name"] != "chrF2" {
		t.Errorf("JSON list: %v\n%s", err, out)
	}
}

func TestBleuCLIGzip(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(bleuReadmeRef1))
	zw.Close()
	ref := writeBleuFile(t, dir, "ref.gz", buf.String())
	out, err := runBleuCLI(t, bleuReadmeRef1, "bleu", ref, "-b")
	if err != nil || out != "100.0\n" {
		t.Errorf("gzip reference: %q, %v", out, err)
	}
}

func TestBleuCLIErrors(t *testing.T) {
	dir := t.TempDir()
	hyp := writeBleuFile(t, dir, "hyp.txt", bleuReadmeHyp)
	ref := writeBleuFile(t, dir, "ref.txt", bleuReadmeRef1)
	short := writeBleuFile(t, dir, "short.txt", "one line\n")
	bad := writeBleuFile(t, dir, "bad.txt", "fine\nbroken \xff\nfine\n")
	missing := filepath.Join(dir, "missing.txt")
	tests := []struct {
		name  string
		args  []string
		want  []string
		usage bool // exit status 2
	}{
		{"line counts", []string{short, "-i", hyp}, []string{hyp, short, "3 lines", "1 lines"}, false},
		{"invalid UTF-8 in reference", []string{bad, "-i", hyp}, []string{bad, "line 2", "invalid UTF-8"}, false},
		{"invalid UTF-8 in hypothesis", []string{ref, "-i", bad}, []string{bad, "line 2", "invalid UTF-8"}, false},
		{"missing reference", []string{missing, "-i", hyp}, []string{missing}, false},
		{"missing hypothesis", []string{ref, "-i", missing}, []string{missing}, false},
		{"no reference", []string{"-i", hyp}, []string{"at least one reference"}, true},
		{"unknown metric", []string{ref, "-i", hyp, "-m", "ter"}, []string{`"ter"`}, true},
		{"unknown tokenizer", []string{ref, "-i", hyp, "--tokenize", "moses"}, []string{`"moses"`}, true},
		{"unknown smoothing", []string{ref, "-i", hyp, "-s", "laplace"}, []string{`"laplace"`}, true},
		{"tokenize with tokenized", []string{ref, "-i", hyp, "--tokenized", "--tokenize", "none"}, []string{"--tokenize"}, true},
		{"bpe without tokenized", []string{ref, "-i", hyp, "--remove-bpe"}, []string{"--tokenized"}, true},
		{"lone -c", []string{ref, "-i", hyp, "-c"}, []string{"-lc"}, true},
		{"two metrics per sentence", []string{ref, "-i", hyp, "--sentence-level", "-m", "bleu,chrf"}, []string{"one metric"}, true},
		{"bad format", []string{ref, "-i", hyp, "-f", "latex"}, []string{"latex"}, true},
	}
	for _, tt := range tests {
		_, err := runBleuCLI(t, "", append([]string{"bleu"}, tt.args...)...)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
		if u := (usageError{}); errors.As(err, &u) != tt.usage {
			t.Errorf("%s: usage error = %v, want %v (%v)", tt.name, !tt.usage, tt.usage, err)
		}
	}
}

func TestPyFloatRepr(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{28.3, "28.3"}, {1, "1.0"}, {0, "0.0"}, {100, "100.0"}, {1e-5, "1e-05"}, {0.0001, "0.0001"},
		{1e16, "1e+16"}, {1234567890123456, "1234567890123456.0"}, {59.91920220126286, "59.91920220126286"},
	}
	for _, tt := range tests {
		if got := pyFloatRepr(tt.in); got != tt.want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := pyJSONString("a\"b\\c\n<&>é\x01"); got != `"a\"b\\c\n<&>é\u0001"` {
		t.Errorf("pyJSONString = %s", got)
	}
}
