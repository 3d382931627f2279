package tokenizer

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// toyBPE is learned from the "low lower newest widest" example.
func toyBPE(t *testing.T, opt ApplyOptions) *BPE {
	t.Helper()
	c := &Codes{Version: [2]int{0, 2}, Merges: pairs("s t</w>|e st</w>|l o|w est</w>|n e|ne west</w>|lo w</w>|" +
		"w i|wi d|wid est</w>|w e|we r</w>|lo wer</w>")}
	b, err := NewBPE(c, opt)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSegmentWord(t *testing.T) {
	b := toyBPE(t, ApplyOptions{})
	tests := []struct {
		word string
		want []string
	}{
		{"lowest", []string{"lo", "west"}},
		{"newest", []string{"newest"}},
		{"low", []string{"low"}},
		{"lows", []string{"lo", "w", "s"}},             // "w s</w>" is no merge: lo w s
		{"slow", []string{"s", "low"}},                 // "s l" is no merge
		{"westwest", []string{"we", "s", "t", "west"}}, // "s t" only word-finally
		{"x", []string{"x"}},                           // one character: untouched
		{"ü", []string{"ü"}},                           // one code point, two bytes
		{"wider", []string{"wid", "e", "r"}},           // "e r</w>" is no merge
		{"wwwiii", []string{"w", "w", "wi", "i", "i"}}, // only adjacent w i
		{"lolo", []string{"lo", "l", "o"}},             // "l o</w>" is not "l o"
	}
	for _, tt := range tests {
		if got := b.SegmentWord(tt.word); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SegmentWord(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestSegmentWordLowestRankFirst(t *testing.T) {
	// "b c" outranks "a b", so "abc" becomes a bc, and "a bc" is no merge.
	c := &Codes{Version: [2]int{0, 2}, Merges: pairs("b c</w>|a b|ab c</w>")}
	b, _ := NewBPE(c, ApplyOptions{})
	if got := b.SegmentWord("abc"); !reflect.DeepEqual(got, []string{"a", "bc"}) {
		t.Fatalf("got %q", got)
	}
	// Overlaps merge left to right: "aaa" with "a a" gives aa a.
	c = &Codes{Version: [2]int{0, 2}, Merges: pairs("a a|aa a</w>")}
	b, _ = NewBPE(c, ApplyOptions{})
	if got := b.SegmentWord("aaa"); !reflect.DeepEqual(got, []string{"aaa"}) {
		t.Fatalf("aaa: got %q", got)
	}
	if got := b.SegmentWord("aaaa"); !reflect.DeepEqual(got, []string{"aa", "a", "a"}) {
		t.Fatalf("aaaa: got %q", got)
	}
}

func TestSegmentWordVersion01(t *testing.T) {
	// In 0.1 the end-of-word marker is a symbol of its own.
	c := &Codes{Version: [2]int{0, 1}, Merges: pairs("a b|ab </w>|c d")}
	b, _ := NewBPE(c, ApplyOptions{})
	for word, want := range map[string][]string{"ab": {"ab"}, "abcd": {"ab", "cd"}, "cab": {"c", "ab"}} {
		if got := b.SegmentWord(word); !reflect.DeepEqual(got, want) {
			t.Errorf("SegmentWord(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestNewBPEMergesLimit(t *testing.T) {
	b := toyBPE(t, ApplyOptions{Merges: 3})
	if got := b.SegmentWord("lowest"); !reflect.DeepEqual(got, []string{"lo", "w", "est"}) {
		t.Fatalf("got %q", got)
	}
}

func TestProcessLine(t *testing.T) {
	b := toyBPE(t, ApplyOptions{})
	tests := []struct{ name, in, want string }{
		{"plain", "lowest newest\n", "lo@@ west newest\n"},
		{"leading and trailing spaces kept", "  lowest  newest  \n", "  lo@@ west newest  \n"},
		{"empty line", "\n", "\n"},
		{"blank line", "   \n", "   \n"},
		{"CRLF kept", "lowest\r\n", "lo@@ west\r\n"},
		{"no newline", "lowest", "lo@@ west"},
		{"tab inside a word", "low\tlow\n", "lo@@ w@@ \t@@ low\n"},
		{"no-break space inside a word", "low\u00a0low\n", "lo@@ w@@ \u00a0@@ low\n"},
		{"line separator ends a word", "low\u2028low\n", "lo@@ w@@ \u2028low\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.ProcessLine(tt.in); got != tt.want {
				t.Fatalf("ProcessLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSeparator(t *testing.T) {
	b := toyBPE(t, ApplyOptions{Separator: "￭"})
	if got := b.ProcessLine("lowest\n"); got != "lo￭ west\n" {
		t.Fatalf("got %q", got)
	}
}

func TestGlossaries(t *testing.T) {
	c := &Codes{Version: [2]int{0, 2}, Merges: pairs("U S|US A</w>|1 9|19 3|193 4")}
	b, err := NewBPE(c, ApplyOptions{Glossaries: []string{"USA", "[0-9]+"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"USA", "USA"},
		{"1934USABUSA", "1934@@ USA@@ B@@ USA"},
		{"xUSA", "x@@ USA"},
		{"US", "U@@ S"},
	}
	for _, tt := range tests {
		if got := b.ProcessLine(tt.in); got != tt.want {
			t.Errorf("ProcessLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, err := NewBPE(c, ApplyOptions{Glossaries: []string{"("}}); err == nil {
		t.Error("bad glossary regexp: no error")
	}
}

func TestApplyStream(t *testing.T) {
	b := toyBPE(t, ApplyOptions{})
	var in, want strings.Builder
	for i := range 10000 { // several batches, to check the order
		if i%3 == 0 {
			in.WriteString("lowest\n")
			want.WriteString("lo@@ west\n")
		} else {
			in.WriteString("newest wider\n")
			want.WriteString("newest wid@@ e@@ r\n")
		}
	}
	var out bytes.Buffer
	if err := b.Apply(strings.NewReader(in.String()), &out, "in"); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatal("streamed output differs from line-by-line output")
	}
}

func TestApplyInvalidUTF8(t *testing.T) {
	b := toyBPE(t, ApplyOptions{})
	in := strings.Repeat("low\n", 4100) + "lo\xffw\n"
	var out bytes.Buffer
	err := b.Apply(strings.NewReader(in), &out, "input.txt")
	var le *LineError
	if !errors.As(err, &le) || le.Line != 4101 || !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("error %v, want input.txt line 4101: invalid UTF-8", err)
	}
	if !strings.Contains(err.Error(), "input.txt line 4101: invalid UTF-8") {
		t.Fatalf("message %q", err)
	}
}

// TestApplyFixture is subword-nmt's own test: bpe.ref applied to
// corpus.en gives corpus.bpe.ref.en byte for byte.
func TestApplyFixture(t *testing.T) {
	codes, err := LoadCodes(sharedPath(t, "fixtures/bpe/bpe.ref"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(sharedPath(t, "fixtures/bpe/corpus.bpe.ref.en"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(sharedPath(t, "fixtures/bpe/corpus.en"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	b, err := NewBPE(codes, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := b.Apply(in, &got, "corpus.en"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("output differs from corpus.bpe.ref.en at line %d", firstDiffLine(got.String(), string(want)))
	}
	// subword-nmt's own whitespace cases, on the same codes.
	for in, want := range map[string]string{
		"  iron cement  \n":  "  ir@@ on c@@ ement  \n",
		"iron\u00a0cement\n": "ir@@ on@@ \u00a0@@ c@@ ement\n",
		"\n":                 "\n",
	} {
		if got := b.ProcessLine(in); got != want {
			t.Errorf("ProcessLine(%q) = %q, want %q", in, got, want)
		}
	}
}
