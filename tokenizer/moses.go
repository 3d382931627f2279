package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokenizer splits raw text into Moses-style tokens and joins such tokens
// back into text. Tokenize and Detokenize share one set of spacing rules,
// which is what makes them inverses; see the package documentation. A
// Tokenizer is immutable and safe for concurrent use.
type Tokenizer struct {
	lang     string
	prefixes map[string]prefixKind
	quotes   quoteRules
}

// NewTokenizer returns the tokenizer for an ISO 639-1 language code. "en",
// "de", "fr" and "it" have rules of their own; any other code gets the
// generic rules, which suit most languages written in Latin script.
func NewTokenizer(lang string) *Tokenizer {
	lang = strings.ToLower(lang)
	return &Tokenizer{lang: lang, prefixes: prefixesFor(lang), quotes: quoteRulesFor(lang)}
}

// Lang returns the language code the tokenizer was made for.
func (t *Tokenizer) Lang() string { return t.lang }

// Tokenize splits one line of raw text into tokens. Whitespace of any
// kind separates tokens and is not kept. The line should be valid UTF-8
// (MapLines checks that); an invalid byte comes back as U+FFFD.
func (t *Tokenizer) Tokenize(line string) []string {
	var tl tokenList
	for _, chunk := range strings.FieldsFunc(line, unicode.IsSpace) {
		t.splitChunk(&tl, chunk)
	}
	t.splitPeriods(&tl)
	t.repair(&tl)
	return tl.toks
}

// TokenizeString is Tokenize with the tokens joined by single spaces.
func (t *Tokenizer) TokenizeString(line string) string {
	return strings.Join(t.Tokenize(line), " ")
}

// tokenList holds tokens with, for each, whether it touched the previous
// token in the raw text (no whitespace between them) and whether it is a
// URL or address that no rule may cut.
type tokenList struct {
	toks      []string
	joined    []bool
	protected []bool
}

func (tl *tokenList) add(tok string, joined, protected bool) {
	tl.toks = append(tl.toks, tok)
	tl.joined = append(tl.joined, joined)
	tl.protected = append(tl.protected, protected)
}

// splitChunk tokenizes one whitespace-free run of text.
func (t *Tokenizer) splitChunk(tl *tokenList, chunk string) {
	first := len(tl.toks)
	pos := 0
	for _, s := range protectedSpans(chunk) {
		t.splitSpan(tl, chunk[pos:s.start], first)
		tl.add(chunk[s.start:s.end], len(tl.toks) > first, true)
		pos = s.end
	}
	t.splitSpan(tl, chunk[pos:], first)
}

// splitSpan applies the Moses rules to text without URLs: punctuation
// that the detokenizer can attach becomes a token of its own, runs of
// periods stay together, commas split off except between digits, and
// apostrophes split by language. Other symbols ("/", "&", "=", "…") stay
// in the word: Moses splits them, but nothing could join them again.
func (t *Tokenizer) splitSpan(tl *tokenList, s string, chunkStart int) {
	rs := []rune(s)
	cur := 0
	emit := func(from, to int) {
		if to > from {
			tl.add(string(rs[from:to]), len(tl.toks) > chunkStart, false)
		}
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '-' || isWordRune(r):
		case r == '.':
			if j := dotRunEnd(rs, i); j-i > 1 {
				emit(cur, i)
				emit(i, j)
				cur, i = j, j-1
			}
		case r == ',' && betweenDigits(rs, i):
		case isApostrophe(r):
			cur = t.splitApostrophe(rs, i, cur, emit)
		case r == ',' || t.splittable(r):
			emit(cur, i)
			emit(i, i+1)
			cur = i + 1
		}
	}
	emit(cur, len(rs))
}

func dotRunEnd(rs []rune, i int) int {
	for i < len(rs) && rs[i] == '.' {
		i++
	}
	return i
}

func betweenDigits(rs []rune, i int) bool {
	return i > 0 && i+1 < len(rs) && isDigit(rs[i-1]) && isDigit(rs[i+1])
}

// splittable reports the symbols that attach to a neighbour when
// detokenized, the only ones worth splitting off.
func (t *Tokenizer) splittable(r rune) bool {
	return strings.ContainsRune(t.closing(), r) || strings.ContainsRune(openingPunct, r) ||
		t.quotes.isQuote(r) || unicode.Is(unicode.Sc, r) || (r == '%' && t.lang == "en")
}

// apostropheSplit says where an apostrophe cuts a word.
type apostropheSplit uint8

const (
	keepApostrophe apostropheSplit = iota
	splitBefore                    // English "don't" -> "don 't"
	splitAfter                     // French "l'homme" -> "l' homme"
	splitAround                    // a quotation mark
)

func (t *Tokenizer) splitApostrophe(rs []rune, i, cur int, emit func(int, int)) int {
	var prev, next rune
	if i > 0 {
		prev = rs[i-1]
	}
	if i+1 < len(rs) {
		next = rs[i+1]
	}
	switch t.apostropheRule(prev, next) {
	case splitBefore:
		emit(cur, i)
		return i
	case splitAfter:
		emit(cur, i+1)
		return i + 1
	case splitAround:
		emit(cur, i)
		emit(i, i+1)
		return i + 1
	}
	return cur
}

