package train

import (
	"math"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// The optimizer steps run as one pass in Go over each parameter's
// memory instead of a chain of libtorch ops: Adam as libtorch ops reads
// or writes about 64 bytes an element through nine kernels and three
// temporaries, the fused pass 28 bytes with none, and the step is
// memory-bound. The arithmetic is float32, in the order of the op chain,
// so results agree with torch.optim to float32 rounding.

// fuseSteps switches the fused passes off (tests check both paths).
var fuseSteps = true

// fusedGrain is the element count below which a step runs on one
// goroutine.
const fusedGrain = 1 << 15

// adamKernel holds one update's coefficients: decay = 1 - lr·wd,
// w1 = 1 - β1, w2 = 1 - β2, invSqrtBC2 = 1/sqrt(1 - β2^t), step =
// -lr/(1 - β1^t).
type adamKernel struct {
	decay, w1, w2, invSqrtBC2, eps, step float32
}

// apply updates p, m and v from g in place and reports whether it could
// (all four contiguous float32 CPU tensors of one size).
func (k adamKernel) apply(p, g, m, v *ts.Tensor) bool {
	if !fuseSteps {
		return false
	}
	ps, ok1 := torch.Float32s(p)
	gs, ok2 := torch.Float32s(g)
	ms, ok3 := torch.Float32s(m)
	vs, ok4 := torch.Float32s(v)
	if !ok1 || !ok2 || !ok3 || !ok4 || len(gs) != len(ps) || len(ms) != len(ps) || len(vs) != len(ps) {
		return false
	}
	torch.ParallelFor(len(ps), fusedGrain, func(lo, hi int) { k.run(ps[lo:hi], gs[lo:hi], ms[lo:hi], vs[lo:hi]) })
	return true
}

func (k adamKernel) run(p, g, m, v []float32) {
	if len(p) == 0 {
		return
	}
	_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1] // one bounds check
	for i := range p {
		gi := g[i]
		mi := m[i] + k.w1*(gi-m[i])
		vi := v[i] + k.w2*(gi*gi-v[i])
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))*k.invSqrtBC2 + k.eps
		p[i] = p[i]*k.decay + k.step*(mi/denom)
	}
}
