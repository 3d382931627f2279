package torch

import (
	"fmt"

	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Grad returns the gradients of the scalar root with respect to each of
// inputs, as torch.autograd.grad(root, inputs) does: the inputs may be
// leaves (parameters) or intermediate tensors of root's graph (a block's
// input, say), and nothing is accumulated into any tensor's .grad. The
// graph is freed afterwards (no retain_graph). An input that root does
// not depend on gets a nil gradient. The caller owns and frees the
// gradients; root and inputs stay the caller's.
//
// gotch's own ts.RunBackward passes only its first tensor and writes the
// gradients into a zero-sized buffer, so it works for one input at most;
// this calls the same libtorch entry point with proper arrays.
func Grad(root *ts.Tensor, inputs []*ts.Tensor) (grads []*ts.Tensor, err error) {
	if len(inputs) == 0 {
		return nil, nil
	}
	roots := []lib.Ctensor{lib.Ctensor(root.Ctensor())}
	in := make([]lib.Ctensor, len(inputs))
	for i, t := range inputs {
		if t == nil {
			return nil, fmt.Errorf("torch: Grad: input %d is nil", i)
		}
		in[i] = lib.Ctensor(t.Ctensor())
	}
	out := make([]lib.Ctensor, len(inputs))
	lib.AtRunBackward(&roots[0], 1, &in[0], len(in), &out[0], 0, 0)
	if err := ts.TorchErr(); err != nil {
		return nil, fmt.Errorf("torch: Grad: %w", err)
	}
	grads = make([]*ts.Tensor, len(out))
	for i, c := range out {
		if c == nil {
			continue
		}
		g := ts.New(c)
		ok, err := g.Defined()
		if err != nil || !ok {
			_ = g.Drop()
			continue
		}
		grads[i] = g
	}
	return grads, nil
}
