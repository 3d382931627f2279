package nmt

import (
	"math"
	"math/rand"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// BenchmarkTrainStepSmall times one training step (forward, loss,
// backward, SGD update) of the small preset with a shared 10k vocabulary
// on a synthetic batch of 128 sentence pairs of 32 tokens each side
// (4,096 target tokens, as fairseq's --max-tokens 4096 would hold).
//
//	go test -run '^$' -bench TrainStep -benchtime 5x ./nmt/
func BenchmarkTrainStepSmall(b *testing.B) { benchTrainStep(b, "small", 10000) }

// BenchmarkTrainStepBase is the same step for transformer base
// (transformer_wmt_en_de) with a shared 32k vocabulary, WMT14's setting.
func BenchmarkTrainStepBase(b *testing.B) { benchTrainStep(b, "base", 32768) }

func benchTrainStep(b *testing.B, preset string, vocab int64) {
	const batch, length = 128, 32
	// As zoo's commands do by default: one thread per core for libtorch
	// and OpenBLAS alike.
	if _, err := (torch.Threads{}).Apply(); err != nil {
		b.Fatal(err)
	}
	cfg, err := Preset(preset, vocab, vocab)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ShareAllEmbeddings = true
	m, vs := newModel(b, cfg, 1)
	params := vs.TrainableVariables()
	rng := rand.New(rand.NewSource(1))
	words := randomRows(rng, batch, length-1, vocab)
	var src, tgt [][]int64
	for _, w := range words {
		src = append(src, append(append([]int64{}, w...), tEOS))
		tgt = append(tgt, append(append([]int64{}, w...), tEOS))
	}
	s, p, t := tokens(b, src), tokens(b, withEOSFirst(words)), tokens(b, tgt)
	trainStep(m, params, s, p, t) // warm-up
	b.ResetTimer()
	for range b.N {
		trainStep(m, params, s, p, t)
	}
	b.ReportMetric(float64(batch*length*b.N)/b.Elapsed().Seconds(), "tgt_tokens/s")
}

// BenchmarkHeadLoss times the output projection and the label-smoothed
// loss with backward, for small's shapes (4,096 decoder positions of
// width 256, a 10k vocabulary, 1 in 8 positions pad): fused (headLoss)
// against libtorch's linear and cross_entropy.
//
//	go test -run '^$' -bench HeadLoss -benchtime 10x ./nmt/
func BenchmarkHeadLoss(b *testing.B) {
	const rows, dim, vocab = 4096, 256, 10000
	if _, err := (torch.Threads{}).Apply(); err != nil {
		b.Fatal(err)
	}
	torch.ManualSeed(1)
	h := torch.Must(torch.Must(ts.Randn([]int64{128, rows / 128, dim}, gotch.Float, gotch.CPU)).SetRequiresGrad(true, true))
	// fairseq's init of the embedding, N(0, 1/D): logits about N(0, 1).
	std := ts.FloatScalar(1 / math.Sqrt(dim))
	defer std.Drop()
	w0 := torch.Must(torch.Must(ts.Randn([]int64{vocab, dim}, gotch.Float, gotch.CPU)).MulScalar(std, true))
	w := torch.Must(w0.SetRequiresGrad(true, true))
	rng := rand.New(rand.NewSource(1))
	ids := make([]int64, rows)
	for i := range ids {
		if ids[i] = 4 + rng.Int63n(vocab-4); i%8 == 7 {
			ids[i] = tPad
		}
	}
	target := int64Tensor(ids, []int64{128, rows / 128}, gotch.CPU)
	defer torch.Free(h, w, target)
	ways := map[string]func() *ts.Tensor{
		"fused": func() *ts.Tensor { l, _ := headLoss(h, w, target, 0.1, tPad); return l },
		"libtorch": func() *ts.Tensor {
			logits := linear(h, w, nil)
			defer torch.Free(logits)
			return torch.Must(LabelSmoothedLoss(logits, target, 0.1, tPad))
		},
	}
	for _, name := range []string{"fused", "libtorch"} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				l := ways[name]()
				torch.Check(l.Backward())
				torch.Free(l)
				sgdStep([]*ts.Tensor{h, w}, 0)
			}
		})
	}
}
