package metrics

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Defaults for chrF, as in sacreBLEU: chrF2 over character 6-grams.
const (
	DefaultCHRFCharOrder = 6
	DefaultCHRFWordOrder = 0 // 2 gives chrF++
	DefaultCHRFBeta      = 2
)

// CHRFOptions configures chrF. Fields are taken literally; start from
// DefaultCHRFOptions and change what differs.
type CHRFOptions struct {
	CharOrder  int  // character n-gram order
	WordOrder  int  // word n-gram order; 2 is chrF++
	Beta       int  // recall weight
	Lowercase  bool // case-insensitive
	Whitespace bool // keep whitespace inside character n-grams
	// EpsSmoothing averages per-order F-scores with epsilon smoothing as
	// chrF++.py, NLTK and Moses do, instead of sacreBLEU's default
	// effective-order averaging of precision and recall.
	EpsSmoothing bool
}

// DefaultCHRFOptions returns sacreBLEU's default chrF2 options.
func DefaultCHRFOptions() CHRFOptions {
	return CHRFOptions{CharOrder: DefaultCHRFCharOrder, WordOrder: DefaultCHRFWordOrder, Beta: DefaultCHRFBeta}
}

// CHRF computes sacreBLEU-compatible chrF and chrF++. It is safe for
// concurrent use.
type CHRF struct {
	opts CHRFOptions
}

// NewCHRF validates opts and returns the metric.
func NewCHRF(opts CHRFOptions) (*CHRF, error) {
	if opts.CharOrder < 0 || opts.WordOrder < 0 || opts.CharOrder+opts.WordOrder == 0 {
		return nil, fmt.Errorf("chrF: need non-negative orders, not both zero (char %d, word %d)",
			opts.CharOrder, opts.WordOrder)
	}
	if opts.Beta < 0 {
		return nil, fmt.Errorf("chrF: beta %d is negative", opts.Beta)
	}
	return &CHRF{opts: opts}, nil
}

// Options returns the metric's options.
func (c *CHRF) Options() CHRFOptions { return c.opts }

// CHRFStats holds chrF's sufficient statistics: for every order (the
// character orders first, then the word orders) the hypothesis n-gram
// count, the reference n-gram count and the matches.
type CHRFStats struct {
	Counts  []int // 3 per order: hyp, ref, match
	NumRefs int   // references per segment; 0 before any, -1 if it varies
}

// Add accumulates o into s; the zero CHRFStats adopts o's layout. Adding
// statistics of different orders is a programming error and panics.
func (s *CHRFStats) Add(o CHRFStats) {
	if len(s.Counts) == 0 {
		s.Counts = make([]int, len(o.Counts))
	}
	if len(o.Counts) != 0 && len(o.Counts) != len(s.Counts) {
		panic(fmt.Sprintf("metrics: adding chrF stats of %d orders to %d orders",
			len(o.Counts)/3, len(s.Counts)/3))
	}
	for i, v := range o.Counts {
		s.Counts[i] += v
	}
	s.NumRefs = mergeNumRefs(s.NumRefs, o.NumRefs)
}

// chrfPuncts is Python's string.punctuation, which chrF++ splits off words.
const chrfPuncts = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// splitPunctuation separates one leading or trailing punctuation mark
// from each word, as sacreBLEU's CHRF._remove_punctuation does: a trailing
// mark wins over a leading one, so "(hi)" becomes "(hi" and ")".
func splitPunctuation(sent string) []string {
	words := pyFields(sent)
	out := make([]string, 0, len(words)+len(words)/2)
	for _, w := range words {
		// The marks are ASCII, so byte tests on the ends are rune tests.
		switch {
		case utf8.RuneCountInString(w) == 1:
			out = append(out, w)
		case strings.IndexByte(chrfPuncts, w[len(w)-1]) >= 0:
			out = append(out, w[:len(w)-1], w[len(w)-1:])
		case strings.IndexByte(chrfPuncts, w[0]) >= 0:
			out = append(out, w[:1], w[1:])
		default:
			out = append(out, w)
		}
	}
	return out
}

// charNgrams counts character n-grams of orders 1..maxOrder, one map per
// order. Keys are substrings of s; rune offsets keep them whole runes.
func charNgrams(s string, maxOrder int) []map[string]int {
	offs := make([]int, 0, len(s)+1)
	for i := range s {
		offs = append(offs, i)
	}
	offs = append(offs, len(s))
	n := len(offs) - 1
	out := make([]map[string]int, maxOrder)
	for order := 1; order <= maxOrder; order++ {
		m := make(map[string]int, n)
		for i := 0; i+order <= n; i++ {
			m[s[offs[i]:offs[i+order]]]++
		}
		out[order-1] = m
	}
	return out
}

