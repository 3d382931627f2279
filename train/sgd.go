package train

import (
	"fmt"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// SGDConfig holds SGD's hyper-parameters, with PyTorch's semantics
// (weight decay added to the gradient, momentum buffer seeded with the
// first gradient, optional Nesterov).
type SGDConfig struct {
	Momentum    float64 `mapstructure:"momentum"`     // default 0.9 in the ResNet recipes
	WeightDecay float64 `mapstructure:"weight_decay"` // L2 added to the gradient, e.g. 1e-4
	Nesterov    bool    `mapstructure:"nesterov"`     // Nesterov momentum
}

// Validate reports hyper-parameters outside their ranges.
func (c SGDConfig) Validate() error {
	switch {
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("sgd momentum = %g: want 0 <= momentum < 1", c.Momentum)
	case !Finite(c.WeightDecay) || c.WeightDecay < 0:
		return fmt.Errorf("sgd weight_decay = %g: want a finite value >= 0", c.WeightDecay)
	case c.Nesterov && c.Momentum == 0:
		return fmt.Errorf("sgd nesterov needs momentum > 0")
	}
	return nil
}

// SGD is stochastic gradient descent with momentum.
type SGD struct {
	cfg    SGDConfig
	params []Param
	buf    []*ts.Tensor
	steps  int64
}

// NewSGD makes zeroed momentum buffers for params.
func NewSGD(params []Param, cfg SGDConfig) (*SGD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &SGD{cfg: cfg, params: params}
	err := torch.Try(func() {
		for _, p := range params {
			s.buf = append(s.buf, torch.Must(p.Tensor.ZerosLike(false)))
		}
	})
	return s, err
}

// Step applies one update with learning rate lr.
func (s *SGD) Step(lr float64) {
	first := s.steps == 0
	s.steps++
	torch.NoGrad(func() {
		for i, p := range s.params {
			g := torch.Must(p.Tensor.Grad(false))
			if g.MustDefined() {
				s.update(p.Tensor, g, s.buf[i], lr, first)
			}
			torch.Free(g)
		}
	})
}

// update follows torch.optim.SGD: d = g + wd·p; buf = μ·buf + d (buf = d
// at the first step); d = d + μ·buf (Nesterov) or buf; p -= lr·d.
func (s *SGD) update(p, g, buf *ts.Tensor, lr float64, first bool) {
	d := torch.Must(g.ShallowClone())
	if s.cfg.WeightDecay > 0 {
		torch.Free(d)
		d = scaled(p, s.cfg.WeightDecay)
		torch.Check(d.Add_(g))
	}
	if s.cfg.Momentum > 0 {
		if first {
			torch.CopyInto(buf, d)
		} else {
			mulScalar(buf, s.cfg.Momentum)
			torch.Check(buf.Add_(d))
		}
		torch.Free(d)
		if s.cfg.Nesterov {
			d = scaled(buf, s.cfg.Momentum)
			torch.Check(d.Add_(g))
			if s.cfg.WeightDecay > 0 {
				decay := scaled(p, s.cfg.WeightDecay)
				torch.Check(d.Add_(decay))
				torch.Free(decay)
			}
		} else {
			d = torch.Must(buf.ShallowClone())
		}
	}
	step := scaled(d, -lr)
	torch.Free(d)
	torch.Check(p.Add_(step))
	torch.Free(step)
}

// scaled returns f·t as a new tensor.
func scaled(t *ts.Tensor, f float64) *ts.Tensor {
	s := ts.FloatScalar(f)
	out := torch.Must(t.MulScalar(s, false))
	torch.Check(s.Drop())
	return out
}

// ZeroGrad zeroes every parameter's gradient in place.
func (s *SGD) ZeroGrad() { zeroGrads(s.params) }

// Steps is the number of updates applied.
func (s *SGD) Steps() int64 { return s.steps }

// State names the momentum buffers "sgd.momentum.<param>".
func (s *SGD) State() []ts.NamedTensor {
	out := make([]ts.NamedTensor, len(s.params))
	for i, p := range s.params {
		out[i] = ts.NamedTensor{Name: "sgd.momentum." + p.Name, Tensor: s.buf[i]}
	}
	return out
}

// LoadState copies the momentum buffers from named.
func (s *SGD) LoadState(named map[string]*ts.Tensor, steps int64) error {
	for i, p := range s.params {
		if err := copyNamed(named, "sgd.momentum."+p.Name, s.buf[i]); err != nil {
			return err
		}
	}
	s.steps = steps
	return nil
}
