package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Smoothing methods for BLEU (Chen and Cherry, 2014), named as in sacreBLEU.
const (
	SmoothExp   = "exp"   // method 3, mteval-v13a's: halve the fallback per zero order
	SmoothFloor = "floor" // method 1: a zero match count becomes SmoothValue
	SmoothAddK  = "add-k" // method 2: add SmoothValue to counts and totals for n > 1
	SmoothNone  = "none"  // no smoothing
)

// Defaults for the BLEU options, as in sacreBLEU.
const (
	DefaultMaxNgramOrder = 4
	DefaultFloorValue    = 0.1
	DefaultAddKValue     = 1.0
)

// BLEUOptions configures BLEU. The zero value is sacreBLEU's default
// corpus BLEU: 13a tokenization, mixed case, exp smoothing, order 4.
type BLEUOptions struct {
	Tokenize     string // tokenizer name; "" means 13a
	Lowercase    bool   // lowercase hypotheses and references first
	SmoothMethod string // "" means exp
	// SmoothValue overrides the floor or add-k value; nil keeps the
	// method's default. Ignored by exp and none.
	SmoothValue *float64
	// EffectiveOrder stops the geometric mean at the highest order with
	// any hypothesis n-grams; use it for sentence-level BLEU.
	EffectiveOrder bool
	MaxNgramOrder  int // 0 means 4
}

// BLEU computes sacreBLEU-compatible BLEU. Create it with NewBLEU; it is
// safe for concurrent use.
type BLEU struct {
	opts        BLEUOptions
	smoothValue float64
	counter     wordCounter
}

// NewBLEU validates opts, fills in defaults and returns the metric.
func NewBLEU(opts BLEUOptions) (*BLEU, error) {
	opts = opts.withDefaults()
	if opts.MaxNgramOrder < 0 {
		return nil, fmt.Errorf("BLEU: max n-gram order %d is negative", opts.MaxNgramOrder)
	}
	tok, err := lookupTokenizer(opts.Tokenize)
	if err != nil {
		return nil, fmt.Errorf("BLEU: %w", err)
	}
	value, err := smoothValue(opts.SmoothMethod, opts.SmoothValue)
	if err != nil {
		return nil, fmt.Errorf("BLEU: %w", err)
	}
	lower := opts.Lowercase
	prep := func(s string) string {
		// sacreBLEU lowercases, strips trailing whitespace, then tokenizes.
		if lower {
			s = pyLower(s)
		}
		return tok(pyRstrip(s))
	}
	return &BLEU{
		opts:        opts,
		smoothValue: value,
		counter:     wordCounter{maxOrder: opts.MaxNgramOrder, prep: prep},
	}, nil
}

// withDefaults replaces zero fields by sacreBLEU's defaults.
func (o BLEUOptions) withDefaults() BLEUOptions {
	if o.Tokenize == "" {
		o.Tokenize = Tokenize13a
	}
	if o.SmoothMethod == "" {
		o.SmoothMethod = SmoothExp
	}
	if o.MaxNgramOrder == 0 {
		o.MaxNgramOrder = DefaultMaxNgramOrder
	}
	return o
}

// smoothValue resolves the smoothing value of a method.
func smoothValue(method string, v *float64) (float64, error) {
	var def float64
	switch method {
	case SmoothExp, SmoothNone:
		return 0, nil
	case SmoothFloor:
		def = DefaultFloorValue
	case SmoothAddK:
		def = DefaultAddKValue
	default:
		return 0, fmt.Errorf("unknown smoothing method %q (want exp, floor, add-k or none)", method)
	}
	if v != nil {
		// A negative or infinite value gives NaN or >100 precisions.
		if !(*v >= 0) || math.IsInf(*v, 0) {
			return 0, fmt.Errorf("smooth value %v for %s: want a finite number >= 0", *v, method)
		}
		return *v, nil
	}
	return def, nil
}

// Options returns the options with defaults filled in.
func (b *BLEU) Options() BLEUOptions { return b.opts }

// SegmentStats returns the statistics of one hypothesis against its
// references. Empty references are skipped; at least one must remain.
func (b *BLEU) SegmentStats(hyp string, refs []string) (Stats, error) {
	if err := checkSegmentUTF8(0, hyp, refs); err != nil {
		return Stats{}, fmt.Errorf("BLEU: %w", err)
	}
	st, err := b.counter.segment(hyp, refs)
	if err != nil {
		return Stats{}, fmt.Errorf("BLEU: %w", err)
	}
	return st, nil
}

// CorpusStats returns the summed statistics of a corpus. refStreams holds
// one stream per reference set, each as long as hyps; a stream may have
// empty lines where a segment has fewer references.
func (b *BLEU) CorpusStats(hyps []string, refStreams [][]string) (Stats, error) {
	st, err := b.counter.corpus(hyps, refStreams)
	if err != nil {
		return Stats{}, fmt.Errorf("BLEU: %w", err)
	}
	return st, nil
}

