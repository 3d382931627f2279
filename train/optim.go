// Package train holds what zoo's NMT and vision training share: optimizers
// whose state can be checkpointed, learning-rate schedules, gradient
// clipping, atomic checkpoints, the metrics log and the progress bar.
//
// Optimizers are written over libtorch ops rather than wrapping libtorch's
// C++ optimizers, because the C++ state (Adam's moments, SGD's momentum)
// is not reachable through gotch: a resumed run would restart it from zero.
package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// Param is one trainable variable and its name in the VarStore.
type Param struct {
	Name   string
	Tensor *ts.Tensor
}

// Params returns the trainable variables of vs sorted by name, as
// pointers that keep the tensors alive (see docs/design.md).
func Params(vs *nn.VarStore) ([]Param, error) {
	var out []Param
	for name, v := range vs.Variables() {
		if !v.MustRequiresGrad() {
			continue
		}
		t, err := vs.Root().Get(name)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", name, err)
		}
		out = append(out, Param{name, t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Optimizer updates parameters from their gradients. State returns the
// tensors to checkpoint (named, owned by the optimizer) and LoadState
// restores them.
type Optimizer interface {
	Step(lr float64)
	ZeroGrad()
	Steps() int64
	State() []ts.NamedTensor
	LoadState(named map[string]*ts.Tensor, steps int64) error
}

// AdamConfig holds Adam's hyper-parameters (fairseq's names and defaults
// for translation: betas (0.9, 0.98), eps 1e-9).
type AdamConfig struct {
	Beta1       float64 `mapstructure:"beta1"`        // first-moment decay, default 0.9
	Beta2       float64 `mapstructure:"beta2"`        // second-moment decay, default 0.98
	Eps         float64 `mapstructure:"eps"`          // added to sqrt(v), default 1e-9
	WeightDecay float64 `mapstructure:"weight_decay"` // decoupled, as fairseq's Adam: p -= lr·wd·p; default 0
}

// DefaultAdam is fairseq's translation setting.
func DefaultAdam() AdamConfig { return AdamConfig{Beta1: 0.9, Beta2: 0.98, Eps: 1e-9} }

// Validate reports hyper-parameters outside their ranges.
func (c AdamConfig) Validate() error {
	switch {
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("adam beta1 = %g: want 0 <= beta1 < 1", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("adam beta2 = %g: want 0 <= beta2 < 1", c.Beta2)
	case !Finite(c.Eps) || c.Eps <= 0:
		return fmt.Errorf("adam eps = %g: want a finite value > 0", c.Eps)
	case !Finite(c.WeightDecay) || c.WeightDecay < 0:
		return fmt.Errorf("adam weight_decay = %g: want a finite value >= 0", c.WeightDecay)
	}
	return nil
}

// Adam is Adam with bias correction and decoupled weight decay.
type Adam struct {
	cfg    AdamConfig
	params []Param
	m, v   []*ts.Tensor
	steps  int64
}

// NewAdam makes zeroed moments for params.
func NewAdam(params []Param, cfg AdamConfig) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adam{cfg: cfg, params: params}
	err := torch.Try(func() {
		for _, p := range params {
			a.m = append(a.m, torch.Must(p.Tensor.ZerosLike(false)))
			a.v = append(a.v, torch.Must(p.Tensor.ZerosLike(false)))
		}
	})
	return a, err
}

// Step applies one update with learning rate lr to every parameter that
// has a gradient.
func (a *Adam) Step(lr float64) {
	a.steps++
	bc1 := 1 - math.Pow(a.cfg.Beta1, float64(a.steps))
	bc2 := 1 - math.Pow(a.cfg.Beta2, float64(a.steps))
	torch.NoGrad(func() {
		for i, p := range a.params {
			g := torch.Must(p.Tensor.Grad(false))
			if !g.MustDefined() {
				continue
			}
			a.update(p.Tensor, g, a.m[i], a.v[i], lr, bc1, bc2)
			torch.Free(g)
		}
	})
}

// update: p ← p - lr·wd·p; m ← lerp(m, g, 1-β1); v ← lerp(v, g², 1-β2);
// p ← p - (lr/bc1)·m / (sqrt(v)/sqrt(bc2) + eps). On the CPU it is one
// pass over the four tensors in Go (adamKernel); elsewhere libtorch ops.
func (a *Adam) update(p, g, m, v *ts.Tensor, lr, bc1, bc2 float64) {
	k := adamKernel{
		decay: float32(1 - lr*a.cfg.WeightDecay), w1: float32(1 - a.cfg.Beta1), w2: float32(1 - a.cfg.Beta2),
		invSqrtBC2: float32(1 / math.Sqrt(bc2)), eps: float32(a.cfg.Eps), step: float32(-lr / bc1),
	}
	if k.apply(p, g, m, v) {
		return
	}
	if a.cfg.WeightDecay > 0 {
		mulScalar(p, 1-lr*a.cfg.WeightDecay)
	}
	lerp(m, g, 1-a.cfg.Beta1)
	g2 := torch.Must(g.Square(false))
	lerp(v, g2, 1-a.cfg.Beta2)
	torch.Free(g2)
	denom := torch.Must(v.Sqrt(false))
	mulScalar(denom, 1/math.Sqrt(bc2))
	addScalar(denom, a.cfg.Eps)
	step := torch.Must(m.Div(denom, false))
	torch.Free(denom)
	mulScalar(step, -lr/bc1)
	torch.Check(p.Add_(step))
	torch.Free(step)
}

// ZeroGrad zeroes every parameter's gradient in place.
func (a *Adam) ZeroGrad() { zeroGrads(a.params) }

// Steps is the number of updates applied.
func (a *Adam) Steps() int64 { return a.steps }

// State names the moments "adam.m.<param>" and "adam.v.<param>".
func (a *Adam) State() []ts.NamedTensor {
	var out []ts.NamedTensor
	for i, p := range a.params {
		out = append(out, ts.NamedTensor{Name: "adam.m." + p.Name, Tensor: a.m[i]},
			ts.NamedTensor{Name: "adam.v." + p.Name, Tensor: a.v[i]})
	}
	return out
}

// LoadState copies the moments from named (as State names them).
func (a *Adam) LoadState(named map[string]*ts.Tensor, steps int64) error {
	for i, p := range a.params {
		if err := copyNamed(named, "adam.m."+p.Name, a.m[i]); err != nil {
			return err
		}
		if err := copyNamed(named, "adam.v."+p.Name, a.v[i]); err != nil {
			return err
		}
	}
	a.steps = steps
	return nil
}

func copyNamed(named map[string]*ts.Tensor, name string, dst *ts.Tensor) error {
	src, ok := named[name]
	if !ok {
		return fmt.Errorf("optimizer state %s is missing", name)
	}
	return torch.Try(func() { torch.CopyInto(dst, src) })
}

func zeroGrads(params []Param) {
	torch.NoGrad(func() {
		for _, p := range params {
			g := torch.Must(p.Tensor.Grad(false))
			if g.MustDefined() {
				torch.Check(g.Zero_())
			}
			torch.Free(g)
		}
	})
}

func lerp(t, end *ts.Tensor, w float64) {
	s := ts.FloatScalar(w)
	torch.Check(t.Lerp_(end, s))
	torch.Check(s.Drop())
}

func mulScalar(t *ts.Tensor, f float64) {
	s := ts.FloatScalar(f)
	torch.Check(t.MulScalar_(s))
	torch.Check(s.Drop())
}

func addScalar(t *ts.Tensor, f float64) {
	s := ts.FloatScalar(f)
	torch.Check(t.AddScalar_(s))
	torch.Check(s.Drop())
}
