package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// quoteRules describe a language's quotation marks: which closes which,
// which may open, and which (" and ') do both, so that the detokenizer can
// attach an opening mark to the next token and a closing one to the
// previous.
type quoteRules struct {
	closes map[rune]string // closer -> the openers it closes
	opens  string
	// openIfClosed lists openers that also serve as closers (German “):
	// they open only when their English partner follows in the line.
	openIfClosed map[rune]rune
}

const selfPairing = `"'`

func quoteRulesFor(lang string) quoteRules {
	switch lang {
	case "de":
		return quoteRules{
			closes:       map[rune]string{'“': "„", '‘': "‚", '«': "»", '‹': "›", '”': "“„", '’': "‘‚"},
			opens:        "„‚»›“‘",
			openIfClosed: map[rune]rune{'“': '”', '‘': '’'},
		}
	case "fr":
		// French guillemets take inner spaces, so they are spaced like
		// words rather than treated as quotes.
		return quoteRules{
			closes: map[rune]string{'”': "“", '’': "‘"},
			opens:  "“‘",
		}
	}
	return quoteRules{
		closes: map[rune]string{'”': "“„", '’': "‘‚", '»': "«", '›': "‹", '“': "„"},
		opens:  "“‘«‹„‚",
	}
}

func (qr *quoteRules) isQuote(r rune) bool {
	_, closer := qr.closes[r]
	return closer || strings.ContainsRune(qr.opens, r) || strings.ContainsRune(selfPairing, r)
}

// quoteState pairs quotation marks while a line is laid out.
type quoteState struct {
	rules *quoteRules
	toks  []string
	stack []rune
	// closedAt is the index of the last closing mark, -1 before any.
	closedAt int
	// ahead counts, for each closer in rules.openIfClosed, its standalone
	// occurrences after the current token, so that the check costs O(1).
	ahead map[rune]int
	pos   int
}

func newQuoteState(rules *quoteRules, toks []string) *quoteState {
	q := &quoteState{rules: rules, toks: toks, closedAt: -1}
	if len(rules.openIfClosed) == 0 {
		return q
	}
	q.ahead = map[rune]int{}
	for _, tok := range toks {
		for _, closer := range rules.openIfClosed {
			if tok == string(closer) {
				q.ahead[closer]++
			}
		}
	}
	return q
}

// advance moves the lookahead past token i; calls come with increasing i
// because layout runs left to right.
func (q *quoteState) advance(i int) {
	for ; q.pos <= i && q.ahead != nil; q.pos++ {
		if r, size := utf8.DecodeRuneInString(q.toks[q.pos]); size == len(q.toks[q.pos]) && q.ahead[r] > 0 {
			q.ahead[r]--
		}
	}
}

// open reports whether the mark r at token i opens a quotation.
func (q *quoteState) open(r rune, i int) bool {
	if q.closeOpen(r) {
		return false
	}
	self := strings.ContainsRune(selfPairing, r)
	switch {
	case self && q.closingContext(i):
		return false // an unpaired mark before "," or at the end closes
	case self:
	case !strings.ContainsRune(q.rules.opens, r):
		return false
	case q.rules.openIfClosed[r] != 0 && !q.followedBy(q.rules.openIfClosed[r], i):
		return false
	}
	q.stack = append(q.stack, r)
	return true
}

// maxQuoteDepth bounds how deep a closing mark looks for its opener:
// real text nests quotations two or three deep, and an unbounded search
// would make a line of thousands of open marks quadratic.
const maxQuoteDepth = 4

// closeOpen pops the innermost open quotation that r closes, if any.
func (q *quoteState) closeOpen(r rune) bool {
	openers := q.rules.closes[r]
	if strings.ContainsRune(selfPairing, r) {
		openers = string(r)
	}
	for d := len(q.stack) - 1; d >= 0 && d >= len(q.stack)-maxQuoteDepth; d-- {
		if strings.ContainsRune(openers, q.stack[d]) {
			q.stack = q.stack[:d]
			return true
		}
	}
	return false
}

// closingContext reports where a mark that opens nothing can only be a
// closing one: at the end of the line or right before a comma or period.
func (q *quoteState) closingContext(i int) bool {
	return i == len(q.toks)-1 || allIn(q.toks[i+1], closingPunct) && !isDots(q.toks[i+1])
}

// followedBy reports whether a standalone r comes after token i.
func (q *quoteState) followedBy(r rune, i int) bool {
	q.advance(i)
	return q.ahead[r] > 0
}
