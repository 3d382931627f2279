package layers

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
)

// ScaledLN normalizes the expanded skip: y = LN(λ·x + F(x)). The norm
// removes the λ^(L-l) factor that the plain scaled skip accumulates.
type ScaledLN struct {
	Lambda float64
	Norm   Norm // variables under "norm"
	skip   shortcut
}

func init() {
	Variants.Register(registry.Spec[Builder]{
		Name:        "scaled-ln",
		Formula:     "y = LN(λ·x + F(x))",
		Description: "expanded skip followed by normalization of the sum",
		Reference:   refLiu2020,
		Params:      append([]registry.Param{lambdaParam}, normParams...),
		New: func(v registry.Values) (Builder, error) {
			lambda, ns := v.Float("lambda"), normFrom(v)
			return func(p *nn.Path, f Features) (Residual, error) {
				n, err := ns.build(p.Sub("norm"), f)
				return ScaledLN{Lambda: lambda, Norm: n, skip: shortcut{f.Shortcut}}, err
			}, nil
		},
	})
}

// Forward returns LN(λ·x + F(x)).
func (s ScaledLN) Forward(x *ts.Tensor, f Sublayer, train bool) *ts.Tensor {
	return normed(s.Norm, s.skip.join(x, f(x), s.Lambda), train)
}

// FinalNorm is false: every block's output is already normalized.
func (ScaledLN) FinalNorm() bool { return false }
