package bench

import (
	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/vision"
)

// FLOPs are counted from the matrix products and convolutions alone, a
// multiply-add being 2 FLOPs; norms, softmax, activations and the
// optimizer are left out (they are memory-bound and a few percent of the
// arithmetic). A training step is forward + backward = 3x forward: the
// backward pass of a product takes two products of the same size (the
// gradient of each operand).

// gemm is 2·m·n·k, the FLOPs of an [m, k] x [k, n] product.
func gemm(m, n, k int64) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// TransformerForwardFLOPs counts one forward pass of c on a batch of b
// sentences padded to s source and t target tokens. Attention is counted
// at full width (the causal mask blocks scores, it does not skip them),
// as libtorch computes it.
//
// Per encoder layer (N = b·s positions): the packed q, k, v projection
// [N, D]x[D, 3D], scores and context [s, d]x[d, s] and [s, s]x[s, d] per
// head (together 2·b·s²·D multiply-adds each), out_proj [N, D]x[D, D],
// and the feed-forward [N, D]x[D, F], [N, F]x[F, D]. Per decoder layer
// (M = b·t): the same self-attention on t, cross-attention with q and
// out_proj on M, the k, v projection of the N encoder outputs
// [N, D]x[D, 2D], scores and context of t queries over s keys, and the
// feed-forward on M. Then the output projection [M, D]x[D, V].
func TransformerForwardFLOPs(c nmt.Config, b, s, t int64) float64 {
	d, f, v := c.DModel, c.FFNDim, c.TgtVocab
	n, m := b*s, b*t
	enc := gemm(n, 3*d, d) + 2*float64(b)*gemm(s, s, d) + gemm(n, d, d) + gemm(n, f, d) + gemm(n, d, f)
	self := gemm(m, 3*d, d) + 2*float64(b)*gemm(t, t, d) + gemm(m, d, d)
	cross := gemm(m, d, d) + gemm(n, 2*d, d) + 2*float64(b)*gemm(t, s, d) + gemm(m, d, d)
	ffn := gemm(m, f, d) + gemm(m, d, f)
	return float64(c.EncoderLayers)*enc + float64(c.DecoderLayers)*(self+cross+ffn) + gemm(m, v, d)
}

// conv is the FLOPs of a k x k convolution from cin to cout channels
// producing an h x w output for each of b images.
func conv(b, cin, cout, k, h, w int64) float64 {
	return 2 * float64(b*cout*h*w) * float64(cin*k*k)
}

// ResNetForwardFLOPs counts one forward pass of c on b images of side
// size x size: the stem, each block's convolutions (a stride-2 block
// halves the side from its first strided convolution on), option B's 1x1
// projections, and fc. It walks the stages as vision.New builds them.
func ResNetForwardFLOPs(c vision.Config, b, size int64) float64 {
	perStage := int64((c.Depth - 2) / 6)
	expansion := int64(1)
	if c.Block == vision.BlockBottleneck {
		perStage, expansion = int64((c.Depth-2)/9), 4
	}
	side := size
	total := conv(b, c.InChannels, c.Width, 3, side, side)
	in := c.Width
	for s := range int64(3) {
		planes := c.Width << s
		out := planes * expansion
		for i := range perStage {
			stride := int64(1)
			if s > 0 && i == 0 {
				stride = 2
			}
			o := (side-1)/stride + 1 // the output side: padding k/2, so floor((side-1)/stride)+1
			if c.Block == vision.BlockBottleneck {
				total += conv(b, in, planes, 1, side, side) + conv(b, planes, planes, 3, o, o) + conv(b, planes, out, 1, o, o)
			} else {
				total += conv(b, in, planes, 3, o, o) + conv(b, planes, planes, 3, o, o)
			}
			if (stride != 1 || in != out) && c.Shortcut == vision.ShortcutB {
				total += conv(b, in, out, 1, o, o)
			}
			in, side = out, o
		}
	}
	return total + gemm(b, c.Classes, in)
}

// TrainFLOPs is a training step's count from its forward count.
func TrainFLOPs(forward float64) float64 { return 3 * forward }
