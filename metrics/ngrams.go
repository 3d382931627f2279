package metrics

import (
	"fmt"
	"strings"
)

// nonEmpty drops empty references. sacreBLEU treats "" as "no reference
// for this segment in this stream", which is how streams with different
// numbers of references per segment are expressed.
func nonEmpty(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

// gatherRefs collects segment i of every stream into buf.
func gatherRefs(buf []string, refStreams [][]string, i int) []string {
	buf = buf[:0]
	for _, s := range refStreams {
		buf = append(buf, s[i])
	}
	return buf
}

// tokenSpans returns the tokens of s (split on whitespace) joined by
// single spaces, and each token's byte offsets in the joined string, so
// that every n-gram is a substring and needs no allocation of its own.
// Tokens never contain whitespace, so the joined form of an n-gram is
// unique and n-grams of different orders never collide.
func tokenSpans(s string) (joined string, starts, ends []int) {
	toks := pyFields(s)
	starts = make([]int, len(toks))
	ends = make([]int, len(toks))
	pos := 0
	for i, t := range toks {
		starts[i] = pos
		ends[i] = pos + len(t)
		pos = ends[i] + 1
	}
	return strings.Join(toks, " "), starts, ends
}

// countWordNgrams counts the word n-grams of orders 1..maxOrder of s and
// returns them with the token count. N-grams containing the token drop are
// left out (fairseq never lets an unknown-word reference token match).
func countWordNgrams(s string, maxOrder int, drop string) (map[string]int, int) {
	joined, starts, ends := tokenSpans(s)
	n := len(starts)
	counts := make(map[string]int, n*maxOrder)
	for order := 1; order <= maxOrder; order++ {
		for i := 0; i+order <= n; i++ {
			g := joined[starts[i]:ends[i+order-1]]
			if drop != "" && hasToken(g, drop) {
				continue
			}
			counts[g]++
		}
	}
	return counts, n
}

// hasToken reports whether the space-joined n-gram g contains token t.
func hasToken(g, t string) bool {
	if !strings.Contains(g, t) {
		return false
	}
	for _, f := range strings.Split(g, " ") {
		if f == t {
			return true
		}
	}
	return false
}

// matchWordNgrams adds the clipped matches and the n-gram totals of the
// hypothesis h against the merged reference counts ref to correct and
// total, and returns the hypothesis length in tokens. Clipping counts
// occurrences: the k-th occurrence of an n-gram matches only if the
// references hold at least k of it, which sums to min(hyp, ref) counts.
func matchWordNgrams(h string, ref map[string]int, correct, total []int) int {
	joined, starts, ends := tokenSpans(h)
	n := len(starts)
	seen := make(map[string]int, n*len(total))
	for order := 1; order <= len(total); order++ {
		for i := 0; i+order <= n; i++ {
			g := joined[starts[i]:ends[i+order-1]]
			total[order-1]++
			c := seen[g]
			if c < ref[g] {
				correct[order-1]++
			}
			seen[g] = c + 1
		}
	}
	return n
}

// closestRefLen picks the reference length closest to the hypothesis
// length, preferring the shorter reference on ties, as sacreBLEU and
// multi-bleu.perl do.
func closestRefLen(hypLen int, refLens []int) int {
	best, bestDiff := -1, -1
	for _, l := range refLens {
		d := hypLen - l
		if d < 0 {
			d = -d
		}
		if bestDiff == -1 || d < bestDiff || (d == bestDiff && l < best) {
			best, bestDiff = l, d
		}
	}
	return best
}

// wordCounter extracts BLEU's sufficient statistics; BLEU and
// TokenizedBLEU differ only in preprocessing and the dropped token.
type wordCounter struct {
	prep     func(string) string
	maxOrder int
	drop     string
}

// segment computes the statistics of one hypothesis against its
// references, which must already be UTF-8 checked.
func (c *wordCounter) segment(hyp string, refs []string) (Stats, error) {
	refs = nonEmpty(refs)
	if len(refs) == 0 {
		return Stats{}, errNoReference
	}
	var merged map[string]int
	refLens := make([]int, len(refs))
	for k, r := range refs {
		counts, n := countWordNgrams(c.prep(r), c.maxOrder, c.drop)
		refLens[k] = n
		if merged == nil {
			merged = counts
			continue
		}
		// Clip against the most generous reference for each n-gram.
		for g, v := range counts {
			if v > merged[g] {
				merged[g] = v
			}
		}
	}
	st := NewStats(c.maxOrder)
	st.SysLen = matchWordNgrams(c.prep(hyp), merged, st.Counts, st.Totals)
	st.RefLen = closestRefLen(st.SysLen, refLens)
	st.NumRefs = len(refs)
	return st, nil
}

// corpus sums segment statistics over parallel streams.
func (c *wordCounter) corpus(hyps []string, refStreams [][]string) (Stats, error) {
	if err := checkStreams(len(hyps), refStreams); err != nil {
		return Stats{}, err
	}
	total := NewStats(c.maxOrder)
	var refs []string
	for i, h := range hyps {
		refs = gatherRefs(refs, refStreams, i)
		if err := checkSegmentUTF8(i+1, h, refs); err != nil {
			return Stats{}, err
		}
		st, err := c.segment(h, refs)
		if err != nil {
			return Stats{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		total.Add(st)
	}
	return total, nil
}
