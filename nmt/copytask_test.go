package nmt

import (
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/torch"
)

// copyBatch draws b sentences of 3 to 6 words from [4, vocab) and returns
// the source (words, EOS), the decoder input (EOS, words) and the target
// (words, EOS), right-padded.
func copyBatch(rng *rand.Rand, b int, vocab int64) (src, prev, tgt [][]int64) {
	width := 0
	words := make([][]int64, b)
	for i := range words {
		words[i] = randomRows(rng, 1, 3+rng.Intn(4), vocab)[0]
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

// TestBeamSearchCopies trains a tiny model to copy its input for a few
// hundred steps, then checks that beam search returns each source.
func TestBeamSearchCopies(t *testing.T) {
	start := time.Now()
	cfg := tinyConfig("pre-ln")
	cfg.SrcVocab, cfg.TgtVocab, cfg.ShareAllEmbeddings = 12, 12, true
	cfg.DModel, cfg.Heads, cfg.FFNDim, cfg.Dropout = 32, 4, 64, 0
	m, vs := newModel(t, cfg, 11)
	opt, err := nn.DefaultAdamConfig().Build(vs, 3e-3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(12))
	var loss float64
	for step := 0; step < 200; step++ {
		src, prev, tgt := copyBatch(rng, 32, 12)
		err := torch.Try(func() {
			logits := torch.Must(m.Forward(tokens(t, src), tokens(t, prev), true))
			l := meanLoss(m, logits, tokens(t, tgt))
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
	src, _, tgt := copyBatch(rng, 8, 12)
	hyps, err := m.Generate(tokens(t, src), GenerateConfig{Beam: 3, LenPenalty: 1, MaxLenA: 1, MaxLenB: 2, MinLen: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hyps {
		want := slices.DeleteFunc(slices.Clone(tgt[i]), func(x int64) bool { return x == tPad })
		if got := h[0].Tokens; !slices.Equal(got, want) {
			t.Errorf("sentence %d: beam search gave %v, want %v", i, got, want)
		}
	}
}
