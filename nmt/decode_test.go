package nmt

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// regroup changes a decoder state's rows before step at: width 0 is
// the general Reorder, else beam search's keepBeams.
type regroup struct {
	at          int
	rows, sents []int64
	width       int64
}

// checkIncremental decodes prev one token at a time, applying events,
// and compares every row's logits with the parallel forward's logits
// full [B, T, V] of the sentence the row came from.
func checkIncremental(t *testing.T, m *Model, src, prev [][]int64, full []float64, events []regroup) {
	t.Helper()
	steps, vocab := len(prev[0]), int(m.cfg.TgtVocab)
	orig := make([]int64, len(prev)) // batch row of each state row
	for i := range orig {
		orig[i] = int64(i)
	}
	err := torch.Try(func() {
		torch.NoGrad(func() {
			enc := m.encode(tokens(t, src), false)
			st := m.newState(enc)
			enc.Free()
			defer st.Free()
			for step := range steps {
				for _, e := range events {
					if e.at != step {
						continue
					}
					if e.width == 0 {
						torch.Check(st.Reorder(int64Tensor(e.rows, []int64{int64(len(e.rows))}, gotch.CPU)))
					} else {
						st.keepBeams(e.rows, e.sents, e.width)
					}
					orig = permuted(orig, e.rows)
				}
				col := make([]int64, len(orig))
				for i, b := range orig {
					col[i] = prev[b][step]
				}
				got := hostFloats(m.decodeStep(int64Tensor(col, []int64{int64(len(col))}, gotch.CPU), st))
				for r, b := range orig {
					at := (int(b)*steps + step) * vocab
					if d := maxAbsDiff(got[r*vocab:(r+1)*vocab], full[at:at+vocab]); d > 1e-5 {
						t.Errorf("step %d, row %d (sentence %d): incremental logits differ from parallel by %g", step, r, b, d)
					}
				}
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func permuted[T any](rows []T, perm []int64) []T {
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = rows[p]
	}
	return out
}

// TestIncrementalMatchesParallel: decoding one token at a time with the
// cached keys and values gives the parallel causal forward's logits, for
// every variant, also after the state's rows are reordered, duplicated
// and dropped as beam search does (with beams sharing their sentence's
// encoder cache) or through the general Reorder.
func TestIncrementalMatchesParallel(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	src := randomRows(rng, 3, 6, 11)
	src[1][4], src[1][5] = tPad, tPad
	prev := withEOSFirst(randomRows(rng, 3, 5, 13))
	scenarios := []struct {
		name   string
		events []regroup
	}{
		{"straight", nil},
		{"general reorder", []regroup{{at: 3, rows: []int64{2, 0, 0, 1}}}},
		{"beams", []regroup{
			{at: 1, rows: []int64{0, 0, 1, 1, 2, 2}, sents: []int64{0, 1, 2}, width: 2},
			{at: 3, rows: []int64{1, 0, 5, 4}, sents: []int64{0, 2}, width: 2}, // sentence 1 finished
			{at: 4, rows: []int64{3, 0}}, // general, from grouped rows
		}},
	}
	for _, name := range layers.Variants.Names() {
		t.Run(name, func(t *testing.T) {
			m, _ := newModel(t, tinyConfig(name), 8)
			full := values(evalLogits(t, m, src, prev))
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) { checkIncremental(t, m, src, prev, full, sc.events) })
			}
		})
	}
}

// TestBeamOneIsGreedy: beam search with one beam makes greedy's choices
// and scores, over a batch whose sentences finish at different steps.
func TestBeamOneIsGreedy(t *testing.T) {
	for _, variant := range []string{"post-ln", "pre-ln"} {
		t.Run(variant, func(t *testing.T) {
			m, _ := newModel(t, tinyConfig(variant), 9)
			src := tokens(t, [][]int64{{5, 6, 7, tEOS}, {tPad, 8, 9, tEOS}, {10, 4, 4, tEOS}})
			g := GenerateConfig{Beam: 1, LenPenalty: 1, MaxLenA: 1, MaxLenB: 3, MinLen: 2}
			greedy, err := m.Greedy(src, g)
			if err != nil {
				t.Fatal(err)
			}
			beam, err := m.Generate(src, g)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range greedy {
				if len(beam[i]) != 1 {
					t.Fatalf("sentence %d: %d hypotheses, want 1", i, len(beam[i]))
				}
				b := beam[i][0]
				if !slices.Equal(h.Tokens, b.Tokens) || math.Abs(h.Score-b.Score) > 1e-4 {
					t.Errorf("sentence %d: greedy %v (%.5f), beam 1 %v (%.5f)", i, h.Tokens, h.Score, b.Tokens, b.Score)
				}
				if n := len(h.Tokens); n < 3 || n > 8 || h.Tokens[n-1] != tEOS {
					t.Errorf("sentence %d: %v breaks min_len 2 / max_len 7 / final EOS", i, h.Tokens)
				}
			}
		})
	}
}

// tableScorer is a hand-made language model: the next-token
// distribution depends only on the prefix, through probs (unlisted
// prefixes mostly end).
type tableScorer struct {
	probs    map[string][]float64 // prefix ("" = start) -> p over vocab
	prefixes [][]int64
	started  []bool
	calls    int
	rows     int // rows scored over all calls
}

const tableVocab = 6 // 0 bos, 1 pad, 2 eos, 3 a, 4 b, 5 c

func (s *tableScorer) next(last []int64) *ts.Tensor {
	if s.prefixes == nil {
		s.prefixes, s.started = make([][]int64, len(last)), make([]bool, len(last))
	}
	s.calls++
	s.rows += len(last)
	var lp []float32
	for r, tok := range last {
		if s.started[r] {
			s.prefixes[r] = append(slices.Clip(s.prefixes[r]), tok)
		}
		s.started[r] = true
		key := ""
		for _, t := range s.prefixes[r] {
			key += string(rune('a' + t - 3))
		}
		p, ok := s.probs[key]
		if !ok {
			p = []float64{0, 0, 0.9, 0.04, 0.03, 0.03}
		}
		for _, q := range p {
			lp = append(lp, float32(math.Log(q)))
		}
	}
	return torch.Must(torch.Must(ts.OfSlice(lp)).View([]int64{int64(len(last)), tableVocab}, true))
}

func (s *tableScorer) keep(rows, _ []int64, _ int) {
	s.prefixes, s.started = permuted(s.prefixes, rows), permuted(s.started, rows)
}

// TestBeamSearchOnATable: on a model whose best sentence starts with a
// less likely token, beam search finds it and greedy does not; min_len,
// max_len and the length penalty act as in fairseq.
func TestBeamSearchOnATable(t *testing.T) {
	probs := map[string][]float64{
		"":   {0, 0, 0.02, 0.50, 0.40, 0.08}, // a is likelier than b...
		"a":  {0, 0, 0.10, 0.35, 0.30, 0.25},
		"aa": {0, 0, 0.90, 0.04, 0.03, 0.03},
		"b":  {0, 0, 0.90, 0.04, 0.03, 0.03}, // ...but "b eos" beats "a a eos"
		"bb": {0, 0, 0.95, 0.02, 0.02, 0.01},
	}
	run := func(g GenerateConfig, greedy bool) ([][]Hypothesis, *tableScorer) {
		s := &search{cfg: g, eos: tEOS, pad: tPad, vocab: tableVocab, maxLen: 200}
		if g.MaxLenB > 0 {
			s.maxLen = g.MaxLenB
		}
		sc := &tableScorer{probs: probs}
		var out [][]Hypothesis
		err := torch.Try(func() {
			if greedy {
				for _, h := range s.greedy(sc, 2) {
					out = append(out, []Hypothesis{h})
				}
				return
			}
			out = s.beam(sc, 2)
		})
		if err != nil {
			t.Fatal(err)
		}
		return out, sc
	}
	g := GenerateConfig{Beam: 2, LenPenalty: 1, MinLen: 1}
	cases := []struct {
		name   string
		g      GenerateConfig
		greedy bool
		want   []int64
		score  float64
	}{
		{"greedy", g, true, []int64{3, 3, tEOS}, math.Log(0.5*0.35*0.9) / 3},
		{"beam", g, false, []int64{4, tEOS}, math.Log(0.4*0.9) / 2},
		{"min_len 2 rules out b eos", GenerateConfig{Beam: 2, LenPenalty: 1, MinLen: 2}, false, []int64{3, 3, tEOS}, math.Log(0.5*0.35*0.9) / 3},
		{"max_len 1 forces EOS", GenerateConfig{Beam: 2, LenPenalty: 1, MinLen: 1, MaxLenB: 1}, false, []int64{4, tEOS}, math.Log(0.4*0.9) / 2},
		{"lenpen 0 ranks raw sums", GenerateConfig{Beam: 2, LenPenalty: 0, MinLen: 1}, false, []int64{4, tEOS}, math.Log(0.4 * 0.9)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := run(tc.g, tc.greedy)
			for i, hyps := range out {
				best := hyps[0]
				if !slices.Equal(best.Tokens, tc.want) || math.Abs(best.Score-tc.score) > 1e-5 {
					t.Errorf("sentence %d: %v (%.5f), want %v (%.5f)", i, best.Tokens, best.Score, tc.want, tc.score)
				}
				if d := math.Abs(sumFloats(best.PositionalScores)/math.Pow(float64(len(best.Tokens)), tc.g.LenPenalty) - best.Score); d > 1e-5 {
					t.Errorf("sentence %d: positional scores do not add up to the score (%g)", i, d)
				}
				if !tc.greedy && len(hyps) != tc.g.Beam {
					t.Errorf("sentence %d: %d hypotheses, want %d", i, len(hyps), tc.g.Beam)
				}
				for j := 1; j < len(hyps); j++ {
					if hyps[j].Score > hyps[j-1].Score {
						t.Errorf("sentence %d: hypotheses not sorted by score", i)
					}
				}
			}
		})
	}
	// Finished sentences leave the batch: step 0 scores one row per
	// sentence, later steps at most Beam rows per live sentence.
	_, sc := run(g, false)
	if sc.rows > 2+2*2*(sc.calls-1) {
		t.Errorf("%d rows scored in %d steps", sc.rows, sc.calls)
	}
}

// TestBeamSearchStopsAtBeam pins a property of fairseq's search that
// zoo keeps: a sentence stops once Beam hypotheses have finished, even
// while a live beam would score better. Here "a a a eos" (p ≈ 0.49) is
// still live when "b eos" and "b c eos" fill the two places.
func TestBeamSearchStopsAtBeam(t *testing.T) {
	sc := &tableScorer{probs: map[string][]float64{
		"":    {0, 0, 0, 0.50, 0.45, 0.05},
		"a":   {0, 0, 0.005, 0.99, 0.0025, 0.0025},
		"aa":  {0, 0, 0.005, 0.99, 0.0025, 0.0025},
		"aaa": {0, 0, 0.99, 0.004, 0.003, 0.003},
		"b":   {0, 0, 0.55, 0.005, 0.005, 0.44},
	}}
	s := &search{cfg: GenerateConfig{Beam: 2, LenPenalty: 1, MinLen: 1}, eos: tEOS, pad: tPad, vocab: tableVocab, maxLen: 10}
	var out [][]Hypothesis
	if err := torch.Try(func() { out = s.beam(sc, 1) }); err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{4, 5, tEOS}, {4, tEOS}}
	for i, h := range out[0] {
		if !slices.Equal(h.Tokens, want[i]) {
			t.Errorf("hypothesis %d: %v, want %v", i, h.Tokens, want[i])
		}
	}
	if sc.calls != 3 {
		t.Errorf("%d decoding steps, want 3 (the sentence stops at its second finished hypothesis)", sc.calls)
	}
}

func TestGenerateConfigErrors(t *testing.T) {
	m, _ := newModel(t, tinyConfig("post-ln"), 1)
	src := tokens(t, [][]int64{{5, tEOS}})
	for name, g := range map[string]GenerateConfig{
		"beam 0":            {Beam: 0, MaxLenB: 5},
		"beam too wide":     {Beam: 12, MaxLenB: 5},
		"negative min_len":  {Beam: 2, MaxLenB: 5, MinLen: -1},
		"min_len above cap": {Beam: 2, MaxLenB: 5, MinLen: 6},
	} {
		if _, err := m.Generate(src, g); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
