package vision

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// BatchNorm settings of every BN in the nets (PyTorch's defaults).
const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

// conv2d is a bias-free k x k convolution with padding k/2 (every conv
// of the nets is followed by a BN, which has the bias).
type conv2d struct {
	w           *ts.Tensor // [out, in, k, k]
	stride, pad []int64
	dilation    []int64
}

// newConv2d adds "weight" under p, initialized as torchvision's ResNets
// do: Kaiming normal, mode fan_out, gain √2, i.e. N(0, 2/(out·k·k)).
func newConv2d(p *nn.Path, in, out, k, stride int64) (conv2d, error) {
	std := math.Sqrt(2 / float64(out*k*k))
	w, err := torch.NewParam(p, "weight", []int64{out, in, k, k}, func(t *ts.Tensor) error { return t.Normal_(0, std) })
	if err != nil {
		return conv2d{}, err
	}
	return conv2d{w: w, stride: []int64{stride, stride}, pad: []int64{k / 2, k / 2}, dilation: []int64{1, 1}}, nil
}

// forward returns the convolution of x (which stays the caller's).
func (c conv2d) forward(x *ts.Tensor) *ts.Tensor {
	return torch.Must(ts.Conv2d(x, c.w, ts.None, c.stride, c.pad, c.dilation, 1))
}

// consume is forward that frees x.
func (c conv2d) consume(x *ts.Tensor) *ts.Tensor {
	y := c.forward(x)
	torch.Free(x)
	return y
}

// batchNorm2d is spatial batch norm with PyTorch's BatchNorm2d names:
// weight, bias (trainable) and running_mean, running_var (not).
type batchNorm2d struct {
	w, b, mean, variance *ts.Tensor
}

// newBatchNorm2d adds the four variables under p: weight 1 (0 when
// zeroWeight), bias 0, running mean 0 and running variance 1.
func newBatchNorm2d(p *nn.Path, c int64, zeroWeight bool) (*batchNorm2d, error) {
	fill := fillOnes
	if zeroWeight {
		fill = nil
	}
	w, err := torch.NewParam(p, "weight", []int64{c}, fill)
	if err != nil {
		return nil, err
	}
	b, err := torch.NewParam(p, "bias", []int64{c}, nil)
	if err != nil {
		return nil, err
	}
	mean, err := p.ZerosNoTrain("running_mean", []int64{c})
	if err != nil {
		return nil, fmt.Errorf("running_mean: %w", err)
	}
	variance, err := p.OnesNoTrain("running_var", []int64{c})
	if err != nil {
		return nil, fmt.Errorf("running_var: %w", err)
	}
	return &batchNorm2d{w: w, b: b, mean: mean, variance: variance}, nil
}

// forward normalizes x with batch statistics (and updates the running
// ones) in training, with the running statistics otherwise. x stays the
// caller's.
func (n *batchNorm2d) forward(x *ts.Tensor, train bool) *ts.Tensor {
	return torch.Must(ts.BatchNorm(x, n.w, n.b, n.mean, n.variance, train, bnMomentum, bnEps, true))
}

// consume is forward that frees x (autograd keeps what backward needs).
func (n *batchNorm2d) consume(x *ts.Tensor, train bool) *ts.Tensor {
	y := n.forward(x, train)
	torch.Free(x)
	return y
}

// relu applies ReLU in place to t, a tensor the caller owns, and returns
// it. (Safe after BN and after every variant's join: their backward
// passes need their inputs, not their outputs; autograd's version check
// would report any op that did.)
func relu(t *ts.Tensor) *ts.Tensor {
	torch.Check(t.Relu_())
	return t
}

func fillOnes(t *ts.Tensor) error {
	s := ts.FloatScalar(1)
	defer s.Drop()
	return t.Fill_(s)
}

func fillUniform(a float64) func(*ts.Tensor) error {
	return func(t *ts.Tensor) error { return t.Uniform_(-a, a) }
}

// zeroPadShortcut is option A: S(x) = x subsampled by the stride
// (x[:, :, ::s, ::s], the grid of the stride-s 3x3 convolution's
// outputs) with extra zero channels appended after x's.
type zeroPadShortcut struct {
	stride, extra int64
}

func (s zeroPadShortcut) apply(x *ts.Tensor) *ts.Tensor {
	sub := x
	if s.stride > 1 {
		rows := torch.Must(x.Slice(2, nil, nil, s.stride, false))
		sub = torch.Must(rows.Slice(3, nil, nil, s.stride, true))
	}
	// One op: constant_pad_nd pads (W, H, C) from the last dim backwards
	// and writes the strided view into a fresh contiguous tensor.
	y := torch.Must(sub.ConstantPadNd([]int64{0, 0, 0, 0, 0, s.extra}, sub != x))
	return y
}

// projShortcut is option B: S(x) = BN(conv1x1_stride(x)), variables
// shortcut.0.weight and shortcut.1.* (a PyTorch nn.Sequential's names).
// A layers.Sublayer has no train flag, so the block sets train before
// each Forward.
type projShortcut struct {
	conv  conv2d
	bn    *batchNorm2d
	train bool
}

