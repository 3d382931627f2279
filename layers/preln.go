package layers

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
	"github.com/zoo-nn/zoo/torch"
)

// PreLN normalizes the sublayer's input instead of the sum:
// y = x + F(LN(x)). The skip path stays an identity end to end, so a stack
// of these needs a final norm before its head.
type PreLN struct {
	Norm Norm // variables under "norm"
	skip shortcut
}

func init() {
	Variants.Register(registry.Spec[Builder]{
		Name:        "pre-ln",
		Formula:     "y = x + F(LN(x))",
		Description: "Pre-LN: normalization inside the branch, identity skip; the stack ends with a norm",
		Reference:   refXiong2020,
		Params:      normParams,
		New: func(v registry.Values) (Builder, error) {
			ns := normFrom(v)
			return func(p *nn.Path, f Features) (Residual, error) {
				in := f
				in.Dim = f.inDim() // the norm sees the block input
				n, err := ns.build(p.Sub("norm"), in)
				return PreLN{Norm: n, skip: shortcut{f.Shortcut}}, err
			}, nil
		},
	})
}

// Forward returns x + F(LN(x)), or S(LN(x)) + F(LN(x)) with a shortcut.
func (b PreLN) Forward(x *ts.Tensor, f Sublayer, train bool) *ts.Tensor {
	n := b.Norm.Forward(x, train)
	defer torch.Free(n)
	fx := f(n)
	if b.skip.apply == nil {
		return skipAdd(x, fx, 1)
	}
	return b.skip.join(n, fx, 1)
}

// FinalNorm is true: the sum x + F(·) is never normalized inside a block.
func (PreLN) FinalNorm() bool { return true }