// wordNgramsByOrder counts word n-grams of orders 1..maxOrder, one map
// per order, keyed by the space-joined words.
func wordNgramsByOrder(words []string, maxOrder int) []map[string]int {
	out := make([]map[string]int, maxOrder)
	for order := 1; order <= maxOrder; order++ {
		m := make(map[string]int, len(words))
		for i := 0; i+order <= len(words); i++ {
			m[strings.Join(words[i:i+order], " ")]++
		}
		out[order-1] = m
	}
	return out
}

// extract returns the n-gram counts of one preprocessed segment for all
// orders, character orders first.
func (c *CHRF) extract(s string) []map[string]int {
	chars := s
	if !c.opts.Whitespace {
		chars = pyRemoveSpace(s)
	}
	grams := charNgrams(chars, c.opts.CharOrder)
	if c.opts.WordOrder > 0 {
		grams = append(grams, wordNgramsByOrder(splitPunctuation(s), c.opts.WordOrder)...)
	}
	return grams
}

// matchStats compares hypothesis and reference counts order by order.
func matchStats(hyp, ref []map[string]int) []int {
	stats := make([]int, 0, 3*len(hyp))
	for i := range hyp {
		hypCount, refCount, match := 0, 0, 0
		for g, n := range hyp[i] {
			hypCount += n
			if r := ref[i][g]; r > 0 {
				match += min(n, r)
			}
		}
		for _, n := range ref[i] {
			refCount += n
		}
		if len(ref[i]) == 0 {
			// sacreBLEU does not count hypothesis n-grams of an order the
			// reference is too short to have.
			hypCount = 0
		}
		stats = append(stats, hypCount, refCount, match)
	}
	return stats
}

func (c *CHRF) prep(s string) string {
	if c.opts.Lowercase {
		return pyLower(s)
	}
	return s
}

// segment computes the statistics of one UTF-8-checked segment. With
// several references, the one with the best sentence-level score wins
// (the first on ties).
func (c *CHRF) segment(hyp string, refs []string) (CHRFStats, error) {
	refs = nonEmpty(refs)
	if len(refs) == 0 {
		return CHRFStats{}, errNoReference
	}
	hypGrams := c.extract(c.prep(hyp))
	var best []int
	bestF := -1.0
	for _, r := range refs {
		stats := matchStats(hypGrams, c.extract(c.prep(r)))
		if f := c.fScore(stats); f > bestF {
			best, bestF = stats, f
		}
	}
	return CHRFStats{Counts: best, NumRefs: len(refs)}, nil
}

// SegmentStats returns the statistics of one hypothesis against its
// references. Empty references are skipped; at least one must remain.
func (c *CHRF) SegmentStats(hyp string, refs []string) (CHRFStats, error) {
	if err := checkSegmentUTF8(0, hyp, refs); err != nil {
		return CHRFStats{}, fmt.Errorf("chrF: %w", err)
	}
	st, err := c.segment(hyp, refs)
	if err != nil {
		return CHRFStats{}, fmt.Errorf("chrF: %w", err)
	}
	return st, nil
}

// CorpusStats sums segment statistics over a corpus; see BLEU.CorpusStats
// for the layout of refStreams.
func (c *CHRF) CorpusStats(hyps []string, refStreams [][]string) (CHRFStats, error) {
	if err := checkStreams(len(hyps), refStreams); err != nil {
		return CHRFStats{}, fmt.Errorf("chrF: %w", err)
	}
	total := CHRFStats{Counts: make([]int, 3*(c.opts.CharOrder+c.opts.WordOrder))}
	var refs []string
	for i, h := range hyps {
		refs = gatherRefs(refs, refStreams, i)
		if err := checkSegmentUTF8(i+1, h, refs); err != nil {
			return CHRFStats{}, fmt.Errorf("chrF: %w", err)
		}
		st, err := c.segment(h, refs)
		if err != nil {
			return CHRFStats{}, fmt.Errorf("chrF: line %d: %w", i+1, err)
		}
		total.Add(st)
	}
	return total, nil
}

