package train

import (
	"math"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// GradNorm returns the L2 norm of all gradients together. The
// per-parameter norms are stacked and reduced on the device, so there is
// one read-back per call rather than one per parameter.
func GradNorm(params []Param) float64 {
	var total float64
	torch.NoGrad(func() {
		var norms []*ts.Tensor
		for _, p := range params {
			g := torch.Must(p.Tensor.Grad(false))
			if g.MustDefined() {
				norms = append(norms, torch.Must(g.Norm(false)))
			}
			torch.Free(g)
		}
		if len(norms) == 0 {
			return
		}
		all := torch.Must(ts.Stack(norms, 0))
		torch.Free(norms...)
		total = torch.Float(torch.Must(all.Norm(true)))
	})
	return total
}

// ClipGradNorm scales all gradients so that their joint L2 norm is at
// most maxNorm, and returns the norm before clipping (as PyTorch's
// clip_grad_norm_). maxNorm <= 0 only measures.
func ClipGradNorm(params []Param, maxNorm float64) float64 {
	total := GradNorm(params)
	if maxNorm <= 0 || total <= maxNorm || math.IsNaN(total) {
		return total
	}
	scale := maxNorm / (total + 1e-6)
	torch.NoGrad(func() {
		for _, p := range params {
			g := torch.Must(p.Tensor.Grad(false))
			if g.MustDefined() {
				mulScalar(g, scale)
			}
			torch.Free(g)
		}
	})
	return total
}

// ScaleGrads multiplies every gradient by f in place (a loss summed over
// tokens becomes a per-token mean, or gradients are clipped).
func ScaleGrads(params []Param, f float64) {
	torch.NoGrad(func() {
		s := ts.FloatScalar(f)
		defer s.Drop()
		for _, p := range params {
			g := torch.Must(p.Tensor.Grad(false))
			if g.MustDefined() {
				torch.Check(g.MulScalar_(s))
			}
			torch.Free(g)
		}
	})
}
