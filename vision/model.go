package vision

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// Model is a CIFAR-style ResNet whose every residual join is a layers
// variant. Its variables live in the VarStore of the path given to New;
// the Model keeps pointers to them, which keeps them alive.
//
// A Model is not safe for concurrent use: a training forward pass updates
// the BN running statistics in place (and libtorch's grad mode and errors
// are per OS thread).
type Model struct {
	cfg    Config
	device gotch.Device
	conv1  conv2d
	bn1    *batchNorm2d // resnet's stem BN; nil for preresnet
	blocks []*block     // layer1.0, ..., layer3.(n-1)
	bn     *batchNorm2d // the final BN, nil when there is none
	// finalReLU follows bn with ReLU (preresnet's BN-ReLU).
	finalReLU bool
	fcW, fcB  *ts.Tensor
	names     []string // "layer1.0", ... of each block, in forward order
	probe     Probe    // nil unless SetProbe installed one
}

// Probe observes the input of each residual block during a forward pass,
// for analyses that need dL/dx_l (zoo analyze grads): it is called with
// the block's index l (0-based, in forward order: layer1.0 first) and
// its input x_l. x stays the model's: a probe must neither free nor
// modify it, and to keep it past the call (to take a gradient with
// respect to it after backward) it keeps its own handle,
// torch.Must(x.ShallowClone()), and frees that.
type Probe func(block int, x *ts.Tensor)

// SetProbe makes Forward call p with the input of every residual block;
// nil, the default, removes it and costs nothing.
func (m *Model) SetProbe(p Probe) { m.probe = p }

// BlockPrefixes returns the name prefix of each residual block's
// variables in the VarStore, in forward order: "layer1.0.", ...,
// "layer3.(n-1).". The stem, the final BN and fc belong to no block.
// (train.BlockGradNorms groups gradients by these.)
func (m *Model) BlockPrefixes() []string {
	out := make([]string, len(m.names))
	for i, n := range m.names {
		out[i] = n + "."
	}
	return out
}

// New validates c and creates the model's variables under p, named as
// a PyTorch state dict of the same network would name them (without
// BN's num_batches_tracked):
//
//	conv1.weight, bn1.{weight,bias,running_mean,running_var} (resnet),
//	layerS.I.conv1.weight, layerS.I.bn1.*, layerS.I.conv2.weight, layerS.I.bn2.*
//	(bottleneck: also conv3, bn3), layerS.I.shortcut.0.weight and
//	layerS.I.shortcut.1.* (option B, where the shape changes),
//	layerS.I.residual.* (the variant's own, e.g. layer1.0.residual.norm.weight),
//	bn.* (the final BN), fc.weight, fc.bias
//
// with S = 1..3 and I = 0..n-1. Convolutions are initialized Kaiming
// normal (fan_out, gain √2) as torchvision's ResNets are, BN weights to
// 1 (0 for the last BN of each F under ZeroInitLastBN) and biases to 0,
// and fc as PyTorch's Linear (weight and bias U(±1/√fan_in)). Seed with
// torch.ManualSeed first for reproducible weights.
func New(p *nn.Path, c Config) (m *Model, err error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			m = nil
		}
	}()
	defer torch.Recover(&err)
	build, err := layers.Variants.Build(c.Residual, c.ResidualParams)
	if err != nil {
		return nil, fmt.Errorf("vision: residual: %w", err)
	}
	m = &Model{cfg: c.clone(), device: p.Device(), finalReLU: c.Arch == ArchPreResNet}
	if m.conv1, err = newConv2d(p.Sub("conv1"), c.InChannels, c.Width, 3, 1); err != nil {
		return nil, fmt.Errorf("vision: conv1: %w", err)
	}
	if c.Arch == ArchResNet {
		if m.bn1, err = newBatchNorm2d(p.Sub("bn1"), c.Width, false); err != nil {
			return nil, fmt.Errorf("vision: bn1: %w", err)
		}
	}
	n, _ := c.blocksPerStage() // checked by Validate
	in := c.Width
	for s := range 3 {
		stage := fmt.Sprintf("layer%d", s+1)
		planes := c.Width << s
		for i := range n {
			spec := blockSpec{in: in, planes: planes, out: planes * c.expansion(), stride: 1}
			if s > 0 && i == 0 {
				spec.stride = 2
			}
			b, err := newBlock(p.Sub(stage).Sub(fmt.Sprint(i)), c, spec, build)
			if err != nil {
				return nil, fmt.Errorf("vision: %s.%d: %w", stage, i, err)
			}
			m.blocks = append(m.blocks, b)
			m.names = append(m.names, fmt.Sprintf("%s.%d", stage, i))
			in = spec.out
		}
	}
	// preresnet always ends with BN-ReLU; a resnet gets a BN when its
	// variant leaves the stack's output un-normalized (pre-ln).
	if c.Arch == ArchPreResNet || m.blocks[len(m.blocks)-1].res.FinalNorm() {
		if m.bn, err = newBatchNorm2d(p.Sub("bn"), in, false); err != nil {
			return nil, fmt.Errorf("vision: bn: %w", err)
		}
	}
	fc, bound := p.Sub("fc"), 1/math.Sqrt(float64(in))
	if m.fcW, err = torch.NewParam(fc, "weight", []int64{c.Classes, in}, fillUniform(bound)); err != nil {
		return nil, fmt.Errorf("vision: fc: %w", err)
	}
	if m.fcB, err = torch.NewParam(fc, "bias", []int64{c.Classes}, fillUniform(bound)); err != nil {
		return nil, fmt.Errorf("vision: fc: %w", err)
	}
	return m, nil
}

// Forward returns the logits [B, Classes] for images x [B, InChannels,
// H, W] (float32, on the model's device). train selects batch statistics
// (and updates the running ones) over running statistics in every BN and
// in the variant's norms. x stays the caller's, the caller owns the
// result, and every intermediate is freed before Forward returns;
// libtorch failures and a wrongly shaped x come back as the error.
func (m *Model) Forward(x *ts.Tensor, train bool) (logits *ts.Tensor, err error) {
	defer torch.Recover(&err)
	if shape := torch.Shape(x); len(shape) != 4 || shape[1] != m.cfg.InChannels {
		torch.Errorf("vision: input of shape %v: want [batch, %d, height, width] (in_channels = %d)",
			shape, m.cfg.InChannels, m.cfg.InChannels)
	}
	h := m.conv1.forward(x)
	if m.bn1 != nil {
		h = relu(m.bn1.consume(h, train))
	}
	for i, b := range m.blocks {
		if m.probe != nil {
			m.probe(i, h)
		}
		y := b.forward(h, train)
		torch.Free(h)
		h = y
	}
	if m.bn != nil {
		h = m.bn.consume(h, train)
		if m.finalReLU {
			h = relu(h)
		}
	}
	pooled := torch.Must(h.MeanDim([]int64{2, 3}, false, h.DType(), true))
	logits = torch.Must(ts.Linear(pooled, m.fcW, m.fcB))
	torch.Free(pooled)
	return logits, nil
}

// Config returns a copy of the model's configuration.
func (m *Model) Config() Config { return m.cfg.clone() }

// Device is where the model's variables are and its inputs must be.
func (m *Model) Device() gotch.Device { return m.device }

// NumParams counts the trainable values in vs (BN running statistics are
// not trainable and not counted), as sum(p.numel() for p in
// model.parameters()) does in PyTorch.
func NumParams(vs *nn.VarStore) int64 {
	var n int64
	for _, v := range vs.TrainableVariables() {
		n += int64(v.Numel())
	}
	return n
}
