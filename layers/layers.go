// Package layers holds zoo's residual variants and the norms they use.
//
// A residual block computes y from its input x and its sublayer F
// (attention, feed-forward, or a ResNet's conv stack). Where the skip is
// scaled and where normalization sits is exactly what the variants differ
// in, so a Residual receives F as a function and decides itself. Each
// variant is one file that registers itself in Variants from init; model
// code asks Variants.Build for a Builder by name and never switches on
// names.
//
// The same variants serve sequences (features [B, T, C], or any [..., C])
// and images ([B, C, H, W]); Features tells a variant which it gets.
package layers

import (
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/registry"
)

// Sublayer is the F of a residual block. It returns a new tensor that the
// caller owns and must not free x.
type Sublayer func(x *ts.Tensor) *ts.Tensor

// Residual joins a block input with its sublayer.
//
// Forward does not free x (the caller still owns it), frees every
// intermediate it makes, and returns y, which the caller owns. It raises
// libtorch failures as torch.Must panics; see package torch.
type Residual interface {
	Forward(x *ts.Tensor, f Sublayer, train bool) *ts.Tensor
	// FinalNorm reports whether the output of a stack of these blocks is
	// un-normalized and needs a norm before the head (Pre-LN's does).
	FinalNorm() bool
}

// Features describes the tensors a residual sees.
type Features struct {
	Dim     int64 // feature (channel) count C of the block's output (and of x when Shortcut is nil)
	Spatial bool  // false: [..., C] (sequences); true: [B, C, H, W] (images)
	// Shortcut is the skip path S of a block whose output differs in
	// shape from its input (a ResNet's downsampling block: zero-padded
	// subsampling or a 1x1 projection); nil means the identity. Every
	// variant puts S(x) where its formula says x: λ·S(x) + F(x), and
	// Pre-LN's S(LN(x)) + F(LN(x)), as pre-activation ResNets share the
	// pre-activation between both paths.
	Shortcut Sublayer
	// InDim is the channel count of x when Shortcut changes it (0: Dim).
	// Only variants that normalize the block input (pre-ln) need it.
	InDim int64
}

// inDim is the channel count of the block input.
func (f Features) inDim() int64 {
	if f.InDim > 0 {
		return f.InDim
	}
	return f.Dim
}

// Builder makes one residual for one block, with its parameters (if any)
// under p. Variable names follow PyTorch's, e.g. "norm.weight".
type Builder func(p *nn.Path, f Features) (Residual, error)

// Variants is the registry of residual variants. Build validates the
// parameters once and returns a Builder to call for every block.
var Variants = registry.New[Builder]("residual variant")

// Paper references used by the variants' specs.
const (
	refLiu2020   = "Liu et al., COLING 2020 (Rethinking Skip Connection with LN)"
	refHe2016    = "He et al., CVPR 2016 (ResNet)"
	refVaswani   = "Vaswani et al., NeurIPS 2017 (Transformer)"
	refXiong2020 = "Xiong et al., ICML 2020 (On LN in the Transformer)"
)
