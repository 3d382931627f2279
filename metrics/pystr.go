package metrics

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The helpers in this file mirror the Python str methods sacreBLEU calls.
// Go's strings package disagrees with Python on a handful of code points,
// and any disagreement changes token boundaries and therefore scores.

// pyIsSpace reports whether Python's str.isspace holds for r. Python counts
// the information separators U+001C..U+001F as whitespace (their bidi class
// is B or S); Go's unicode.IsSpace does not. Everything else agrees.
func pyIsSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSpace[r]
	}
	return unicode.IsSpace(r)
}

// asciiSpace marks the ASCII bytes Python's str.isspace accepts.
var asciiSpace = [utf8.RuneSelf]bool{
	' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true,
	0x1c: true, 0x1d: true, 0x1e: true, 0x1f: true,
}

// pyFields splits s like Python's s.split() with no arguments. It is the
// innermost loop of every metric, hence the ASCII fast path.
func pyFields(s string) []string {
	fields := make([]string, 0, len(s)/5+1)
	start := -1 // start of the current field, -1 between fields
	for i := 0; i < len(s); {
		c := s[i]
		size := 1
		var space bool
		if c < utf8.RuneSelf {
			space = asciiSpace[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
		}
		switch {
		case space && start >= 0:
			fields = append(fields, s[start:i])
			start = -1
		case !space && start < 0:
			start = i
		}
		i += size
	}
	if start >= 0 {
		fields = append(fields, s[start:])
	}
	return fields
}

// pyRstrip trims trailing whitespace like Python's s.rstrip().
func pyRstrip(s string) string {
	return strings.TrimRightFunc(s, pyIsSpace)
}

// pyJoinFields is Python's ' '.join(s.split()): whitespace runs collapsed
// to one space, no leading or trailing space.
func pyJoinFields(s string) string {
	return strings.Join(pyFields(s), " ")
}

// pyRemoveSpace is Python's "".join(s.split()).
func pyRemoveSpace(s string) string {
	if !strings.ContainsFunc(s, pyIsSpace) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !pyIsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// pyLower lowercases s like Python's s.lower(). Python applies the full
// (SpecialCasing) mapping, which differs from Go's simple mapping in two
// places: U+0130 becomes "i\u0307", and capital sigma becomes final sigma
// at the end of a word.
func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			b.WriteRune(lowerSigma(rs, i))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// lowerSigma implements Unicode's Final_Sigma condition the way CPython
// does: rs[i] is final when a cased letter precedes it and none follows it,
// skipping case-ignorable characters in both directions.
func lowerSigma(rs []rune, i int) rune {
	j := i - 1
	for j >= 0 && isCaseIgnorable(rs[j]) {
		j--
	}
	final := j >= 0 && isCased(rs[j])
	if final {
		k := i + 1
		for k < len(rs) && isCaseIgnorable(rs[k]) {
			k++
		}
		final = k == len(rs) || !isCased(rs[k])
	}
	if final {
		return 0x3c2
	}
	return 0x3c3
}

// isCased is Unicode's derived property Cased.
func isCased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt,
		unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// wordBreakIgnorable lists the Word_Break values MidLetter, MidNumLet and
// Single_Quote, which Unicode folds into Case_Ignorable.
var wordBreakIgnorable = map[rune]bool{
	0x27: true, 0x2e: true, 0x3a: true, 0xb7: true, 0x387: true,
	0x55f: true, 0x5f4: true, 0x2018: true, 0x2019: true, 0x2024: true,
	0x2027: true, 0xfe13: true, 0xfe52: true, 0xfe55: true, 0xff07: true,
	0xff0e: true, 0xff1a: true,
}

// isCaseIgnorable is Unicode's derived property Case_Ignorable.
func isCaseIgnorable(r rune) bool {
	return wordBreakIgnorable[r] ||
		unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