func newProjShortcut(p *nn.Path, in, out, stride int64) (*projShortcut, error) {
	c, err := newConv2d(p.Sub("0"), in, out, 1, stride)
	if err != nil {
		return nil, fmt.Errorf("0: %w", err)
	}
	bn, err := newBatchNorm2d(p.Sub("1"), out, false)
	if err != nil {
		return nil, fmt.Errorf("1: %w", err)
	}
	return &projShortcut{conv: c, bn: bn}, nil
}

func (s *projShortcut) apply(x *ts.Tensor) *ts.Tensor {
	return s.bn.consume(s.conv.forward(x), s.train)
}

// block is one residual block: its F (convs and BNs), its skip path and
// the variant that joins them.
type block struct {
	preact bool           // preresnet: F starts with BN-ReLU, nothing after the join
	convs  []conv2d       // conv1, conv2 (, conv3)
	bns    []*batchNorm2d // bn1, bn2 (, bn3): after conv_i (resnet), before it (preresnet)
	proj   *projShortcut  // option B where the shape changes, else nil
	res    layers.Residual
}

// blockSpec is what newBlock needs to know about one block.
type blockSpec struct {
	in, planes, out, stride int64
}

// newBlock creates the block's variables under p, named as a PyTorch
// BasicBlock / Bottleneck would have them: conv1.weight, bn1.*, conv2.*,
// bn2.* (, conv3, bn3), shortcut.0.weight, shortcut.1.* (option B) and
// the variant's own under residual.*.
func newBlock(p *nn.Path, c Config, s blockSpec, build layers.Builder) (*block, error) {
	b := &block{preact: c.Arch == ArchPreResNet}
	// (in, out, kernel, stride) of each conv, and the channels of each BN.
	type convSpec struct{ in, out, k, stride int64 }
	var convs []convSpec
	var bnC []int64
	switch {
	case c.Block == BlockBottleneck:
		convs = []convSpec{{s.in, s.planes, 1, 1}, {s.planes, s.planes, 3, s.stride}, {s.planes, s.out, 1, 1}}
		bnC = []int64{s.in, s.planes, s.planes}
	case b.preact:
		convs = []convSpec{{s.in, s.planes, 3, s.stride}, {s.planes, s.planes, 3, 1}}
		bnC = []int64{s.in, s.planes}
	default:
		convs = []convSpec{{s.in, s.planes, 3, s.stride}, {s.planes, s.planes, 3, 1}}
		bnC = []int64{s.planes, s.planes}
	}
	for i, cs := range convs {
		name := fmt.Sprintf("conv%d", i+1)
		conv, err := newConv2d(p.Sub(name), cs.in, cs.out, cs.k, cs.stride)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b.convs = append(b.convs, conv)
	}
	for i, ch := range bnC {
		name := fmt.Sprintf("bn%d", i+1)
		bn, err := newBatchNorm2d(p.Sub(name), ch, c.ZeroInitLastBN && i == len(bnC)-1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b.bns = append(b.bns, bn)
	}
	f := layers.Features{Dim: s.out, Spatial: true}
	if s.stride != 1 || s.in != s.out {
		f.InDim = s.in
		if c.Shortcut == ShortcutA {
			f.Shortcut = zeroPadShortcut{stride: s.stride, extra: s.out - s.in}.apply
		} else {
			proj, err := newProjShortcut(p.Sub("shortcut"), s.in, s.out, s.stride)
			if err != nil {
				return nil, fmt.Errorf("shortcut.%w", err)
			}
			b.proj = proj
			f.Shortcut = proj.apply
		}
	}
	res, err := build(p.Sub("residual"), f)
	if err != nil {
		return nil, fmt.Errorf("residual: %w", err)
	}
	b.res = res
	return b, nil
}

// branch is the block's F. It returns a new tensor and leaves z alone
// (a variant may still use z for its skip path).
func (b *block) branch(z *ts.Tensor, train bool) *ts.Tensor {
	if !b.preact {
		// F(z) = BN_2(conv_2(ReLU(BN_1(conv_1(z)))))
		h := relu(b.bns[0].consume(b.convs[0].forward(z), train))
		return b.bns[1].consume(b.convs[1].consume(h), train)
	}
	// F(z) = conv_k(ReLU(BN_k(... conv_1(ReLU(BN_1(z))) ...)))
	h := relu(b.bns[0].forward(z, train))
	for i, conv := range b.convs {
		if i > 0 {
			h = relu(b.bns[i].consume(h, train))
		}
		h = conv.consume(h)
	}
	return h
}

// forward returns the block's output for x (which stays the caller's):
// ReLU(join(x, F)) for resnet, join(x, F) for preresnet.
func (b *block) forward(x *ts.Tensor, train bool) *ts.Tensor {
	if b.proj != nil {
		b.proj.train = train
	}
	y := b.res.Forward(x, func(z *ts.Tensor) *ts.Tensor { return b.branch(z, train) }, train)
	if b.preact {
		return y
	}
	return relu(y)
}
