package nmt

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// GenerateConfig sets up greedy and beam search, with fairseq-generate's
// option names and defaults.
type GenerateConfig struct {
	// Beam is the number of hypotheses kept per sentence (and returned).
	// Greedy ignores it. Default 5.
	Beam int `mapstructure:"beam"`
	// LenPenalty ranks finished hypotheses by score / length^LenPenalty,
	// the length counting EOS: above 1 favours longer output. Default 1.
	LenPenalty float64 `mapstructure:"lenpen"`
	// MaxLenA and MaxLenB cap the output at MaxLenA·S + MaxLenB tokens
	// before EOS, S being the (padded) source length of the batch, and
	// never beyond max_positions - 1. Defaults 0 and 200.
	MaxLenA float64 `mapstructure:"max_len_a"`
	MaxLenB int     `mapstructure:"max_len_b"`
	// MinLen is the fewest tokens before EOS. Default 1.
	MinLen int `mapstructure:"min_len"`
}

// DefaultGenerateConfig returns fairseq-generate's defaults.
func DefaultGenerateConfig() GenerateConfig {
	return GenerateConfig{Beam: 5, LenPenalty: 1, MaxLenB: 200, MinLen: 1}
}

// Validate checks g for a target vocabulary of vocab symbols (beam search
// needs Beam+2 of them to always have Beam live candidates).
func (g GenerateConfig) Validate(vocab int64) error {
	switch {
	case g.Beam < 1:
		return fmt.Errorf("generate: beam = %d: want at least 1", g.Beam)
	case int64(g.Beam)+2 > vocab:
		return fmt.Errorf("generate: beam = %d needs a target vocabulary of at least %d, have %d", g.Beam, g.Beam+2, vocab)
	case math.IsNaN(g.LenPenalty) || math.IsInf(g.LenPenalty, 0):
		return fmt.Errorf("generate: lenpen = %v: want a finite number", g.LenPenalty)
	case !(g.MaxLenA >= 0) || g.MaxLenB < 0 || g.MinLen < 0:
		return fmt.Errorf("generate: max_len_a = %v, max_len_b = %d, min_len = %d: want non-negative values", g.MaxLenA, g.MaxLenB, g.MinLen)
	}
	return nil
}

// Hypothesis is one finished output.
type Hypothesis struct {
	Tokens           []int64   // generated tokens, ending with EOS
	Score            float64   // sum of PositionalScores / len(Tokens)^lenpen
	PositionalScores []float64 // log-probability of each token
}

// Greedy decodes src [B, S] by taking the most likely token at each
// step, with GenerateConfig's length limits; it returns one hypothesis
// per sentence. Finished sentences leave the batch.
func (m *Model) Greedy(src *ts.Tensor, g GenerateConfig) (out []Hypothesis, err error) {
	return m.GreedyContext(context.Background(), src, g)
}

// GreedyContext is Greedy that gives up between decoding steps once ctx
// is done, returning ctx's error (see GenerateContext).
func (m *Model) GreedyContext(ctx context.Context, src *ts.Tensor, g GenerateConfig) (out []Hypothesis, err error) {
	defer torch.Recover(&err)
	g.Beam = 1
	if err := g.Validate(m.cfg.TgtVocab); err != nil {
		return nil, err
	}
	torch.NoGrad(func() {
		sc, s, n := m.startSearch(ctx, src, g)
		defer sc.st.Free()
		out = s.greedy(sc, n)
	})
	return out, nil
}

// Generate runs beam search on src [B, S] and returns, per sentence, up
// to Beam finished hypotheses, best first. It follows fairseq's
// SequenceGenerator: 2·Beam candidates per step; an EOS among the best
// Beam candidates finishes that hypothesis; a sentence stops once it has
// Beam finished hypotheses (or at the length cap, where every live beam
// gets EOS), and its rows leave the batch, so no step is spent on
// finished sentences. As in fairseq, a sentence stops at Beam finished
// hypotheses even if a live beam would have scored better, so a very
// sharp model can finish with junk (MinLen guards against it). Step 0
// runs one row per sentence, since all beams are still identical.
func (m *Model) Generate(src *ts.Tensor, g GenerateConfig) (out [][]Hypothesis, err error) {
	return m.GenerateContext(context.Background(), src, g)
}

// GenerateContext is Generate that gives up between decoding steps once
// ctx is done, returning ctx's error: on a CPU one batch of a test set
// (a few hundred sentences, beam 5, up to 200 steps) takes minutes, and
// Ctrl-C must not wait for it.
func (m *Model) GenerateContext(ctx context.Context, src *ts.Tensor, g GenerateConfig) (out [][]Hypothesis, err error) {
	defer torch.Recover(&err)
	if err := g.Validate(m.cfg.TgtVocab); err != nil {
		return nil, err
	}
	torch.NoGrad(func() {
		sc, s, n := m.startSearch(ctx, src, g)
		defer sc.st.Free()
		out = s.beam(sc, n)
	})
	return out, nil
}

