package layers

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
)

// RSkipLN is the paper's recursive skip with layer normalization of
// order λ (an integer >= 1):
//
//	f_1 = LN_1(x + F(x)),  f_k = LN_k(x + f_{k-1}) for k = 2..λ,  y = f_λ.
//
// F is computed once; the input x is added back λ times, each time
// renormalized, which weights the skip more without the unbounded scale
// of λ·x. Order 1 is Post-LN. Each step has its own norm ("norms.K",
// K = 0..λ-1) unless shared_norm is set ("norm").
type RSkipLN struct {
	Norms []Norm // one per step; all the same Norm when shared
	skip  shortcut
}

func init() {
	Variants.Register(registry.Spec[Builder]{
		Name:        "rskip-ln",
		Formula:     "f1 = LN(x + F(x)); fk = LN(x + f(k-1)), k = 2..λ; y = fλ",
		Description: "recursive skip with LN of order λ: x re-added and renormalized λ times, F once",
		Reference:   refLiu2020,
		Params: append([]registry.Param{
			{Name: "order", Kind: registry.Int, Default: int64(2), Min: 1, HasMin: true, Max: 64, HasMax: true,
				Doc: "λ, the number of normalized skip steps (1 = post-ln; the paper uses 2 and 3)"},
			{Name: "shared_norm", Kind: registry.Bool, Default: false,
				Doc: "one norm for every step instead of one per step"},
		}, normParams...),
		New: newRSkipLN,
	})
}

func newRSkipLN(v registry.Values) (Builder, error) {
	order, shared, ns := int(v.Int("order")), v.Bool("shared_norm"), normFrom(v)
	return func(p *nn.Path, f Features) (Residual, error) {
		norms := make([]Norm, order)
		if shared {
			n, err := ns.build(p.Sub("norm"), f)
			if err != nil {
				return nil, err
			}
			for k := range norms {
				norms[k] = n
			}
			return RSkipLN{Norms: norms, skip: shortcut{f.Shortcut}}, nil
		}
		for k := range norms {
			n, err := ns.build(p.Sub("norms").Sub(fmt.Sprint(k)), f)
			if err != nil {
				return nil, err
			}
			norms[k] = n
		}
		return RSkipLN{Norms: norms, skip: shortcut{f.Shortcut}}, nil
	}, nil
}

// Forward returns f_λ (with S(x) for x when the block has a shortcut).
func (r RSkipLN) Forward(x *ts.Tensor, f Sublayer, train bool) *ts.Tensor {
	fx := f(x)
	sx, release := r.skip.of(x)
	defer release()
	y := normed(r.Norms[0], skipAdd(sx, fx, 1), train)
	for _, n := range r.Norms[1:] {
		y = normed(n, skipAdd(sx, y, 1), train)
	}
	return y
}

// FinalNorm is false: the block's output is normalized.
func (RSkipLN) FinalNorm() bool { return false }
