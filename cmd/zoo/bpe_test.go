package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/internal/sharedtest"
)

// zooIO runs the CLI in-process with stdin, returning stdout, stderr and
// the error.
func zooIO(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

// bpeFixture returns the path of a subword-nmt fixture file, from
// $ZOO_SHARED or ../shared beside the repository root, skipping when absent.
func bpeFixture(t *testing.T, name string) string { return sharedtest.Path(t, "fixtures/bpe/"+name) }

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBPELearnFixture(t *testing.T) {
	corpus, ref := bpeFixture(t, "corpus.en"), mustRead(t, bpeFixture(t, "bpe.ref"))
	codes := filepath.Join(t.TempDir(), "codes")
	if _, _, err := zooIO(t, "", "bpe", "learn", "--merges", "1000", "-o", codes, corpus); err != nil {
		t.Fatal(err)
	}
	if mustRead(t, codes) != ref {
		t.Fatal("learned codes differ from bpe.ref")
	}
	// The same corpus gzipped, written to standard output.
	gz := filepath.Join(t.TempDir(), "corpus.en.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(mustRead(t, corpus)))
	zw.Close()
	os.WriteFile(gz, buf.Bytes(), 0o644)
	out, _, err := zooIO(t, "", "bpe", "learn", "-s", "1000", gz)
	if err != nil || out != ref {
		t.Fatalf("gzip input: err %v, codes equal: %v", err, out == ref)
	}
}

func TestBPEApplyFixture(t *testing.T) {
	in, want := mustRead(t, bpeFixture(t, "corpus.en")), mustRead(t, bpeFixture(t, "corpus.bpe.ref.en"))
	out, _, err := zooIO(t, in, "bpe", "apply", "--codes", bpeFixture(t, "bpe.ref"))
	if err != nil {
		t.Fatal(err)
	}
	if out != want {
		t.Fatal("output differs from corpus.bpe.ref.en")
	}
}

func TestBPEJointLearnAndApply(t *testing.T) {
	dir := t.TempDir()
	en, de := filepath.Join(dir, "a.en"), filepath.Join(dir, "a.de")
	os.WriteFile(en, []byte("lower lowest\nlow low\n"), 0o644)
	os.WriteFile(de, []byte("lower\n"), 0o644)
	codes, stderr, err := zooIO(t, "", "bpe", "learn", "--merges", "50", en, de)
	if err != nil {
		t.Fatal(err)
	}
	// (lo,w) and (w,e) tie at 3: the greater pair, (w,e), goes first.
	if codes != "#version: 0.2\nl o\nw e\nlo we\nlowe r</w>\nlo w</w>\n" || !strings.Contains(stderr, "after 5 merges") {
		t.Fatalf("codes %q, stderr %q", codes, stderr)
	}
	path := filepath.Join(dir, "codes")
	os.WriteFile(path, []byte(codes), 0o644)
	out, _, err := zooIO(t, "lowest  lower\n\nslow\n", "bpe", "apply", "-c", path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "lowe@@ s@@ t lower\n\ns@@ low\n"; out != want {
		t.Fatalf("apply gave %q, want %q", out, want)
	}
	out, _, _ = zooIO(t, "slow\n", "bpe", "apply", "-c", path, "--separator", "+")
	if out != "s+ low\n" {
		t.Fatalf("custom separator gave %q", out)
	}
}

func TestBPEErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.codes")
	os.WriteFile(bad, []byte("#version: 0.2\na b\nc\n"), 0o644)
	noHeader := filepath.Join(dir, "old.codes")
	os.WriteFile(noHeader, []byte("a b\n"), 0o644)
	tests := []struct {
		name, stdin string
		args        []string
		want        string
		usage       bool
	}{
		{"malformed codes", "x\n", []string{"bpe", "apply", "--codes", bad}, "bpe codes " + bad + " line 3: expected two symbols", false},
		{"missing header", "x\n", []string{"bpe", "apply", "--codes", noHeader}, "bpe codes " + noHeader + " line 1: expected header", false},
		{"no codes flag", "x\n", []string{"bpe", "apply"}, "--codes is required", true},
		{"missing codes file", "x\n", []string{"bpe", "apply", "-c", filepath.Join(dir, "nope")}, "no such file", false},
		{"no merges flag", "a b\n", []string{"bpe", "learn"}, "--merges must be", true},
		{"invalid UTF-8 to learn", "ok\nb\xffd\n", []string{"bpe", "learn", "-s", "5"}, "standard input line 2: invalid UTF-8", false},
		{"missing input file", "", []string{"bpe", "learn", "-s", "5", filepath.Join(dir, "nope")}, "no such file", false},
		{"bad language", "x\n", []string{"tok", "--lang", "english"}, `--lang "english"`, true},
		{"unknown bpe command", "", []string{"bpe", "lern"}, `unknown command "lern"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := zooIO(t, tt.stdin, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			var u usageError
			if errors.As(err, &u) != tt.usage {
				t.Fatalf("usage error = %v, want %v (%v)", !tt.usage, tt.usage, err)
			}
		})
	}
	// Invalid UTF-8 on apply names the line of standard input.
	_, _, err := zooIO(t, "ok\nb\xffd\n", "bpe", "apply", "-c", bpeFixture(t, "bpe.ref"))
	if err == nil || !strings.Contains(err.Error(), "standard input line 2: invalid UTF-8") {
		t.Fatalf("apply invalid UTF-8: %v", err)
	}
}

func TestTokDetok(t *testing.T) {
	in := "\"Hello,\" she said. It's 5.5% of $1,000.\n\nVisit www.zoo.org.\n"
	tokens, _, err := zooIO(t, in, "tok")
	if err != nil {
		t.Fatal(err)
	}
	want := "\" Hello , \" she said . It 's 5.5 % of $ 1,000 .\n\nVisit www.zoo.org .\n"
	if tokens != want {
		t.Fatalf("tok gave %q, want %q", tokens, want)
	}
	back, _, err := zooIO(t, tokens, "detok")
	if err != nil || back != in {
		t.Fatalf("detok gave %q (%v), want %q", back, err, in)
	}
	de, _, _ := zooIO(t, "„Gut“, sagte er.\n", "tok", "--lang", "de")
	if de != "„ Gut “ , sagte er .\n" {
		t.Fatalf("tok --lang de gave %q", de)
	}
	joined, _, _ := zooIO(t, "ir@@ on c@@ ement .\n", "detok", "--remove-bpe")
	if joined != "iron cement.\n" {
		t.Fatalf("detok --remove-bpe gave %q", joined)
	}
}