// startSearch encodes src and returns the scorer, the search settings
// (cancelled with ctx) and the batch size.
func (m *Model) startSearch(ctx context.Context, src *ts.Tensor, g GenerateConfig) (*modelScorer, *search, int) {
	shape := torch.Shape(src)
	if len(shape) != 2 {
		torch.Errorf("generate: source tokens have shape %v: want [batch, length]", shape)
	}
	maxLen := min(int(g.MaxLenA*float64(shape[1]))+g.MaxLenB, int(m.cfg.MaxPositions)-1)
	if g.MinLen > maxLen {
		torch.Errorf("generate: min_len = %d exceeds the length cap %d", g.MinLen, maxLen)
	}
	enc := m.encode(src, false)
	st := m.newState(enc)
	enc.Free()
	s := &search{cfg: g, eos: m.cfg.EOSIdx, pad: m.cfg.PaddingIdx, vocab: m.cfg.TgtVocab, maxLen: maxLen, ctx: ctx}
	return &modelScorer{m: m, st: st}, s, int(shape[0])
}

// scorer gives next-token log-probabilities for a set of rows
// (hypotheses), one decoding step per call.
type scorer interface {
	// next returns log-probabilities [N, V] of each row's next token
	// given its latest one (EOS at step 0); the caller frees them.
	next(last []int64) *ts.Tensor
	// keep keeps rows, in that order (rows may repeat), coming from
	// sentences sents (indices among the live ones); afterwards every
	// width consecutive rows are one sentence's.
	keep(rows, sents []int64, width int)
}

// modelScorer decodes with a Model and its incremental state.
type modelScorer struct {
	m  *Model
	st *DecoderState
}

func (s *modelScorer) next(last []int64) *ts.Tensor {
	tok := int64Tensor(last, []int64{int64(len(last))}, s.m.device)
	logits := s.m.decodeStep(tok, s.st)
	torch.Free(tok)
	return torch.Must(logits.LogSoftmax(-1, gotch.Invalid, true))
}

func (s *modelScorer) keep(rows, sents []int64, width int) {
	s.st.keepBeams(rows, sents, int64(width))
}

// search holds one generation run's settings. Log-probabilities stay on
// the device; only the top candidates come to the host, where the
// hypotheses are kept.
type search struct {
	cfg      GenerateConfig
	eos, pad int64
	vocab    int64
	maxLen   int
	ctx      context.Context // nil: never cancelled
}

// checkCancel raises ctx's error once it is done. It is called at the
// start of a step, when the search holds no tensor of its own, so that
// the panic (recovered by Generate or Greedy) leaks nothing.
func (s *search) checkCancel() {
	if s.ctx != nil {
		torch.Check(s.ctx.Err())
	}
}

// constrain forbids padding always and EOS before MinLen.
func (s *search) constrain(lp *ts.Tensor, step int) {
	forbid(lp, s.pad)
	if step < s.cfg.MinLen {
		forbid(lp, s.eos)
	}
}

// forbid sets column tok of lp [N, V] to -inf.
func forbid(lp *ts.Tensor, tok int64) {
	col := torch.Must(lp.Narrow(1, tok, 1, false))
	torch.Check(col.Fill_(negInf))
	torch.Free(col)
}

// column copies lp[:, tok] to the host.
func column(lp *ts.Tensor, tok int64) []float64 {
	return hostFloats(torch.Must(lp.Select(1, tok, false)))
}

func (s *search) greedy(sc scorer, n int) []Hypothesis {
	out := make([]Hypothesis, n)
	active := make([]int, n) // sentence of each row
	last := make([]int64, n)
	for i := range active {
		active[i], last[i] = i, s.eos
	}
	for step := 0; len(active) > 0; step++ {
		s.checkCancel()
		toks, scores := s.greedyStep(sc, last, step)
		var rows []int64
		keep, next := active[:0:0], last[:0:0]
		for r, sent := range active {
			h := &out[sent]
			h.Tokens = append(h.Tokens, toks[r])
			h.PositionalScores = append(h.PositionalScores, scores[r])
			if toks[r] == s.eos {
				h.Score = s.normalize(sumFloats(h.PositionalScores), step)
				continue
			}
			rows, keep, next = append(rows, int64(r)), append(keep, sent), append(next, toks[r])
		}
		if len(keep) > 0 && len(keep) < len(active) {
			sc.keep(rows, rows, 1)
		}
		active, last = keep, next
	}
	return out
}

// greedyStep returns each row's best next token and its log-probability
// (EOS for all at the length cap).
func (s *search) greedyStep(sc scorer, last []int64, step int) ([]int64, []float64) {
	lp := sc.next(last)
	defer torch.Free(lp)
	s.constrain(lp, step)
	if step == s.maxLen {
		toks := make([]int64, len(last))
		for i := range toks {
			toks[i] = s.eos
		}
		return toks, column(lp, s.eos)
	}
	vals, idx := must2(lp.Topk(1, -1, true, true, false))
	return hostInts(idx), hostFloats(vals)
}

// partial is a live beam hypothesis.
type partial struct {
	tokens []int64
	scores []float64 // positional
	total  float64   // sum of scores
}

func (p partial) extend(tok int64, total float64) partial {
	return partial{
		tokens: append(slices.Clip(p.tokens), tok),
		scores: append(slices.Clip(p.scores), total-p.total),
		total:  total,
	}
}

