package nmt

import (
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/torch"
)

// copyBatch draws b sentences of lo to hi words from [4, vocab) and
// returns the source (words, EOS), the decoder input (EOS, words) and
// the target (words, EOS), right-padded.
func copyBatch(rng *rand.Rand, b, lo, hi int, vocab int64) (src, prev, tgt [][]int64) {
	width := 0
	words := make([][]int64, b)
	for i := range words {
		words[i] = randomRows(rng, 1, lo+rng.Intn(hi-lo+1), vocab)[0]
		width = max(width, len(words[i])+1)
	}
	pad := func(r []int64) []int64 {
		for len(r) < width {
			r = append(r, tPad)
		}
		return r
	}
	for _, w := range words {
		src = append(src, pad(append(slices.Clone(w), tEOS)))
		prev = append(prev, pad(append([]int64{tEOS}, w...)))
		tgt = append(tgt, pad(append(slices.Clone(w), tEOS)))
	}
	return src, prev, tgt
}

// TestBeamSearchCopies trains a tiny model for a few hundred steps to
// copy a fixed set of five-word sentences, then checks that beam search
// returns each of them. MinLen is the sentence length: like fairseq's,
// the search stops a sentence at Beam finished hypotheses, and a model
// this sharp finishes junk beams early (see TestBeamSearchStopsAtBeam).
func TestBeamSearchCopies(t *testing.T) {
	const words = 5
	start := time.Now()
	cfg := tinyConfig("pre-ln")
	cfg.SrcVocab, cfg.TgtVocab, cfg.ShareAllEmbeddings = 12, 12, true
	cfg.DModel, cfg.Heads, cfg.FFNDim, cfg.Dropout = 32, 4, 64, 0
	m, vs := newModel(t, cfg, 11)
	opt, err := nn.DefaultAdamConfig().Build(vs, 3e-3)
	if err != nil {
		t.Fatal(err)
	}
	srcRows, prevRows, tgtRows := copyBatch(rand.New(rand.NewSource(12)), 16, words, words, 12)
	src, prev, tgt := tokens(t, srcRows), tokens(t, prevRows), tokens(t, tgtRows)
	var loss float64
	for range 200 {
		err := torch.Try(func() {
			logits := torch.Must(m.Forward(src, prev, true))
			l := meanLoss(m, logits, tgt)
			torch.Check(opt.ZeroGrad())
			torch.Check(l.Backward())
			torch.Check(opt.Step())
			loss = torch.Float(l)
			torch.Free(logits)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("final loss %.4f after %v", loss, time.Since(start))
	g := GenerateConfig{Beam: 3, LenPenalty: 1, MaxLenA: 1, MaxLenB: 2, MinLen: words}
	hyps, err := m.Generate(src, g)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hyps {
		if got := h[0].Tokens; !slices.Equal(got, tgtRows[i]) {
			t.Errorf("sentence %d: beam search gave %v, want %v", i, got, tgtRows[i])
		}
	}
}
