package nmt

import (
	"math/rand"
	"testing"

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