// CorpusScore is Score(CorpusStats(hyps, refStreams)).
func (c *CHRF) CorpusScore(hyps []string, refStreams [][]string) (CHRFScore, error) {
	st, err := c.CorpusStats(hyps, refStreams)
	if err != nil {
		return CHRFScore{}, err
	}
	return c.Score(st), nil
}

// SentenceScore scores one hypothesis against its references.
func (c *CHRF) SentenceScore(hyp string, refs []string) (CHRFScore, error) {
	st, err := c.SegmentStats(hyp, refs)
	if err != nil {
		return CHRFScore{}, err
	}
	return c.Score(st), nil
}

// CHRFScore is a chrF result.
type CHRFScore struct {
	Name    string  // "chrF2", "chrF2++", ...
	Score   float64 // 0..100
	NumRefs int
}

// Score turns accumulated statistics into a chrF score.
func (c *CHRF) Score(st CHRFStats) CHRFScore {
	return CHRFScore{Name: c.Name(), Score: c.fScore(st.Counts), NumRefs: st.NumRefs}
}

// Name is sacreBLEU's metric name: "chrF" + beta + one "+" per word order.
func (c *CHRF) Name() string {
	return "chrF" + strconv.Itoa(c.opts.Beta) + strings.Repeat("+", c.opts.WordOrder)
}

// fScore is sacreBLEU 2.x's CHRF._compute_f_score, operation by operation.
func (c *CHRF) fScore(stats []int) float64 {
	const eps = 1e-16
	order := c.opts.CharOrder + c.opts.WordOrder
	factor := float64(c.opts.Beta * c.opts.Beta)
	score, avgPrec, avgRec := 0.0, 0.0, 0.0
	effOrder := 0
	for i := 0; i < order; i++ {
		nHyp, nRef, nMatch := 0, 0, 0
		if 3*i+2 < len(stats) {
			nHyp, nRef, nMatch = stats[3*i], stats[3*i+1], stats[3*i+2]
		}
		prec, rec := eps, eps
		if nHyp > 0 {
			prec = float64(nMatch) / float64(nHyp)
		}
		if nRef > 0 {
			rec = float64(nMatch) / float64(nRef)
		}
		if denom := factor*prec + rec; denom > 0 {
			score += (1 + factor) * prec * rec / denom
		} else {
			score += eps
		}
		if nHyp > 0 && nRef > 0 {
			avgPrec += prec
			avgRec += rec
			effOrder++
		}
	}
	if c.opts.EpsSmoothing {
		return 100 * score / float64(order)
	}
	if effOrder == 0 {
		return 0
	}
	avgPrec /= float64(effOrder)
	avgRec /= float64(effOrder)
	if avgPrec+avgRec == 0 {
		return 0
	}
	score = (1 + factor) * avgPrec * avgRec
	score /= factor*avgPrec + avgRec
	return 100 * score
}

// Signature returns sacreBLEU's chrF signature, e.g.
// "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.2".
func (c *CHRF) Signature(numRefs int) string {
	return strings.Join([]string{
		"nrefs:" + nrefsString(numRefs),
		"case:" + caseString(c.opts.Lowercase),
		"eff:" + yesNo(!c.opts.EpsSmoothing),
		"nc:" + strconv.Itoa(c.opts.CharOrder),
		"nw:" + strconv.Itoa(c.opts.WordOrder),
		"space:" + yesNo(c.opts.Whitespace),
		"version:" + SacreBLEUVersion,
	}, "|")
}

// Format renders the score as sacreBLEU's text output does.
func (s CHRFScore) Format(width int, signature string) string {
	return formatScoreLine(s.Name, signature, s.Score, width)
}

// String renders the score with two decimals, e.g. "chrF2 = 56.94".
func (s CHRFScore) String() string { return s.Format(2, "") }

// CorpusCHRF scores a corpus with the given options.
func CorpusCHRF(hyps []string, refStreams [][]string, opts CHRFOptions) (CHRFScore, error) {
	c, err := NewCHRF(opts)
	if err != nil {
		return CHRFScore{}, err
	}
	return c.CorpusScore(hyps, refStreams)
}

// SentenceCHRF scores one sentence with the given options.
func SentenceCHRF(hyp string, refs []string, opts CHRFOptions) (CHRFScore, error) {
	c, err := NewCHRF(opts)
	if err != nil {
		return CHRFScore{}, err
	}
	return c.SentenceScore(hyp, refs)
}
