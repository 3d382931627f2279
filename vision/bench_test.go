package vision_test

import (
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// benchBatch is He et al.'s CIFAR batch size.
const benchBatch = 128

// BenchmarkTrainStepResNet20 times one training step of resnet20 (plain
// residual, option A) on a synthetic batch of 128 3x32x32 images:
// forward, mean cross entropy, backward and an SGD update (momentum 0.9,
// weight decay 1e-4).
//
//	go test -run '^$' -bench . -benchtime 3x ./vision/
func BenchmarkTrainStepResNet20(b *testing.B) { benchVisionTrain(b, "resnet20") }

// BenchmarkTrainStepPreResNet110 is the same step for preresnet110
// (basic blocks, option B).
func BenchmarkTrainStepPreResNet110(b *testing.B) { benchVisionTrain(b, "preresnet110") }

// BenchmarkEvalResNet20 times resnet20's evaluation forward pass (running
// statistics, no gradient) on the same batch.
func BenchmarkEvalResNet20(b *testing.B) {
	m, x, _ := benchSetup(b, "resnet20")
	eval := func() {
		var out *ts.Tensor
		var err error
		torch.NoGrad(func() { out, err = m.Forward(x, false) })
		if err != nil {
			b.Fatal(err)
		}
		torch.Free(out)
	}
	eval() // warm-up
	b.ResetTimer()
	for range b.N {
		eval()
	}
	b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "images/s")
}

func benchVisionTrain(b *testing.B, preset string) {
	m, x, opt := benchSetup(b, preset)
	y := labels(b, benchBatch, 10)
	trainStepCE(b, m, opt, x, y) // warm-up
	b.ResetTimer()
	for range b.N {
		trainStepCE(b, m, opt, x, y)
	}
	b.ReportMetric(float64(benchBatch*b.N)/b.Elapsed().Seconds(), "images/s")
}

func benchSetup(b *testing.B, preset string) (*vision.Model, *ts.Tensor, *train.SGD) {
	// As zoo's commands do by default: one thread per core for libtorch
	// and OpenBLAS alike.
	if _, err := (torch.Threads{}).Apply(); err != nil {
		b.Fatal(err)
	}
	cfg, err := vision.Preset(preset, 3, 10)
	if err != nil {
		b.Fatal(err)
	}
	m, vs := newVisionModel(b, cfg, 1)
	params, err := train.Params(vs)
	if err != nil {
		b.Fatal(err)
	}
	opt, err := train.NewSGD(params, train.SGDConfig{Momentum: 0.9, WeightDecay: 1e-4})
	if err != nil {
		b.Fatal(err)
	}
	return m, randImages(b, []int64{benchBatch, 3, 32, 32}), opt
}
