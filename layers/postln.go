package layers

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
)

// PostLN is the original Transformer's block: y = LN(x + F(x)).
type PostLN struct {
	Norm Norm // variables under "norm"
	skip shortcut
}

func init() {
	Variants.Register(registry.Spec[Builder]{
		Name:        "post-ln",
		Formula:     "y = LN(x + F(x))",
		Description: "Post-LN: identity skip, then normalization of the sum (original Transformer)",
		Reference:   refVaswani,
		Params:      normParams,
		New: func(v registry.Values) (Builder, error) {
			ns := normFrom(v)
			return func(p *nn.Path, f Features) (Residual, error) {
				n, err := ns.build(p.Sub("norm"), f)
				return PostLN{Norm: n, skip: shortcut{f.Shortcut}}, err
			}, nil
		},
	})
}

// Forward returns LN(x + F(x)).
func (b PostLN) Forward(x *ts.Tensor, f Sublayer, train bool) *ts.Tensor {
	return normed(b.Norm, b.skip.join(x, f(x), 1), train)
}

// FinalNorm is false.
func (PostLN) FinalNorm() bool { return false }
