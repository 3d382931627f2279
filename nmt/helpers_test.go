package nmt

import (
	"math"
	"math/rand"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// Symbols of the test vocabularies (fairseq's layout).
const (
	tPad = 1
	tEOS = 2
)

// tinyConfig is a two-layer model small enough for every test to build
// many of. Source and target vocabularies differ so that a mix-up of the
// two shows up as a shape error.
func tinyConfig(variant string) Config {
	c, err := Preset("small", 11, 13)
	if err != nil {
		panic(err)
	}
	c.DModel, c.Heads, c.FFNDim = 16, 2, 32
	c.EncoderLayers, c.DecoderLayers = 2, 2
	c.MaxPositions = 64
	c.Residual = variant
	return c
}

func newModel(t testing.TB, cfg Config, seed int64) (*Model, *nn.VarStore) {
	t.Helper()
	torch.ManualSeed(seed)
	vs := nn.NewVarStore(gotch.CPU)
	m, err := New(vs.Root(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, vs
}

// tokens makes an int64 [B, T] tensor from equal-length rows.
func tokens(t testing.TB, rows [][]int64) *ts.Tensor {
	t.Helper()
	var flat []int64
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			t.Fatalf("ragged rows %v", rows)
		}
		flat = append(flat, r...)
	}
	return int64Tensor(flat, []int64{int64(len(rows)), int64(len(rows[0]))}, gotch.CPU)
}

// randomRows draws b rows of n word ids from [4, vocab).
func randomRows(rng *rand.Rand, b, n int, vocab int64) [][]int64 {
	rows := make([][]int64, b)
	for i := range rows {
		rows[i] = make([]int64, n)
		for j := range rows[i] {
			rows[i][j] = 4 + rng.Int63n(vocab-4)
		}
	}
	return rows
}

// withEOSFirst prepends EOS to each row (a decoder input).
func withEOSFirst(rows [][]int64) [][]int64 {
	out := make([][]int64, len(rows))
	for i, r := range rows {
		out[i] = append([]int64{tEOS}, r...)
	}
	return out
}

// values copies t to the host without freeing it.
func values(t *ts.Tensor) []float64 {
	return hostFloats(torch.Must(t.ShallowClone()))
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// evalLogits runs the parallel forward pass without dropout or grad.
func evalLogits(t testing.TB, m *Model, src, prev [][]int64) *ts.Tensor {
	t.Helper()
	var out *ts.Tensor
	var err error
	torch.NoGrad(func() { out, err = m.Forward(tokens(t, src), tokens(t, prev), false) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// narrowValues returns t.narrow(dim, start, n) on the host.
func narrowValues(t *ts.Tensor, dim, start, n int64) []float64 {
	return hostFloats(torch.Must(t.Narrow(dim, start, n, false)))
}

// sgdStep applies p -= lr·grad to every parameter and zeroes the
// gradients, freeing every wrapper it makes (gotch's ZeroGrad leaves one
// per parameter to the GC).
func sgdStep(params []*ts.Tensor, lr float64) {
	s := ts.FloatScalar(lr)
	defer s.Drop()
	torch.NoGrad(func() {
		for _, p := range params {
			g := torch.Must(p.Grad(false))
			if g.MustDefined() {
				upd := torch.Must(g.MulScalar(s, false))
				torch.Check(p.Sub_(upd))
				torch.Check(g.Zero_())
				torch.Free(upd)
			}
			torch.Free(g)
		}
	})
}

// trainStep runs forward, loss, backward and an SGD update, freeing
// everything it makes.
func trainStep(m *Model, params []*ts.Tensor, src, prev, tgt *ts.Tensor) {
	logits := torch.Must(m.Forward(src, prev, true))
	loss := meanLoss(m, logits, tgt)
	torch.Check(loss.Backward())
	torch.Free(logits, loss)
	sgdStep(params, 1e-3)
}

// meanLoss is the mean cross-entropy over non-pad target tokens.
func meanLoss(m *Model, logits, target *ts.Tensor) *ts.Tensor {
	flat := torch.Must(logits.View([]int64{-1, m.cfg.TgtVocab}, false))
	tgt := torch.Must(target.View([]int64{-1}, false))
	defer torch.Free(flat, tgt)
	return torch.Must(flat.CrossEntropyLoss(tgt, ts.None, ts.ReductionMean, m.cfg.PaddingIdx, 0, false))
}