// CorpusScore is Score(CorpusStats(hyps, refStreams)).
func (b *BLEU) CorpusScore(hyps []string, refStreams [][]string) (BLEUScore, error) {
	st, err := b.CorpusStats(hyps, refStreams)
	if err != nil {
		return BLEUScore{}, err
	}
	return b.Score(st), nil
}

// SentenceScore scores one hypothesis against its references with the
// metric's options; sacreBLEU's sentence_bleu also enables EffectiveOrder.
func (b *BLEU) SentenceScore(hyp string, refs []string) (BLEUScore, error) {
	st, err := b.SegmentStats(hyp, refs)
	if err != nil {
		return BLEUScore{}, err
	}
	return b.Score(st), nil
}

// Signature returns sacreBLEU's reproducibility signature for this metric,
// e.g. "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.2".
// numRefs is Stats.NumRefs; -1 prints as "var".
func (b *BLEU) Signature(numRefs int) string {
	smooth := b.opts.SmoothMethod
	if smooth == SmoothFloor || smooth == SmoothAddK {
		smooth += "[" + strconv.FormatFloat(b.smoothValue, 'f', 2, 64) + "]"
	}
	return strings.Join([]string{
		"nrefs:" + nrefsString(numRefs),
		"case:" + caseString(b.opts.Lowercase),
		"eff:" + yesNo(b.opts.EffectiveOrder),
		"tok:" + b.opts.Tokenize,
		"smooth:" + smooth,
		"version:" + SacreBLEUVersion,
	}, "|")
}

func nrefsString(n int) string {
	if n == -1 {
		return "var"
	}
	return strconv.Itoa(n)
}

func caseString(lower bool) string {
	if lower {
		return "lc"
	}
	return "mixed"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// CorpusBLEU scores a corpus with the given options.
func CorpusBLEU(hyps []string, refStreams [][]string, opts BLEUOptions) (BLEUScore, error) {
	b, err := NewBLEU(opts)
	if err != nil {
		return BLEUScore{}, err
	}
	return b.CorpusScore(hyps, refStreams)
}

// SentenceBLEU scores one sentence as sacreBLEU's sentence_bleu does, that
// is with EffectiveOrder forced on.
func SentenceBLEU(hyp string, refs []string, opts BLEUOptions) (BLEUScore, error) {
	opts.EffectiveOrder = true
	b, err := NewBLEU(opts)
	if err != nil {
		return BLEUScore{}, err
	}
	return b.SentenceScore(hyp, refs)
}

// Stats holds BLEU's sufficient statistics. Statistics of disjoint sets of
// segments add up, so a corpus can be scored in pieces.
type Stats struct {
	Counts  []int // clipped n-gram matches, index n-1 for order n
	Totals  []int // hypothesis n-grams, index n-1 for order n
	SysLen  int   // hypothesis tokens
	RefLen  int   // closest-reference tokens
	NumRefs int   // references per segment; 0 before any, -1 if it varies
}

// NewStats returns empty statistics for n-grams up to maxOrder.
func NewStats(maxOrder int) Stats {
	return Stats{Counts: make([]int, maxOrder), Totals: make([]int, maxOrder)}
}

// Add accumulates o into s. The zero Stats adopts o's order; adding
// statistics of different orders is a programming error and panics.
func (s *Stats) Add(o Stats) {
	if len(s.Counts) == 0 && len(s.Totals) == 0 {
		s.Counts = make([]int, len(o.Counts))
		s.Totals = make([]int, len(o.Totals))
	}
	if len(o.Counts) != 0 || len(o.Totals) != 0 {
		if len(o.Counts) != len(s.Counts) || len(o.Totals) != len(s.Totals) {
			panic(fmt.Sprintf("metrics: adding BLEU stats of order %d to order %d",
				len(o.Counts), len(s.Counts)))
		}
	}
	for i := range o.Counts {
		s.Counts[i] += o.Counts[i]
		s.Totals[i] += o.Totals[i]
	}
	s.SysLen += o.SysLen
	s.RefLen += o.RefLen
	s.NumRefs = mergeNumRefs(s.NumRefs, o.NumRefs)
}

// mergeNumRefs combines per-segment reference counts the way sacreBLEU's
// signature reports them: one count if all agree, "var" (-1) otherwise.
func mergeNumRefs(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0 || a == b:
		return a
	}
	return -1
}

// BLEUScore is a BLEU result with the numbers sacreBLEU reports.
type BLEUScore struct {
	Score      float64   // 0..100
	Counts     []int     // clipped matches per order, before smoothing
	Totals     []int     // hypothesis n-grams per order, before smoothing
	Precisions []float64 // smoothed precisions in percent
	BP         float64   // brevity penalty
	SysLen     int
	RefLen     int
	Ratio      float64 // SysLen / RefLen, 0 without references
	NumRefs    int
}

