package nmt

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// feedForward is fc2(act(fc1(x))) with activation dropout in between.
type feedForward struct {
	w1, b1, w2, b2 *ts.Tensor
	gelu           bool
	actDropout     float64
}

// newFeedForward names its variables fc1.* and fc2.* as fairseq does and
// initializes them Xavier-uniform with zero biases (fairseq's original
// Transformer init; its newer releases keep PyTorch's Linear default
// for these two).
func newFeedForward(p *nn.Path, c Config) (*feedForward, error) {
	f := &feedForward{gelu: c.Activation == ActivationGELU, actDropout: c.ActivationDropout}
	var err error
	fc1, fc2 := p.Sub("fc1"), p.Sub("fc2")
	if f.w1, err = torch.NewParam(fc1, "weight", []int64{c.FFNDim, c.DModel}, uniform(xavierBound(c.DModel, c.FFNDim, 1))); err != nil {
		return nil, fmt.Errorf("fc1: %w", err)
	}
	if f.b1, err = torch.NewParam(fc1, "bias", []int64{c.FFNDim}, nil); err != nil {
		return nil, fmt.Errorf("fc1: %w", err)
	}
	if f.w2, err = torch.NewParam(fc2, "weight", []int64{c.DModel, c.FFNDim}, uniform(xavierBound(c.FFNDim, c.DModel, 1))); err != nil {
		return nil, fmt.Errorf("fc2: %w", err)
	}
	if f.b2, err = torch.NewParam(fc2, "bias", []int64{c.DModel}, nil); err != nil {
		return nil, fmt.Errorf("fc2: %w", err)
	}
	return f, nil
}

// forward runs on x flattened to [N, D], so that ReLU can work in place
// on addmm's own output: in place on a view of it, autograd would add a
// CopySlices node and copy the gradient in backward.
func (f *feedForward) forward(x *ts.Tensor, train bool) *ts.Tensor {
	shape := torch.Shape(x)
	flat := torch.Must(x.Reshape([]int64{-1, shape[len(shape)-1]}, false))
	h := torch.Must(ts.Linear(flat, f.w1, f.b1))
	torch.Free(flat)
	if f.gelu {
		h = torch.Must(h.Gelu("none", true))
	} else {
		torch.Check(h.Relu_())
	}
	h = dropout(h, f.actDropout, train)
	out := torch.Must(ts.Linear(h, f.w2, f.b2))
	torch.Free(h)
	return torch.Must(out.View(shape, true))
}

// residualBlock is one sublayer with its residual join. Its F is
// dropout(sublayer(x)), so the residual variant decides where the norm
// and the skip go and the sublayer never knows.
type residualBlock struct {
	res     layers.Residual
	dropout float64
}

func newResidualBlock(build layers.Builder, p *nn.Path, c Config) (residualBlock, error) {
	r, err := build(p, layers.Features{Dim: c.DModel})
	if err != nil {
		return residualBlock{}, err
	}
	return residualBlock{res: r, dropout: c.Dropout}, nil
}

// apply returns the block output for x (which stays the caller's).
func (b residualBlock) apply(x *ts.Tensor, sublayer func(*ts.Tensor) *ts.Tensor, train bool) *ts.Tensor {
	return b.res.Forward(x, func(z *ts.Tensor) *ts.Tensor {
		return dropout(sublayer(z), b.dropout, train)
	}, train)
}

// encoderLayer is self-attention then feed-forward, each joined by the
// encoder's residual variant.
type encoderLayer struct {
	selfAttn *attention
	selfRes  residualBlock
	ffn      *feedForward
	ffnRes   residualBlock
}

// newEncoderLayer names variables fairseq's way (self_attn.*, fc1.*,
// fc2.*); the residuals' own variables sit under self_attn_residual.*
// and ffn_residual.* (fairseq's self_attn_layer_norm and
// final_layer_norm when the variant is post-ln or pre-ln).
func newEncoderLayer(p *nn.Path, c Config, build layers.Builder) (l *encoderLayer, err error) {
	l = &encoderLayer{}
	if l.selfAttn, err = newAttention(p.Sub("self_attn"), c.DModel, c.Heads, c.AttentionDropout); err != nil {
		return nil, fmt.Errorf("self_attn: %w", err)
	}
	if l.selfRes, err = newResidualBlock(build, p.Sub("self_attn_residual"), c); err != nil {
		return nil, fmt.Errorf("self_attn_residual: %w", err)
	}
	if l.ffn, err = newFeedForward(p, c); err != nil {
		return nil, err
	}
	if l.ffnRes, err = newResidualBlock(build, p.Sub("ffn_residual"), c); err != nil {
		return nil, fmt.Errorf("ffn_residual: %w", err)
	}
	return l, nil
}

