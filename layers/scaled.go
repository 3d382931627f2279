package layers

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
)

// Scaled is the paper's expanded skip: y = λ·x + F(x), λ a fixed scalar.
// Without normalization a stack of L such blocks carries λ^(L-l)·x_l, so
// gradients explode (λ > 1) or vanish (λ < 1) with depth.
type Scaled struct {
	Lambda float64
	skip   shortcut
}

var lambdaParam = registry.Param{Name: "lambda", Kind: registry.Float, Default: 1.0,
	Doc: "λ, the fixed scale of the skip path"}

func init() {
	Variants.Register(registry.Spec[Builder]{
		Name:        "scaled",
		Formula:     "y = λ·x + F(x)",
		Description: "expanded skip: the shortcut scaled by a fixed λ, no normalization",
		Reference:   refLiu2020,
		Params:      []registry.Param{lambdaParam},
		New: func(v registry.Values) (Builder, error) {
			lambda := v.Float("lambda")
			return func(_ *nn.Path, f Features) (Residual, error) {
				return Scaled{Lambda: lambda, skip: shortcut{f.Shortcut}}, nil
			}, nil
		},
	})
}

// Forward returns λ·x + F(x).
func (s Scaled) Forward(x *ts.Tensor, f Sublayer, _ bool) *ts.Tensor {
	return s.skip.join(x, f(x), s.Lambda)
}

// FinalNorm is false.
func (Scaled) FinalNorm() bool { return false }
