package metrics

import (
	"strings"
	"testing"
)

// Expected outputs were checked against sacreBLEU's regular expressions
// run by Python's re and regex modules.
func TestTokenize(t *testing.T) {
	tests := []struct {
		in, tok13a, intl string
	}{
		{"Hello, world!", "Hello , world !", "Hello , world !"},
		// 13a pads the line, so a final period after a digit is split;
		// intl does not, as in mteval-v14.pl.
		{"It costs $5.50.", "It costs $ 5.50 .", "It costs $ 5.50."},
		{"In 2019.", "In 2019 .", "In 2019."},
		{"Population: 1,000,000.", "Population : 1,000,000 .", "Population : 1,000,000."},
		{"e-mail me at a@b.com", "e-mail me at a @ b . com", "e - mail me at a @ b . com"},
		// 13a splits a dash only after a digit.
		{"pages 10-20, 1990-2000", "pages 10 - 20 , 1990 - 2000", "pages 10-20 , 1990-2000"},
		// 13a unescapes four entities, one after the other; intl none.
		{"&quot;Hi&quot; &amp;quot; &lt;b&gt;", `" Hi " & quot ; < b >`,
			"& quot ; Hi & quot ; & amp ; quot ; & lt ; b & gt ;"},
		{`He said "no"...`, `He said " no " . . .`, `He said " no " . . .`},
		{"end<skipped>ing", "ending", "end < skipped > ing"},
		{"It wasn't me.", "It wasn't me .", "It wasn ' t me ."},
		{"Zürich’s „best“ café costs €5,50.", "Zürich’s „best“ café costs €5,50 .",
			"Zürich ’ s „ best “ café costs € 5,50."},
		{"3.14", "3.14", "3.14"},
		{"tab\tsep\x1cx", "tab sep x", "tab sep x"},
		{"", "", ""},
	}
	for _, tt := range tests {
		for _, c := range []struct{ name, want string }{{Tokenize13a, tt.tok13a}, {TokenizeIntl, tt.intl}} {
			got, err := Tokenize(c.name, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s(%q) = %q, want %q", c.name, tt.in, got, c.want)
			}
		}
	}
}

func TestTokenizeCharAndNone(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{TokenizeChar, "ab c", "a b c"},
		{TokenizeChar, "漢字。", "漢 字 。"},
		{TokenizeChar, " \u00a0x\u3000", "x"},
		{TokenizeNone, " a  b ", " a  b "},
	}
	for _, tt := range tests {
		if got, _ := Tokenize(tt.name, tt.in); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
	if _, err := Tokenize("moses", "x"); err == nil || !strings.Contains(err.Error(), "13a, char, intl, none") {
		t.Errorf("unknown tokenizer error = %v", err)
	}
}

func TestPythonStringSemantics(t *testing.T) {
	fields := []struct {
		in   string
		want []string
	}{
		// Python splits on U+001C..U+001F and NBSP but not on U+200B.
		{"a\x1cb\u00a0c\u2009d\u200be", []string{"a", "b", "c", "d\u200be"}},
		{"  a \t\n", []string{"a"}},
	}
	for _, tt := range fields {
		if got := pyFields(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("pyFields(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	lower := []struct{ in, want string }{
		{"ABC", "abc"},
		{"ΟΔΟΣ", "\u03bf\u03b4\u03bf\u03c2"},   // final sigma
		{"ΟΔΟΣ.", "\u03bf\u03b4\u03bf\u03c2."}, // still final before punctuation
		{"ΑΣ'", "\u03b1\u03c2'"},               // the apostrophe is case-ignorable
		{"Σ", "\u03c3"},                        // no cased letter before it
		{"AΣb", "a\u03c3b"},                    // a cased letter follows
		{"İstanbul", "i\u0307stanbul"},         // full lowercase mapping
		{"straße ǅ", "straße ǆ"},
	}
	for _, tt := range lower {
		if got := pyLower(tt.in); got != tt.want {
			t.Errorf("pyLower(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := pyRstrip("a \t\r\x1f"); got != "a" {
		t.Errorf("pyRstrip = %q", got)
	}
}