// apostropheRule follows tokenizer.perl: English splits contractions to
// the right and keeps "1990's" as "1990 's", French and Italian split
// elisions to the left. For other languages Moses splits every apostrophe
// off; between two letters it is kept here instead ("geht's"), because no
// detokenizer could tell that token from a quotation mark.
func (t *Tokenizer) apostropheRule(prev, next rune) apostropheSplit {
	pa, na := isAlpha(prev), isAlpha(next)
	switch t.lang {
	case "en":
		switch {
		case pa && na:
			return splitBefore
		case isDigit(prev) && next == 's':
			return splitBefore
		case isDigit(prev) && na:
			return keepApostrophe
		}
	case "fr", "it", "ga", "ca":
		if pa && na {
			return splitAfter
		}
	default:
		if pa && na {
			return keepApostrophe
		}
	}
	return splitAround
}

// splitPeriods splits a word-final period off unless the word is an
// abbreviation: it holds another period and a letter, it is a known
// prefix, or the next token starts in lower case. The last token of the
// line always loses its period, as in Moses.
func (t *Tokenizer) splitPeriods(tl *tokenList) {
	var out tokenList
	for i, tok := range tl.toks {
		pre, ok := strings.CutSuffix(tok, ".")
		if ok && pre != "" && !tl.protected[i] && strings.Trim(pre, ".") != "" &&
			t.periodSplits(pre, tl.toks, i) {
			out.add(pre, tl.joined[i], false)
			out.add(".", true, false)
			continue
		}
		out.add(tok, tl.joined[i], tl.protected[i])
	}
	*tl = out
}

func (t *Tokenizer) periodSplits(pre string, toks []string, i int) bool {
	if i == len(toks)-1 {
		return true
	}
	next, _ := utf8.DecodeRuneInString(toks[i+1])
	switch {
	case strings.Contains(pre, ".") && strings.IndexFunc(pre, isAlpha) >= 0:
		return false
	case t.prefixes[pre] == alwaysPrefix:
		return false
	case unicode.IsLower(next):
		return false
	case t.prefixes[pre] == numericPrefix && isDigit(next):
		return false
	}
	return true
}

// repairBudget bounds the layouts repair computes per line. Real lines
// need a few; a long run of symbols that keep failing (a fuzzer's, or a
// corrupt web page's) would otherwise cost time quadratic in its length.
const repairBudget = 32

// repair undoes every split that Detokenize would not join again, which
// makes Detokenize(Tokenize(s)) == s wherever s is spaced the way the
// rules expect. It joins the first failing split and re-checks from the
// start, because a joined quotation mark changes how later quotes pair
// up. Past the budget it joins all failing splits at once, and in the end
// gives up splitting the chunks that still fail.
func (t *Tokenizer) repair(tl *tokenList) {
	for round := 0; ; round++ {
		failing := t.failingSplits(tl)
		switch {
		case len(failing) == 0:
			return
		case round < repairBudget:
			tl.join(failing[:1])
		case round < 2*repairBudget:
			tl.join(failing)
		default:
			tl.joinChunks(failing)
		}
	}
}

// failingSplits lists the tokens that touched their predecessor in the
// text but would be laid out with a space before them.
func (t *Tokenizer) failingSplits(tl *tokenList) []int {
	var failing []int
	for i, space := range t.layout(tl.toks) {
		if space && tl.joined[i] {
			failing = append(failing, i)
		}
	}
	return failing
}

// join merges each listed token (in increasing order) into its
// predecessor.
func (tl *tokenList) join(idx []int) {
	out, k := 0, 0
	for i := range tl.toks {
		if k < len(idx) && idx[k] == i {
			tl.toks[out-1] += tl.toks[i]
			k++
			continue
		}
		tl.toks[out], tl.joined[out], tl.protected[out] = tl.toks[i], tl.joined[i], tl.protected[i]
		out++
	}
	tl.toks, tl.joined, tl.protected = tl.toks[:out], tl.joined[:out], tl.protected[:out]
}

// joinChunks merges every chunk holding a listed token into one token.
func (tl *tokenList) joinChunks(idx []int) {
	var all []int
	for _, i := range idx {
		start, end := i, i
		for start > 0 && tl.joined[start] {
			start--
		}
		for end+1 < len(tl.toks) && tl.joined[end+1] {
			end++
		}
		for j := max(start+1, lastOf(all)+1); j <= end; j++ {
			all = append(all, j)
		}
	}
	tl.join(all)
}

func lastOf(s []int) int {
	if len(s) == 0 {
		return -1
	}
	return s[len(s)-1]
}

// isWordRune reports characters that never split a word: letters, marks,
// digits and invisible format characters such as the soft hyphen.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.Is(unicode.Cf, r)
}

func isAlpha(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }

func isDigit(r rune) bool { return unicode.IsDigit(r) }

func isAlnum(r rune) bool { return isAlpha(r) || isDigit(r) }

// isApostrophe includes the typographic apostrophe, which English text
// uses in "don’t" as often as the ASCII one.
func isApostrophe(r rune) bool { return r == '\'' || r == '’' }