// Score turns accumulated statistics into a BLEU score.
func (b *BLEU) Score(st Stats) BLEUScore {
	return computeBLEU(st, b.opts.SmoothMethod, b.smoothValue,
		b.opts.EffectiveOrder, b.opts.MaxNgramOrder)
}

// computeBLEU follows sacreBLEU's BLEU.compute_bleu operation by
// operation, so that scores agree to the last bit, not just to 1e-6.
func computeBLEU(st Stats, method string, value float64, effective bool, maxOrder int) BLEUScore {
	counts := padInts(st.Counts, maxOrder)
	totals := padInts(st.Totals, maxOrder)
	s := BLEUScore{
		Counts: counts, Totals: totals, SysLen: st.SysLen, RefLen: st.RefLen,
		Precisions: make([]float64, maxOrder), NumRefs: st.NumRefs,
	}
	if st.RefLen != 0 {
		s.Ratio = float64(st.SysLen) / float64(st.RefLen)
	}
	s.BP = brevityPenalty(st.SysLen, st.RefLen)
	if allZero(counts) {
		return s // no matches at all: 0, whatever the smoothing (sacreBLEU #141)
	}
	smoothMteval := 1.0
	effOrder := maxOrder
	for n := 1; n <= maxOrder; n++ {
		correct, total := float64(counts[n-1]), float64(totals[n-1])
		if method == SmoothAddK && n > 1 {
			correct += value
			total += value
		}
		if total == 0 {
			break
		}
		if effective {
			effOrder = n
		}
		switch {
		case correct != 0:
			s.Precisions[n-1] = 100 * correct / total
		case method == SmoothExp:
			smoothMteval *= 2
			s.Precisions[n-1] = 100 / (smoothMteval * total)
		case method == SmoothFloor:
			s.Precisions[n-1] = 100 * value / total
		}
	}
	sum := 0.0
	for _, p := range s.Precisions[:effOrder] {
		sum += flooredLog(p)
	}
	s.Score = s.BP * math.Exp(sum/float64(effOrder))
	return s
}

// brevityPenalty is exp(1 - r/c) for hypotheses shorter than the
// references, 1 otherwise, and 0 for an empty hypothesis.
func brevityPenalty(sysLen, refLen int) float64 {
	if sysLen >= refLen {
		return 1
	}
	if sysLen == 0 {
		return 0
	}
	return math.Exp(1 - float64(refLen)/float64(sysLen))
}

// flooredLog is sacreBLEU's my_log: log(0) is replaced by a huge negative
// number rather than -Inf, which still drives the score to 0.
func flooredLog(x float64) float64 {
	if x == 0 {
		return -9999999999
	}
	return math.Log(x)
}

func padInts(xs []int, n int) []int {
	out := make([]int, n)
	copy(out, xs)
	return out
}

func allZero(xs []int) bool {
	for _, x := range xs {
		if x != 0 {
			return false
		}
	}
	return true
}

// Verbose returns the part sacreBLEU prints after the score, e.g.
// "59.9/34.0/21.8/14.4 (BP = 1.000 ratio = 1.026 hyp_len = 62873 ref_len = 61287)".
func (s BLEUScore) Verbose() string {
	prec := make([]string, len(s.Precisions))
	for i, p := range s.Precisions {
		prec[i] = strconv.FormatFloat(p, 'f', 1, 64)
	}
	return fmt.Sprintf("%s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
		strings.Join(prec, "/"), s.BP, s.Ratio, s.SysLen, s.RefLen)
}

// Format renders the score as sacreBLEU's text output does, with width
// decimals and, if signature is not empty, "BLEU|signature = ...".
func (s BLEUScore) Format(width int, signature string) string {
	return formatScoreLine("BLEU", signature, s.Score, width) + " " + s.Verbose()
}

// String renders the score as sacreBLEU's BLEUScore does:
// "BLEU = 28.30 59.9/34.0/21.8/14.4 (BP = 1.000 ratio = 1.026 ...)".
func (s BLEUScore) String() string { return s.Format(2, "") }

// formatScoreLine renders "name|signature = score" (or "name = score").
func formatScoreLine(name, signature string, score float64, width int) string {
	if signature != "" {
		name += "|" + signature
	}
	return name + " = " + FormatScore(score, width)
}

// FormatScore prints a score with width decimals, as Python's
// f"{score:.{width}f}" does (both round the exact binary value correctly).
func FormatScore(score float64, width int) string {
	if width < 0 {
		width = 0
	}
	return strconv.FormatFloat(score, 'f', width, 64)
}
