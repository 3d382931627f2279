package nmt

import (
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// negInf fills masked attention scores and forbidden tokens. Scalars are
// read-only in libtorch, so one is shared by every model and goroutine.
var negInf = ts.FloatScalar(math.Inf(-1))

// linear returns x·Wᵀ + b over the last dimension of x. libtorch 1.13's
// linear fuses the bias into one addmm only for 2-D input, so leading
// dimensions are folded first (a view for the contiguous inputs every
// caller passes). b may be nil.
func linear(x, w, b *ts.Tensor) *ts.Tensor {
	if b == nil {
		b = ts.None
	}
	shape := torch.Shape(x)
	if len(shape) == 2 {
		return torch.Must(ts.Linear(x, w, b))
	}
	flat := torch.Must(x.Reshape([]int64{-1, shape[len(shape)-1]}, false))
	y := torch.Must(ts.Linear(flat, w, b))
	torch.Free(flat)
	out := append(append([]int64{}, shape[:len(shape)-1]...), -1)
	return torch.Must(y.View(out, true))
}

// dropout applies dropout with probability p in training and consumes x
// either way, so callers can chain it without checking train.
func dropout(x *ts.Tensor, p float64, train bool) *ts.Tensor {
	if !train || p == 0 {
		return x
	}
	y := torch.Must(torch.Dropout(x, p))
	torch.Free(x)
	return y
}

// uniform fills with U(-a, a).
func uniform(a float64) func(*ts.Tensor) error {
	return func(t *ts.Tensor) error { return t.Uniform_(-a, a) }
}

// normal fills with N(0, std²).
func normal(std float64) func(*ts.Tensor) error {
	return func(t *ts.Tensor) error { return t.Normal_(0, std) }
}

// ones fills with 1 (zeros is the nil fill).
func ones(t *ts.Tensor) error {
	s := ts.FloatScalar(1)
	defer s.Drop()
	return t.Fill_(s)
}

// xavierBound is the U(-a, a) bound of Xavier-uniform init with gain g
// for a [fanOut, fanIn] matrix.
func xavierBound(fanIn, fanOut int64, g float64) float64 {
	return g * math.Sqrt(6/float64(fanIn+fanOut))
}

// int64Tensor copies host values to a tensor of the given shape on dev.
func int64Tensor(vals []int64, shape []int64, dev gotch.Device) *ts.Tensor {
	t := torch.Must(ts.OfSlice(vals))
	t = torch.Must(t.View(shape, true))
	if dev != gotch.CPU {
		t = torch.Must(t.To(dev, true))
	}
	return t
}

// hostFloats copies t's values to the host as float64 and frees t.
// (gotch's Float64Values leaves its converted copy to the GC.)
func hostFloats(t *ts.Tensor) []float64 {
	d := torch.Must(t.Totype(gotch.Double, true))
	defer torch.Free(d)
	out := make([]float64, d.Numel())
	torch.Check(d.CopyData(out, uint(len(out))))
	return out
}

// hostInts copies t's values to the host as int64 and frees t.
func hostInts(t *ts.Tensor) []int64 {
	d := torch.Must(t.Totype(gotch.Int64, true))
	defer torch.Free(d)
	out := make([]int64, d.Numel())
	torch.Check(d.CopyData(out, uint(len(out))))
	return out
}

// layerNorm is a stack's final norm (fairseq's encoder.layer_norm /
// decoder.layer_norm), named weight and bias as PyTorch's LayerNorm.
type layerNorm struct {
	w, b *ts.Tensor
	dim  int64
}

func newLayerNorm(p *nn.Path, dim int64) (*layerNorm, error) {
	w, err := torch.NewParam(p, "weight", []int64{dim}, ones)
	if err != nil {
		return nil, err
	}
	b, err := torch.NewParam(p, "bias", []int64{dim}, nil)
	if err != nil {
		return nil, err
	}
	return &layerNorm{w: w, b: b, dim: dim}, nil
}

// forward normalizes x's last dimension and frees x.
func (n *layerNorm) forward(x *ts.Tensor) *ts.Tensor {
	y := torch.Must(ts.LayerNorm(x, []int64{n.dim}, n.w, n.b, 1e-5, true))
	torch.Free(x)
	return y
}

// must2 is torch.Must for ops that return two tensors.
func must2(a, b *ts.Tensor, err error) (*ts.Tensor, *ts.Tensor) {
	torch.Check(err)
	return a, b
}
