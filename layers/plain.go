package layers

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
)

// Plain is the identity skip of the original ResNet: y = x + F(x).
type Plain struct{ skip shortcut }

func init() {
	Variants.Register(registry.Spec[Builder]{
		Name:        "plain",
		Formula:     "y = x + F(x)",
		Description: "identity skip, no normalization on the sum",
		Reference:   refHe2016,
		New: func(registry.Values) (Builder, error) {
			return func(_ *nn.Path, f Features) (Residual, error) { return Plain{skip: shortcut{f.Shortcut}}, nil }, nil
		},
	})
}

// Forward returns x + F(x).
func (p Plain) Forward(x *ts.Tensor, f Sublayer, _ bool) *ts.Tensor { return p.skip.join(x, f(x), 1) }

// FinalNorm is false: plain stacks have no norm to add at the end.
func (Plain) FinalNorm() bool { return false }
