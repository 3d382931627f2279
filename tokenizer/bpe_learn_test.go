package tokenizer

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// pairs parses "a b|c d" into merges, to keep the tables readable.
func pairs(s string) []Pair {
	var out []Pair
	for _, m := range strings.Split(s, "|") {
		l, r, _ := strings.Cut(m, " ")
		out = append(out, Pair{l, r})
	}
	return out
}

func TestLearnBPE(t *testing.T) {
	tests := []struct {
		name  string
		vocab Vocab
		opt   LearnOptions
		want  []Pair
	}{
		{
			// Sennrich et al.'s example, worked by hand: (e,s) and
			// (s,t</w>) tie at 9 and the greater pair, (s,t</w>), wins.
			name:  "low lower newest widest",
			vocab: Vocab{"low": 5, "lower": 2, "newest": 6, "widest": 3},
			opt:   LearnOptions{Merges: 100},
			want: pairs("s t</w>|e st</w>|l o|w est</w>|n e|ne west</w>|lo w</w>|" +
				"w i|wi d|wid est</w>|w e|we r</w>|lo wer</w>"),
		},
		{
			name:  "stops after Merges",
			vocab: Vocab{"low": 5, "lower": 2, "newest": 6, "widest": 3},
			opt:   LearnOptions{Merges: 3},
			want:  pairs("s t</w>|e st</w>|l o"),
		},
		{
			// Every pair occurs once: below the default minimum of 2.
			name:  "min frequency stops",
			vocab: Vocab{"ab": 1, "cd": 1},
			opt:   LearnOptions{Merges: 10},
			want:  nil,
		},
		{
			name:  "min frequency 1",
			vocab: Vocab{"ab": 1, "cd": 1},
			opt:   LearnOptions{Merges: 10, MinFrequency: 1},
			want:  pairs("c d</w>|a b</w>"),
		},
		{
			// "aaa": the merge takes the left pair, leaving aa a</w>.
			name:  "overlapping pair",
			vocab: Vocab{"aaa": 4},
			opt:   LearnOptions{Merges: 10},
			want:  pairs("a a</w>|a aa</w>"),
		},
		{
			// (ä,ö) and (ö,ü</w>) tie at 3; "ö" > "ä" by code point.
			name:  "multi-byte characters",
			vocab: Vocab{"äöü": 3, "äö": 2},
			opt:   LearnOptions{Merges: 10},
			want:  pairs("ö ü</w>|ä öü</w>|ä ö</w>"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LearnBPE(tt.vocab, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if c.Version != [2]int{0, 2} || !reflect.DeepEqual(c.Merges, tt.want) {
				t.Fatalf("got %v %q, want %q", c.Version, c.Merges, tt.want)
			}
		})
	}
}

func TestLearnBPEErrors(t *testing.T) {
	if _, err := LearnBPE(Vocab{"a": 3, "b": 1}, LearnOptions{Merges: 5}); !errors.Is(err, ErrNoPairs) {
		t.Errorf("single-character words: error %v, want ErrNoPairs", err)
	}
	if _, err := LearnBPE(Vocab{"ab": 3}, LearnOptions{Merges: -1}); err == nil {
		t.Error("negative merges: no error")
	}
}

func TestLearnBPEVerbose(t *testing.T) {
	var log bytes.Buffer
	if _, err := LearnBPE(Vocab{"ab": 3}, LearnOptions{Merges: 5, Verbose: &log}); err != nil {
		t.Fatal(err)
	}
	if want := "pair 0: a b</w> -> ab</w> (frequency 3)\n"; log.String() != want {
		t.Fatalf("verbose log %q, want %q", log.String(), want)
	}
}

// TestRegexMergeQuirk pins the one place where subword-nmt's merge is not
// symbol-exact: its pattern (?<!\S)A B(?!\S) also matches after a tab
// inside a symbol, so merging (b, c</w>) in "x\tb c</w>" yields "x\tbc</w>".
func TestRegexMergeQuirk(t *testing.T) {
	l := newLearner(Vocab{})
	w := []int32{l.sym("x\tb"), l.sym("c</w>")}
	got := l.regexMerge(w, l.sym("b"), l.sym("c</w>"))
	if len(got) != 1 || l.syms[got[0]] != "x\tbc</w>" {
		t.Fatalf("regexMerge gave %d symbols, first %q", len(got), l.syms[got[0]])
	}
	// Without inner whitespace it is an ordinary symbol merge.
	w = []int32{l.sym("xb"), l.sym("c</w>")}
	if got := l.regexMerge(w, l.sym("b"), l.sym("c</w>")); len(got) != 2 {
		t.Fatalf("merged inside a symbol without whitespace: %d symbols", len(got))
	}
}

func TestVocabAddText(t *testing.T) {
	tests := []struct {
		name, in string
		want     Vocab
	}{
		{"spaces", "  a b  a \nb\n", Vocab{"a": 2, "b": 2}},
		{"tab and no-break space stay inside words", "a\tb c\u00a0d\n", Vocab{"a\tb": 1, "c\u00a0d": 1}},
		{"CRLF", "a b\r\nb\r\n", Vocab{"a": 1, "b": 2}},
		{"line separator ends a word", "ab\u2028cd ef\n", Vocab{"ab\u2028": 1, "cd": 1, "ef": 1}},
		{"carriage return ends a line", "ab\rcd\n", Vocab{"ab": 1, "cd": 1}},
		{"no final newline", "x y", Vocab{"x": 1, "y": 1}},
		{"empty", "", Vocab{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Vocab{}
			if err := v.AddText(strings.NewReader(tt.in), "in"); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("got %q, want %q", v, tt.want)
			}
		})
	}
}

func TestVocabAddTextInvalidUTF8(t *testing.T) {
	in := strings.Repeat("fine line\n", 5000) + "bad \xff\n" + strings.Repeat("x\n", 3000) + "\xfe\n"
	err := Vocab{}.AddText(strings.NewReader(in), "corpus.txt")
	var le *LineError
	if !errors.As(err, &le) || le.Line != 5001 || le.Name != "corpus.txt" || !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("error %v, want corpus.txt line 5001: invalid UTF-8", err)
	}
	if err.Error() != "corpus.txt line 5001: invalid UTF-8" {
		t.Fatalf("message %q", err.Error())
	}
}

// TestLearnFixture is subword-nmt's own test: 1,000 merges learned on
// corpus.en with the default minimum frequency give bpe.ref.
func TestLearnFixture(t *testing.T) {
	ref, err := os.ReadFile(sharedPath(t, "fixtures/bpe/bpe.ref"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(sharedPath(t, "fixtures/bpe/corpus.en"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := Vocab{}
	if err := v.AddText(f, "corpus.en"); err != nil {
		t.Fatal(err)
	}
	c, err := LearnBPE(v, LearnOptions{Merges: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := c.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), ref) {
		t.Fatalf("learned codes differ from bpe.ref at line %d", firstDiffLine(got.String(), string(ref)))
	}
}

func firstDiffLine(a, b string) int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
