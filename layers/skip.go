package layers

import (
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

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
