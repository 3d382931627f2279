package torch

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
)

// NewParam adds a trainable variable called name under p, filled by fill
// (which receives a fresh zero tensor of the right shape; nil leaves it
// zero). gotch's own initializers are not used: its normal init leaks a
// tensor and its uniform init toggles grad mode through the
// per-thread-unsafe ts.NoGrad.
func NewParam(p *nn.Path, name string, dims []int64, fill func(*ts.Tensor) error) (*ts.Tensor, error) {
	t, err := ts.Zeros(dims, gotch.DefaultDType, p.Device())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer Free(t)
	if fill != nil {
		if err := fill(t); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	v, err := p.Add(name, t, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}
