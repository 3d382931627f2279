package layers

import (
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// shortcut is a block's skip path: the identity (apply == nil), or the
// projection S of a block that changes shape (a ResNet's downsampling
// block, Features.Shortcut). Every variant scales and joins S(x) where
// the formula says x.
type shortcut struct{ apply Sublayer }

// of returns the skip path's value for x and a function that frees it
// (a no-op for the identity, since x stays the caller's).
func (s shortcut) of(x *ts.Tensor) (*ts.Tensor, func()) {
	if s.apply == nil {
		return x, func() {}
	}
	sx := s.apply(x)
	return sx, func() { torch.Free(sx) }
}

// join returns λ·S(x) + fx and frees fx.
func (s shortcut) join(x, fx *ts.Tensor, lambda float64) *ts.Tensor {
	sx, release := s.of(x)
	defer release()
	return skipAdd(sx, fx, lambda)
}

// skipAdd returns lambda*x + fx and frees fx (x stays the caller's).
func skipAdd(x, fx *ts.Tensor, lambda float64) *ts.Tensor {
	if lambda == 1 {
		return torch.Must(fx.Add(x, true))
	}
	s := ts.FloatScalar(lambda)
	scaled := torch.Must(x.MulScalar(s, false))
	torch.Check(s.Drop())
	sum := torch.Must(fx.Add(scaled, true))
	torch.Free(scaled)
	return sum
}

// normed applies n to t and frees t.
func normed(n Norm, t *ts.Tensor, train bool) *ts.Tensor {
	y := n.Forward(t, train)
	torch.Free(t)
	return y
}