// forward returns the layer output for x [B, S, D] (x stays the
// caller's); mask marks padded source positions.
func (l *encoderLayer) forward(x, mask *ts.Tensor, train bool) *ts.Tensor {
	h := l.selfRes.apply(x, func(z *ts.Tensor) *ts.Tensor { return l.selfAttn.self(z, mask, train) }, train)
	y := l.ffnRes.apply(h, func(z *ts.Tensor) *ts.Tensor { return l.ffn.forward(z, train) }, train)
	torch.Free(h)
	return y
}

// decoderLayer is causal self-attention, cross-attention to the encoder
// and feed-forward, each joined by the decoder's residual variant.
type decoderLayer struct {
	selfAttn  *attention
	selfRes   residualBlock
	crossAttn *attention
	crossRes  residualBlock
	ffn       *feedForward
	ffnRes    residualBlock
}

// newDecoderLayer names variables as newEncoderLayer does, plus
// encoder_attn.* (fairseq's name) and encoder_attn_residual.*.
func newDecoderLayer(p *nn.Path, c Config, build layers.Builder) (l *decoderLayer, err error) {
	l = &decoderLayer{}
	if l.selfAttn, err = newAttention(p.Sub("self_attn"), c.DModel, c.Heads, c.AttentionDropout); err != nil {
		return nil, fmt.Errorf("self_attn: %w", err)
	}
	if l.selfRes, err = newResidualBlock(build, p.Sub("self_attn_residual"), c); err != nil {
		return nil, fmt.Errorf("self_attn_residual: %w", err)
	}
	if l.crossAttn, err = newAttention(p.Sub("encoder_attn"), c.DModel, c.Heads, c.AttentionDropout); err != nil {
		return nil, fmt.Errorf("encoder_attn: %w", err)
	}
	if l.crossRes, err = newResidualBlock(build, p.Sub("encoder_attn_residual"), c); err != nil {
		return nil, fmt.Errorf("encoder_attn_residual: %w", err)
	}
	if l.ffn, err = newFeedForward(p, c); err != nil {
		return nil, err
	}
	if l.ffnRes, err = newResidualBlock(build, p.Sub("ffn_residual"), c); err != nil {
		return nil, fmt.Errorf("ffn_residual: %w", err)
	}
	return l, nil
}

// forward runs the whole target prefix at once: x [B, T, D] (stays the
// caller's), causal blocks the future, k and v are this layer's
// projection of the encoder output and srcMask marks padded sources.
func (l *decoderLayer) forward(x, causal, k, v, srcMask *ts.Tensor, train bool) *ts.Tensor {
	h := l.selfRes.apply(x, func(z *ts.Tensor) *ts.Tensor { return l.selfAttn.self(z, causal, train) }, train)
	y := l.crossAndFFN(h, k, v, srcMask, 1, train)
	torch.Free(h)
	return y
}

// step runs one decoding step for x [N, 1, D] (stays the caller's) and
// extends c's self-attention keys and values by that step; each group
// consecutive rows share one entry of c's cross cache.
func (l *decoderLayer) step(x *ts.Tensor, c *layerCache, srcMask *ts.Tensor, group int64) *ts.Tensor {
	// F may in principle be called more than once by a variant, so it
	// keeps only its latest keys and values, committed after the join.
	var k, v *ts.Tensor
	h := l.selfRes.apply(x, func(z *ts.Tensor) *ts.Tensor {
		out, nk, nv := l.selfAttn.selfStep(z, c.selfK, c.selfV)
		torch.Free(k, v)
		k, v = nk, nv
		return out
	}, false)
	torch.Free(c.selfK, c.selfV)
	c.selfK, c.selfV = k, v
	y := l.crossAndFFN(h, c.crossK, c.crossV, srcMask, group, false)
	torch.Free(h)
	return y
}

// crossAndFFN runs the cross-attention and feed-forward blocks. With
// group > 1, x is [N, 1, D] and k, v hold N/group sentences: a sentence's
// group rows enter cross-attention as that sentence's group query
// positions, which reads each sentence's keys once for all its beams.
func (l *decoderLayer) crossAndFFN(x, k, v, srcMask *ts.Tensor, group int64, train bool) *ts.Tensor {
	h := l.crossRes.apply(x, func(z *ts.Tensor) *ts.Tensor {
		if group == 1 {
			return l.crossAttn.cross(z, k, v, srcMask, train)
		}
		d := l.crossAttn.dim
		zg := torch.Must(z.View([]int64{-1, group, d}, false))
		out := l.crossAttn.cross(zg, k, v, srcMask, train)
		torch.Free(zg)
		return torch.Must(out.View([]int64{-1, 1, d}, true))
	}, train)
	y := l.ffnRes.apply(h, func(z *ts.Tensor) *ts.Tensor { return l.ffn.forward(z, train) }, train)
	torch.Free(h)
	return y
}
