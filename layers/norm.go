package layers

import (
	"fmt"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
	"github.com/zoo-nn/zoo/torch"
)

// Norm kinds accepted by the norm-using variants' "norm" parameter.
//
//   - "layer" (default): layer norm over the features of each position for
//     sequences ([..., C], over C); for images, over (C, H, W) of each sample
//     with a per-channel gain and bias (group norm with one group), so the
//     parameters do not depend on the image size.
//   - "layer-channel": layer norm over C at each position; for images that
//     is each (h, w) of each sample. Same as "layer" for sequences.
//   - "batch": batch norm over C with batch statistics in training and
//     running statistics in evaluation (the paper's BN ablation); for
//     sequences every position of every sample counts as one example.
const (
	NormLayer        = "layer"
	NormLayerChannel = "layer-channel"
	NormBatch        = "batch"
)

// Norm normalizes a residual's features. Forward does not free x.
type Norm interface {
	Forward(x *ts.Tensor, train bool) *ts.Tensor
}

// normParams are the parameters every norm-using variant accepts.
var normParams = []registry.Param{
	{Name: "norm", Kind: registry.String, Default: NormLayer,
		Choices: []string{NormLayer, NormLayerChannel, NormBatch},
		Doc:     "normalization: layer (features; C,H,W for images), layer-channel (C per position), batch"},
	{Name: "eps", Kind: registry.Float, Default: 1e-5, Min: 0, HasMin: true,
		Doc: "added to the variance for numerical stability"},
}

// normSpec is a validated choice of norm, read from a variant's values.
type normSpec struct {
	kind string
	eps  float64
}

func normFrom(v registry.Values) normSpec {
	return normSpec{kind: v.String("norm"), eps: v.Float("eps")}
}

// build makes the norm's parameters under p (weight = 1, bias = 0).
func (s normSpec) build(p *nn.Path, f Features) (Norm, error) {
	if f.Dim <= 0 {
		return nil, fmt.Errorf("norm %s: feature dim %d must be positive", s.kind, f.Dim)
	}
	w, err := p.NewVar("weight", []int64{f.Dim}, nn.NewConstInit(1))
	if err != nil {
		return nil, fmt.Errorf("norm %s: %w", s.kind, err)
	}
	b, err := p.NewVar("bias", []int64{f.Dim}, nn.NewConstInit(0))
	if err != nil {
		return nil, fmt.Errorf("norm %s: %w", s.kind, err)
	}
	affine := affine{w: w, b: b, eps: s.eps, dim: f.Dim}
	switch {
	case s.kind == NormBatch:
		return newBatchNorm(p, affine)
	case s.kind == NormLayer && f.Spatial:
		return groupNorm{affine}, nil
	case s.kind == NormLayerChannel && f.Spatial:
		return channelNorm{affine}, nil
	case s.kind == NormLayer || s.kind == NormLayerChannel:
		return layerNorm{affine}, nil
	}
	return nil, fmt.Errorf("unknown norm %q", s.kind)
}

type affine struct {
	w, b *ts.Tensor
	eps  float64
	dim  int64
}

// layerNorm normalizes the last dimension.
type layerNorm struct{ affine }

func (n layerNorm) Forward(x *ts.Tensor, _ bool) *ts.Tensor {
	return torch.Must(ts.LayerNorm(x, []int64{n.dim}, n.w, n.b, n.eps, true))
}

// groupNorm with one group is layer norm over (C, H, W) with a
// per-channel affine transform.
type groupNorm struct{ affine }

func (n groupNorm) Forward(x *ts.Tensor, _ bool) *ts.Tensor {
	return torch.Must(ts.GroupNorm(x, 1, n.w, n.b, n.eps, true))
}

// channelNorm normalizes C at each position of a [B, C, H, W] tensor.
type channelNorm struct{ affine }

func (n channelNorm) Forward(x *ts.Tensor, _ bool) *ts.Tensor {
	last := torch.Must(x.Permute([]int64{0, 2, 3, 1}, false))
	normed := torch.Must(ts.LayerNorm(last, []int64{n.dim}, n.w, n.b, n.eps, true))
	torch.Free(last)
	return torch.Must(normed.Permute([]int64{0, 3, 1, 2}, true))
}

// batchNorm keeps running statistics as non-trainable variables named as
// PyTorch's BatchNorm does.
type batchNorm struct {
	affine
	mean, variance *ts.Tensor
	momentum       float64
}

func newBatchNorm(p *nn.Path, a affine) (Norm, error) {
	mean, err := p.ZerosNoTrain("running_mean", []int64{a.dim})
	if err != nil {
		return nil, fmt.Errorf("batch norm: %w", err)
	}
	variance, err := p.OnesNoTrain("running_var", []int64{a.dim})
	if err != nil {
		return nil, fmt.Errorf("batch norm: %w", err)
	}
	return batchNorm{affine: a, mean: mean, variance: variance, momentum: 0.1}, nil
}

func (n batchNorm) Forward(x *ts.Tensor, train bool) *ts.Tensor {
	if x.Dim() == 4 {
		return torch.Must(ts.BatchNorm(x, n.w, n.b, n.mean, n.variance, train, n.momentum, n.eps, true))
	}
	// [..., C] -> [N, C]: every position is one example of the batch.
	shape := torch.Shape(x)
	flat := torch.Must(x.Reshape([]int64{-1, n.dim}, false))
	normed := torch.Must(ts.BatchNorm(flat, n.w, n.b, n.mean, n.variance, train, n.momentum, n.eps, true))
	torch.Free(flat)
	return torch.Must(normed.Reshape(shape, true))
}