// candidates is the top-k of one step, row-major per active sentence.
type candidates struct {
	k      int
	scores []float64 // cumulative
	flat   []int64   // beam·V + token
}

func (s *search) beam(sc scorer, n int) [][]Hypothesis {
	final := make([][]Hypothesis, n)
	active := make([]int, n)
	beams := make([][]partial, n) // per active sentence; one beam at step 0
	for i := range active {
		active[i], beams[i] = i, []partial{{}}
	}
	for step := 0; len(active) > 0; step++ {
		s.checkCancel()
		width := len(beams[0])
		lp := sc.next(s.lastTokens(beams))
		s.constrain(lp, step)
		if step == s.maxLen {
			eos := column(lp, s.eos)
			torch.Free(lp)
			for i, sent := range active {
				for j, b := range beams[i] {
					s.finalize(&final[sent], b, b.total+eos[i*width+j], step)
				}
			}
			break
		}
		c := s.topCandidates(lp, beams, width)
		var rows, sents []int64
		keep, keptBeams := active[:0:0], beams[:0:0]
		for i, sent := range active {
			next, from := s.advance(&final[sent], beams[i], c, i, step)
			if next == nil {
				continue
			}
			for _, b := range from {
				rows = append(rows, int64(i*width+b))
			}
			sents = append(sents, int64(i))
			keep, keptBeams = append(keep, sent), append(keptBeams, next)
		}
		active, beams = keep, keptBeams
		if len(active) > 0 {
			sc.keep(rows, sents, s.cfg.Beam)
		}
	}
	for _, hyps := range final {
		sort.SliceStable(hyps, func(a, b int) bool { return hyps[a].Score > hyps[b].Score })
	}
	return final
}

func (s *search) lastTokens(beams [][]partial) []int64 {
	var last []int64
	for _, bs := range beams {
		for _, b := range bs {
			tok := s.eos
			if len(b.tokens) > 0 {
				tok = b.tokens[len(b.tokens)-1]
			}
			last = append(last, tok)
		}
	}
	return last
}

// topCandidates adds each beam's score to its row of lp (freeing lp) and
// returns the best 2·Beam continuations of each sentence over all its
// beams.
func (s *search) topCandidates(lp *ts.Tensor, beams [][]partial, width int) candidates {
	totals := make([]float64, 0, len(beams)*width)
	for _, bs := range beams {
		for _, b := range bs {
			totals = append(totals, b.total)
		}
	}
	dev, err := lp.Device()
	torch.Check(err)
	tt := torch.Must(torch.Must(ts.OfSlice(totals)).Totype(lp.DType(), true))
	tt = torch.Must(tt.View([]int64{-1, 1}, true))
	if dev != gotch.CPU {
		tt = torch.Must(tt.To(dev, true))
	}
	torch.Check(lp.Add_(tt))
	torch.Free(tt)
	flat := torch.Must(lp.View([]int64{int64(len(beams)), int64(width) * s.vocab}, true))
	k := min(2*s.cfg.Beam, width*int(s.vocab)-1)
	vals, idx := must2(flat.Topk(int64(k), 1, true, true, true))
	return candidates{k: k, scores: hostFloats(vals), flat: hostInts(idx)}
}

// advance finishes sentence i's EOS candidates among its best Beam and
// returns its next beams with the beam each came from, or nil when the
// sentence is done.
func (s *search) advance(final *[]Hypothesis, beams []partial, c candidates, i, step int) ([]partial, []int) {
	at := func(j int) (beam int, tok int64, score float64) {
		f := c.flat[i*c.k+j]
		return int(f / s.vocab), f % s.vocab, c.scores[i*c.k+j]
	}
	for j := range min(s.cfg.Beam, c.k) {
		if b, tok, score := at(j); tok == s.eos && !math.IsInf(score, -1) {
			s.finalize(final, beams[b], score, step)
		}
	}
	if len(*final) >= s.cfg.Beam {
		return nil, nil
	}
	var next []partial
	var from []int
	for j := 0; j < c.k && len(next) < s.cfg.Beam; j++ {
		if b, tok, score := at(j); tok != s.eos {
			next, from = append(next, beams[b].extend(tok, score)), append(from, b)
		}
	}
	return next, from
}

// finalize adds beam b ended by EOS at step (total score score) to
// final, unless the sentence has its Beam hypotheses already.
func (s *search) finalize(final *[]Hypothesis, b partial, score float64, step int) {
	if len(*final) >= s.cfg.Beam {
		return
	}
	done := b.extend(s.eos, score)
	*final = append(*final, Hypothesis{Tokens: done.tokens, PositionalScores: done.scores, Score: s.normalize(score, step)})
}

// normalize divides a total score by the hypothesis length (step+1
// tokens, EOS included) to the power lenpen, as fairseq does.
func (s *search) normalize(total float64, step int) float64 {
	return total / math.Pow(float64(step+1), s.cfg.LenPenalty)
}

// sumFloats adds xs in order, as greedy search accumulates its scores.
func sumFloats(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}
