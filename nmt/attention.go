package nmt

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// attention is multi-head attention with PyTorch's packed in-projection:
// in_proj_weight is [3·D, D] with the q, k and v rows in that order
// (fairseq's q_proj, k_proj, v_proj stacked), so self-attention projects
// q, k and v with one matmul, and cross-attention projects q from the
// decoder and k, v from the encoder with one matmul each.
//
// Tensors between the projections are [B, H, T, d] with d = D/H.
type attention struct {
	inW, inB   *ts.Tensor // [3D, D], [3D]
	outW, outB *ts.Tensor // [D, D], [D]
	dim        int64      // D
	heads      int64      // H
	headDim    int64      // d
	scale      *ts.Scalar // d^-0.5, applied to q as fairseq does
	dropout    float64    // on the attention probabilities
}

// newAttention creates the variables under p with fairseq's init:
// Xavier-uniform with gain 1/√2 for each of the q, k, v blocks (every
// block is D×D, so one bound serves the packed matrix), PyTorch's Linear
// default U(±1/√D) for their biases, plain Xavier-uniform for out_proj
// and a zero out_proj bias.
func newAttention(p *nn.Path, dim, heads int64, dropout float64) (*attention, error) {
	a := &attention{dim: dim, heads: heads, headDim: dim / heads, dropout: dropout}
	a.scale = ts.FloatScalar(math.Pow(float64(a.headDim), -0.5))
	var err error
	if a.inW, err = torch.NewParam(p, "in_proj_weight", []int64{3 * dim, dim}, uniform(xavierBound(dim, dim, 1/math.Sqrt2))); err != nil {
		return nil, err
	}
	if a.inB, err = torch.NewParam(p, "in_proj_bias", []int64{3 * dim}, uniform(1/math.Sqrt(float64(dim)))); err != nil {
		return nil, err
	}
	out := p.Sub("out_proj")
	if a.outW, err = torch.NewParam(out, "weight", []int64{dim, dim}, uniform(xavierBound(dim, dim, 1))); err != nil {
		return nil, fmt.Errorf("out_proj: %w", err)
	}
	if a.outB, err = torch.NewParam(out, "bias", []int64{dim}, nil); err != nil {
		return nil, fmt.Errorf("out_proj: %w", err)
	}
	return a, nil
}

// self attends x [B, T, D] to itself; mask (bool, true = blocked) must
// broadcast to [B, H, T, T] and may be nil.
func (a *attention) self(x, mask *ts.Tensor, train bool) *ts.Tensor {
	q, k, v := a.projectQKV(x)
	out := a.attend(q, k, v, mask, train)
	torch.Free(q, k, v)
	return out
}

// selfStep is one incremental decoding step: x is [N, 1, D], pastK and
// pastV are [N, H, t, d] (nil at step 0). It returns the output and the
// keys and values extended to t+1, which the caller owns.
func (a *attention) selfStep(x, pastK, pastV *ts.Tensor) (out, k, v *ts.Tensor) {
	q, kNew, vNew := a.projectQKV(x)
	k, v = appendStep(pastK, kNew), appendStep(pastV, vNew)
	torch.Free(kNew, vNew)
	out = a.attend(q, k, v, nil, false)
	torch.Free(q)
	return out, k, v
}

// appendStep returns past ++ next along time as a new contiguous tensor.
func appendStep(past, next *ts.Tensor) *ts.Tensor {
	if past == nil {
		return torch.Must(next.Contiguous(false))
	}
	return torch.Must(ts.Cat([]*ts.Tensor{past, next}, 2))
}

// cross attends x [B, T, D] to keys and values k, v [B, H, S, d] from
// crossKV; mask (true = padded source position) broadcasts to
// [B, H, T, S].
func (a *attention) cross(x, k, v, mask *ts.Tensor, train bool) *ts.Tensor {
	w := torch.Must(a.inW.Narrow(0, 0, a.dim, false))
	b := torch.Must(a.inB.Narrow(0, 0, a.dim, false))
	q := linear(x, w, b)
	torch.Free(w, b)
	q = a.splitHeads(q, 1)
	scaled := torch.Must(torch.Must(q.Select(0, 0, true)).MulScalar(a.scale, true))
	out := a.attend(scaled, k, v, mask, train)
	torch.Free(scaled)
	return out
}

// crossKV projects the encoder output mem [B, S, D] to contiguous keys
// and values [B, H, S, d]; decoding computes them once per sentence.
func (a *attention) crossKV(mem *ts.Tensor) (k, v *ts.Tensor) {
	w := torch.Must(a.inW.Narrow(0, a.dim, 2*a.dim, false))
	b := torch.Must(a.inB.Narrow(0, a.dim, 2*a.dim, false))
	kv := a.splitHeads(linear(mem, w, b), 2)
	torch.Free(w, b)
	k = torch.Must(torch.Must(kv.Select(0, 0, false)).Contiguous(true))
	v = torch.Must(torch.Must(kv.Select(0, 1, false)).Contiguous(true))
	torch.Free(kv)
	return k, v
}

// projectQKV returns the scaled queries and the keys and values of x,
// each [B, H, T, d]; k and v are views of one packed projection.
func (a *attention) projectQKV(x *ts.Tensor) (q, k, v *ts.Tensor) {
	qkv := a.splitHeads(linear(x, a.inW, a.inB), 3)
	q = torch.Must(torch.Must(qkv.Select(0, 0, false)).MulScalar(a.scale, true))
	k = torch.Must(qkv.Select(0, 1, false))
	v = torch.Must(qkv.Select(0, 2, false))
	torch.Free(qkv)
	return q, k, v
}

// splitHeads views a packed projection [B, T, n·D] as [n, B, H, T, d]
// and frees it.
func (a *attention) splitHeads(packed *ts.Tensor, n int64) *ts.Tensor {
	shape := torch.Shape(packed)
	t := torch.Must(packed.View([]int64{shape[0], shape[1], n, a.heads, a.headDim}, true))
	return torch.Must(t.Permute([]int64{2, 0, 3, 1, 4}, true))
}

// attend computes softmax(q·kᵀ masked)·v for q [B, H, T, d] (already
// scaled) and k, v [B, H, S, d], merges the heads and applies out_proj.
// It frees none of its inputs.
func (a *attention) attend(q, k, v, mask *ts.Tensor, train bool) *ts.Tensor {
	kT := torch.Must(k.Transpose(2, 3, false))
	scores := torch.Must(q.Matmul(kT, false))
	torch.Free(kT)
	if mask != nil {
		torch.Check(scores.MaskedFill_(mask, negInf))
	}
	probs := torch.Must(scores.Softmax(-1, gotch.Invalid, true))
	probs = dropout(probs, a.dropout, train)
	ctx := torch.Must(probs.Matmul(v, true))
	shape := torch.Shape(ctx)
	ctx = torch.Must(ctx.Transpose(1, 2, true))
	ctx = torch.Must(ctx.Reshape([]int64{shape[0], shape[2], a.dim}, true))
	out := linear(ctx, a.outW, a.outB)
	torch.Free(ctx)
	return out
}
