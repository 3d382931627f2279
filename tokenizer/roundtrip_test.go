package tokenizer

import (
	"strings"
	"testing"
	"unicode"
)

// TestRoundTripCorpora measures Detokenize(Tokenize(s)) == s on real
// sentences. "exact" compares with the raw line; "spacing" with the line
// whose whitespace is normalized as documented, which is what the rules
// promise. The minimum rates are set just below what the rules reach so
// that a regression fails while the known exceptions (a space before a
// comma or final period in the source) pass.
func TestRoundTripCorpora(t *testing.T) {
	corpora := []struct {
		path, lang string
		minSpacing float64
	}{
		{"data/multi30k/train.en.gz", "en", 0.9995},
		{"data/multi30k/train.de.gz", "de", 0.999},
		{"data/wmt14/newstest2014.en", "en", 0.999},
		{"data/wmt14/newstest2014.de", "de", 0.999},
	}
	for _, c := range corpora {
		t.Run(c.path, func(t *testing.T) {
			lines := readLines(t, c.path)
			tk := NewTokenizer(c.lang)
			exact, spacing := 0, 0
			var failures []string
			for _, line := range lines {
				got := tk.Detokenize(tk.Tokenize(line))
				if got == line {
					exact++
				}
				if got == strings.Join(strings.FieldsFunc(line, unicode.IsSpace), " ") {
					spacing++
				} else if len(failures) < 5 {
					failures = append(failures, line)
				}
			}
			n := float64(len(lines))
			t.Logf("%s: %d lines, exact %d (%.3f%%), modulo whitespace %d (%.3f%%)",
				c.path, len(lines), exact, 100*float64(exact)/n, spacing, 100*float64(spacing)/n)
			if rate := float64(spacing) / n; rate < c.minSpacing {
				t.Errorf("round-trip rate %.4f below %.4f; first failures:\n%s", rate, c.minSpacing, strings.Join(failures, "\n"))
			}
		})
	}
}
