package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// ramp gives deterministic, irregular values in about [-1.3, 1.3].
func ramp(n int, a, b float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		fi := float64(i)
		out[i] = float32(math.Sin(a*fi+b) + 0.3*math.Cos(0.7*a*fi*fi+b))
	}
	return out
}

// stackGradNorm runs depth blocks of one variant, sharing one small fixed
// F(x) = 0.1·tanh(xW), and returns ||dL/dx|| for L = sum(R ⊙ y).
func stackGradNorm(t *testing.T, variant string, params map[string]any, depth int) float64 {
	t.Helper()
	const n, c = 8, 16
	build, err := layers.Variants.Build(variant, params)
	if err != nil {
		t.Fatal(err)
	}
	vs := nn.NewVarStore(gotch.CPU)
	blocks := make([]layers.Residual, depth)
	for i := range blocks {
		if blocks[i], err = build(vs.Root().Sub("blocks").Sub(fmt.Sprint(i)), layers.Features{Dim: c}); err != nil {
			t.Fatal(err)
		}
	}
	w := torch.Must(tensorOf(t, ramp(c*c, 0.61, 0.2), []int64{c, c}).MulScalar(ts.FloatScalar(0.5), true))
	f := func(x *ts.Tensor) *ts.Tensor {
		h := torch.Must(torch.Must(x.Matmul(w, false)).Tanh(true))
		return torch.Must(h.MulScalar(ts.FloatScalar(0.1), true))
	}
	x := torch.Must(tensorOf(t, ramp(n*c, 0.37, 0.1), []int64{n, c}).SetRequiresGrad(true, true))
	y := torch.Must(x.ShallowClone())
	for _, b := range blocks {
		next := b.Forward(y, f, true)
		torch.Free(y)
		y = next
	}
	r := tensorOf(t, ramp(n*c, 0.71, 0.9), []int64{n, c})
	loss := torch.Must(torch.Must(y.Mul(r, false)).Sum(gotch.Float, true))
	torch.Check(loss.Backward())
	g := torch.Must(x.Grad(false))
	return torch.Must(g.Norm(true)).Float64Values()[0]
}

// TestDepthEffect is the paper's claim about scale and depth: through 50
// blocks, λx + F(x) multiplies the input gradient by about λ^50 (2^50 or
// 2^-50), while normalizing the sum (scaled-ln) or recursing through LN
// (rskip-ln) keeps it within a factor of 10 of the λ = 1 case.
func TestDepthEffect(t *testing.T) {
	const depth = 50
	base := stackGradNorm(t, "scaled", map[string]any{"lambda": 1.0}, depth)
	up := stackGradNorm(t, "scaled", map[string]any{"lambda": 2.0}, depth)
	down := stackGradNorm(t, "scaled", map[string]any{"lambda": 0.5}, depth)
	t.Logf("scaled: λ=1 %.3g, λ=2 %.3g (x%.3g), λ=0.5 %.3g (x%.3g)", base, up, up/base, down, down/base)
	if up/base < math.Pow(2, 40) {
		t.Errorf("scaled λ=2: gradient grew x%.3g, want >= 2^40", up/base)
	}
	if down/base > math.Pow(2, -40) {
		t.Errorf("scaled λ=0.5: gradient shrank to x%.3g, want <= 2^-40", down/base)
	}

	normed := []struct {
		variant string
		params  map[string]any
	}{
		{"scaled-ln", map[string]any{"lambda": 2.0}},
		{"scaled-ln", map[string]any{"lambda": 0.5}},
		{"rskip-ln", map[string]any{"order": 2}},
		{"rskip-ln", map[string]any{"order": 3}},
	}
	lnBase := stackGradNorm(t, "post-ln", nil, depth)
	for _, c := range normed {
		g := stackGradNorm(t, c.variant, c.params, depth)
		ratio := g / base
		t.Logf("%s %v: %.6g (x%.3g of scaled λ=1, x%.3g of post-ln)", c.variant, c.params, g, ratio, g/lnBase)
		if ratio > 10 || ratio < 0.1 || math.IsNaN(ratio) {
			t.Errorf("%s %v: gradient x%.3g of the λ=1 stack, want within a factor of 10", c.variant, c.params, ratio)
		}
	}
}
