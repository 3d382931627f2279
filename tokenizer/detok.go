package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Detokenize joins tokens into text, putting a space between two tokens
// unless the spacing rules attach one of them to the other.
func (t *Tokenizer) Detokenize(tokens []string) string {
	space := t.layout(tokens)
	var b strings.Builder
	for i, tok := range tokens {
		if space[i] {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// DetokenizeString detokenizes a line of whitespace-separated tokens.
func (t *Tokenizer) DetokenizeString(line string) string {
	return t.Detokenize(strings.Fields(line))
}

// DetokenizeBPE removes BPE separators ("@@ ") from a line of subwords and
// detokenizes the words, turning model output back into text.
func (t *Tokenizer) DetokenizeBPE(line string) string {
	return t.DetokenizeString(RemoveBPE(line, DefaultSeparator))
}

// RemoveBPE joins subwords as fairseq's post-processing does: every
// separator followed by a space disappears together with the space, and so
// does a separator left at the end of the line.
func RemoveBPE(line, separator string) string {
	s := strings.ReplaceAll(line+" ", separator+" ", "")
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// layout decides, for each token, whether a space precedes it.
func (t *Tokenizer) layout(toks []string) []bool {
	space := make([]bool, len(toks))
	q := newQuoteState(&t.quotes, toks)
	glueNext := true // nothing precedes the first token
	for i := range toks {
		left, right := t.attach(toks, i, q)
		space[i] = !left && !glueNext
		glueNext = right
	}
	return space
}

// closingPunct attach to the preceding token; openingPunct to the next.
// French puts a space before the high signs, so they are not closing
// there.
const (
	closingPunct       = ",.;:!?)]}"
	frenchClosingPunct = ",.)]}"
	openingPunct       = "([{¿¡"
)

func (t *Tokenizer) closing() string {
	if t.lang == "fr" {
		return frenchClosingPunct
	}
	return closingPunct
}

// attach reports whether token i joins the token before it (left) and the
// token after it (right).
func (t *Tokenizer) attach(toks []string, i int, q *quoteState) (left, right bool) {
	tok := toks[i]
	r, size := utf8.DecodeRuneInString(tok)
	switch {
	case size == len(tok) && t.quotes.isQuote(r):
		open := q.open(r, i)
		if !open {
			q.closedAt = i
		}
		return !open, open
	case r == '-' && i > 0 && q.closedAt == i-1 && startsAlnum(tok[size:]):
		return true, false // German „Stop“-Schild
	case t.lang == "en" && isContraction(tok) && i > 0 && endsAlnum(toks[i-1]):
		return true, false
	case t.elides() && isElision(tok) && i+1 < len(toks) && startsAlpha(toks[i+1]):
		return false, true
	case allIn(tok, t.closing()) && !isDots(tok):
		return true, false
	case t.lang == "en" && tok == "%":
		return true, false
	case allIn(tok, openingPunct):
		return false, true
	case size == len(tok) && unicode.Is(unicode.Sc, r) && i+1 < len(toks) && startsDigit(toks[i+1]):
		return false, true // "$5", but German "5 €" keeps its space
	}
	return false, false
}

// elides reports the languages whose articles and prepositions drop their
// vowel before another word (l'homme, dell'anno).
func (t *Tokenizer) elides() bool {
	switch t.lang {
	case "fr", "it", "ga", "ca":
		return true
	}
	return false
}

// isContraction matches the tokens English splitting produces: "'s",
// "'t", "’re".
func isContraction(tok string) bool {
	r, n := utf8.DecodeRuneInString(tok)
	return isApostrophe(r) && n < len(tok) && startsAlpha(tok[n:])
}

// isElision matches "l'", "qu'", "dell'".
func isElision(tok string) bool {
	r, n := utf8.DecodeLastRuneInString(tok)
	return isApostrophe(r) && n < len(tok) && strings.IndexFunc(tok[:len(tok)-n], func(r rune) bool { return !isAlpha(r) }) < 0
}

// isDots matches runs of two or more periods, which are spaced like words
// ("wait ... what"), unlike a single period.
func isDots(tok string) bool { return len(tok) > 1 && strings.Trim(tok, ".") == "" }

func allIn(tok, set string) bool {
	if tok == "" {
		return false
	}
	for _, r := range tok {
		if !strings.ContainsRune(set, r) {
			return false
		}
	}
	return true
}

func startsAlpha(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isAlpha(r)
}

func startsAlnum(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isAlnum(r)
}

func startsDigit(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isDigit(r)
}

func endsAlnum(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isAlnum(r)
}
