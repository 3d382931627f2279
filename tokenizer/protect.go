package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// span is a byte range of a chunk that must stay one token.
type span struct{ start, end int }

// protectedSpans finds URLs and e-mail addresses in a chunk (a run without
// whitespace), left to right and without overlap, so that their
// punctuation is not split off.
func protectedSpans(chunk string) []span {
	if !strings.Contains(chunk, "://") && !strings.Contains(chunk, "@") &&
		!strings.Contains(chunk, "www.") && !strings.Contains(chunk, "WWW.") {
		return nil // the common case, kept cheap
	}
	var out []span
	for pos := 0; pos < len(chunk); {
		s, ok := nextProtected(chunk, pos)
		if !ok {
			break
		}
		out = append(out, s)
		pos = s.end
	}
	return out
}

// nextProtected returns the first URL or address starting at or after pos.
func nextProtected(c string, pos int) (span, bool) {
	for i := pos; i < len(c); {
		if end := urlAt(c, i, pos); end > i {
			return span{i, end}, true
		}
		if end := emailAt(c, i, pos); end > i {
			return span{i, end}, true
		}
		_, n := utf8.DecodeRuneInString(c[i:])
		i += n
	}
	return span{}, false
}

// startsToken reports whether a URL or address may begin at i: at the
// search start or after a character that cannot be part of one.
func startsToken(c string, i, pos int) bool {
	if i == pos {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(c[:i])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("+.-_%", r)
}

// urlAt matches "scheme://rest" or "www.rest" at i and returns its end.
func urlAt(c string, i, pos int) int {
	if !startsToken(c, i, pos) {
		return i
	}
	rest := c[i:]
	body := 0
	switch {
	case hasPrefixFold(rest, "www.") && len(rest) > 4:
		body = 4
	default:
		j := 0
		for j < len(rest) && (isASCIIAlnum(rest[j]) || strings.IndexByte("+.-", rest[j]) >= 0) {
			j++
		}
		if j == 0 || !isASCIILetter(rest[0]) || !strings.HasPrefix(rest[j:], "://") {
			return i
		}
		body = j + 3
	}
	end := body
	for end < len(rest) {
		r, n := utf8.DecodeRuneInString(rest[end:])
		if !isURLRune(r) {
			break
		}
		end += n
	}
	end = trimURLEnd(rest, body, end)
	if end <= body {
		return i
	}
	return i + end
}

func isURLRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
		strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r)
}

// trimURLEnd drops trailing characters that end sentences rather than
// URLs, and a closing bracket that has no opening one inside the URL.
func trimURLEnd(s string, body, end int) int {
	for end > body {
		r, n := utf8.DecodeLastRuneInString(s[:end])
		switch {
		case strings.ContainsRune(".,;:!?'", r):
		case r == ')' && strings.Count(s[:end], "(") < strings.Count(s[:end], ")"):
		case r == ']' && strings.Count(s[:end], "[") < strings.Count(s[:end], "]"):
		default:
			return end
		}
		end -= n
	}
	return end
}

// emailAt matches local@domain.tld at i, the domain having at least one
// inner dot, and returns its end.
func emailAt(c string, i, pos int) int {
	if !startsToken(c, i, pos) {
		return i
	}
	at := i
	for at < len(c) {
		r, n := utf8.DecodeRuneInString(c[at:])
		if !isLocalRune(r) {
			break
		}
		at += n
	}
	if at == i || at >= len(c) || c[at] != '@' || c[i] == '.' || c[at-1] == '.' {
		return i
	}
	end, labels := at+1, 0
	for {
		l := labelEnd(c, end)
		if l == end {
			break
		}
		labels++
		if l < len(c)-1 && c[l] == '.' && labelEnd(c, l+1) > l+1 {
			end = l + 1
			continue
		}
		end = l
		break
	}
	if labels < 2 {
		return i
	}
	return end
}

func isLocalRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._%+-", r)
}

// labelEnd returns the end of the domain label (letters, digits, "-")
// starting at i.
func labelEnd(c string, i int) int {
	for i < len(c) {
		r, n := utf8.DecodeRuneInString(c[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
			break
		}
		i += n
	}
	return i
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

func isASCIIAlnum(b byte) bool { return isASCIILetter(b) || (b >= '0' && b <= '9') }
