package metrics

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokenizer names accepted by BLEUOptions.Tokenize and Tokenize.
const (
	Tokenize13a  = "13a"  // mteval-v13a.pl, sacreBLEU's default
	TokenizeIntl = "intl" // mteval-v14.pl international tokenization
	TokenizeChar = "char" // every non-space character is a token
	TokenizeNone = "none" // text is already tokenized
)

// tokenizers maps a tokenizer name to its function.
var tokenizers = map[string]func(string) string{
	Tokenize13a:  tokenize13a,
	TokenizeIntl: tokenizeIntl,
	TokenizeChar: tokenizeChar,
	TokenizeNone: func(s string) string { return s },
}

// Tokenizers returns the names of the available tokenizers, sorted.
func Tokenizers() []string {
	names := make([]string, 0, len(tokenizers))
	for n := range tokenizers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Tokenize applies the named tokenizer to one line exactly as sacreBLEU's
// tokenizer of that name does; the result has tokens separated by spaces.
func Tokenize(name, line string) (string, error) {
	f, err := lookupTokenizer(name)
	if err != nil {
		return "", err
	}
	return f(line), nil
}

// lookupTokenizer returns the tokenizer function of a name.
func lookupTokenizer(name string) (func(string) string, error) {
	f, ok := tokenizers[name]
	if !ok {
		return nil, fmt.Errorf("unknown tokenizer %q (want one of %s)",
			name, strings.Join(Tokenizers(), ", "))
	}
	return f, nil
}

// byteClass is a set of bytes; tables keep the 13a inner loops free of
// function calls, which dominate corpus BLEU's run time otherwise.
type byteClass [256]bool

func newByteClass(in func(b byte) bool) *byteClass {
	var c byteClass
	for i := range c {
		c[i] = in(byte(i))
	}
	return &c
}

var (
	// class13aPunct is mteval-v13a's [\{-\~\[-\` -\&\(-\+\:-\@\/]: the
	// ASCII space and every ASCII symbol except the apostrophe, comma,
	// hyphen and period, which get their own rules.
	class13aPunct = newByteClass(func(b byte) bool {
		switch {
		case b >= '{' && b <= '~', b >= '[' && b <= '`', b >= ' ' && b <= '&',
			b >= '(' && b <= '+', b >= ':' && b <= '@', b == '/':
			return true
		}
		return false
	})
	classDigit    = newByteClass(func(b byte) bool { return b >= '0' && b <= '9' })
	classNotDigit = newByteClass(func(b byte) bool { return b < '0' || b > '9' })
	classDotComma = newByteClass(func(b byte) bool { return b == '.' || b == ',' })
	classHyphen   = newByteClass(func(b byte) bool { return b == '-' })
)

// tokenize13a reproduces sacreBLEU's Tokenizer13a.
func tokenize13a(line string) string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	if strings.Contains(line, "&") {
		// Sequential, not simultaneous, replacement: each pass sees the
		// output of the previous one, as Python's chained str.replace does
		// (so "&amp;quot;" becomes "&quot;", not a quote).
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	// mteval pads the segment so that a sentence-final period is
	// followed by a non-digit and gets split off.
	buf := []byte(" " + line + " ")
	buf = padBytes(buf, class13aPunct)
	// The three pair rules are applied as regex substitutions: leftmost,
	// non-overlapping matches, each pass over the previous pass's output.
	// Working on bytes is exact: every class is ASCII or the complement of
	// ASCII digits, so a multi-byte rune behaves like its last byte before
	// a match and like its first byte after one.
	buf = splitPairs(buf, classNotDigit, classDotComma, false) // ([^0-9])([\.,]) -> \1 \2
	buf = splitPairs(buf, classDotComma, classNotDigit, true)  // ([\.,])([^0-9]) -> ' \1 \2'
	buf = splitPairs(buf, classDigit, classHyphen, false)      // ([0-9])(-) -> \1 \2
	return pyJoinFields(string(buf))
}

// padBytes surrounds every byte in class with spaces.
func padBytes(s []byte, class *byteClass) []byte {
	out := make([]byte, 0, len(s)+len(s)/2)
	for _, b := range s {
		if class[b] {
			out = append(out, ' ', b, ' ')
		} else {
			out = append(out, b)
		}
	}
	return out
}

// splitPairs rewrites each leftmost non-overlapping match of the two-byte
// pattern (first)(second). With lead false the replacement is "\1 \2 ",
// with lead true it is " \1 \2".
func splitPairs(s []byte, first, second *byteClass, lead bool) []byte {
	return splitPairsOf(s, func(b byte) bool { return first[b] }, func(b byte) bool { return second[b] }, lead)
}

func isNumber(r rune) bool     { return unicode.Is(unicode.N, r) }
func notNumber(r rune) bool    { return !isNumber(r) }
func isPunctRune(r rune) bool  { return unicode.Is(unicode.P, r) }
func isSymbolRune(r rune) bool { return unicode.Is(unicode.S, r) }

// tokenizeIntl reproduces sacreBLEU's TokenizerV14International: split
// punctuation (P*) off unless it sits between digits, and split every
// symbol (S*). There is deliberately no padding, so a number followed by a
// sentence-final period stays one token, as in mteval-v14.pl.
func tokenizeIntl(line string) string {
	rs := []rune(line)
	rs = splitRunePairs(rs, notNumber, isPunctRune, false) // (\P{N})(\p{P}) -> \1 \2
	rs = splitRunePairs(rs, isPunctRune, notNumber, true)  // (\p{P})(\P{N}) -> ' \1 \2'
	rs = padRunes(rs, isSymbolRune)                        // (\p{S}) -> ' \1 '
	return pyJoinFields(string(rs))
}

// splitRunePairs is splitPairs over runes.
func splitRunePairs(s []rune, first, second func(rune) bool, lead bool) []rune {
	return splitPairsOf(s, first, second, lead)
}

// splitPairsOf inserts the spaces of a (first)(second) pattern: "\1 \2 "
// or, with lead, " \1 \2"; matches do not overlap, as with a regexp.
func splitPairsOf[T byte | rune](s []T, first, second func(T) bool, lead bool) []T {
	out := make([]T, 0, len(s)+len(s)/4)
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && first(s[i]) && second(s[i+1]) {
			if lead {
				out = append(out, ' ', s[i], ' ', s[i+1])
			} else {
				out = append(out, s[i], ' ', s[i+1], ' ')
			}
			i++
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// padRunes surrounds every rune in class with spaces.
func padRunes(s []rune, class func(rune) bool) []rune {
	out := make([]rune, 0, len(s)+len(s)/4)
	for _, r := range s {
		if class(r) {
			out = append(out, ' ', r, ' ')
		} else {
			out = append(out, r)
		}
	}
	return out
}

// tokenizeChar reproduces sacreBLEU's TokenizerChar followed by the
// whitespace split BLEU applies: each non-whitespace character is a token.
func tokenizeChar(line string) string {
	var b strings.Builder
	b.Grow(2 * len(line))
	for _, r := range line {
		if pyIsSpace(r) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// validUTF8 reports whether s is valid UTF-8. Python cannot even hold
// invalid UTF-8 in a str, so there is no sacreBLEU behaviour to reproduce:
// such input is rejected.
func validUTF8(s string) bool { return utf8.ValidString(s) }
