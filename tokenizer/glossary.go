package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
)

// glossary is one --glossaries expression compiled three ways, to keep the
// exact semantics of subword-nmt's isolate_glossary.
type glossary struct {
	whole *regexp.Regexp // re.match('^' + g + '$', word)
	any   *regexp.Regexp // re.search(g, word)
}

func (b *BPE) compileGlossaries(exprs []string) error {
	for _, g := range exprs {
		// Not grouped, as in subword-nmt: "a|b" means "^a" or "b$", both
		// tried from the word's start because re.match anchors there.
		whole, err := regexp.Compile(`^(?:^` + g + `$)`)
		if err != nil {
			return fmt.Errorf("bpe glossary %q: %w", g, err)
		}
		b.gloss = append(b.gloss, glossary{whole, regexp.MustCompile(g)})
	}
	if len(exprs) > 0 {
		b.glossRe = regexp.MustCompile(`^(?:` + strings.Join(exprs, "|") + `)$`)
	}
	return nil
}

// isolateGlossaries cuts every glossary match out of word, so that
// "1934USABUSA" with glossary "USA" becomes 1934, USA, B, USA.
func (b *BPE) isolateGlossaries(word string) []string {
	parts := []string{word}
	for _, g := range b.gloss {
		var next []string
		for _, p := range parts {
			next = append(next, g.isolate(p)...)
		}
		parts = next
	}
	return parts
}

func (g glossary) isolate(word string) []string {
	if g.whole.MatchString(word) || !g.any.MatchString(word) {
		return []string{word}
	}
	var out []string
	last := 0
	for _, m := range g.any.FindAllStringIndex(word, -1) {
		out = appendNonEmpty(out, word[last:m[0]], word[m[0]:m[1]])
		last = m[1]
	}
	if ending := word[last:]; ending != "" {
		out = append(out, strings.Trim(ending, "\r\n "))
	}
	return out
}

func appendNonEmpty(out []string, items ...string) []string {
	for _, s := range items {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
