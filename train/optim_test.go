package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

type optimGolden struct {
	X     []float32 `json:"x"`
	R     []float32 `json:"r"`
	Cases []struct {
		Name      string    `json:"name"`
		W0        []float32 `json:"w0"`
		B0        []float32 `json:"b0"`
		GradNorms []float64 `json:"grad_norms"`
		Steps     []struct {
			W []float32 `json:"w"`
			B []float32 `json:"b"`
		} `json:"steps"`
	} `json:"cases"`
}

func tensorOf(t *testing.T, vals []float32, shape ...int64) *ts.Tensor {
	t.Helper()
	x, err := ts.OfSlice(vals)
	if err != nil {
		t.Fatal(err)
	}
	return torch.Must(x.Reshape(shape, true))
}

func assertClose(t *testing.T, what string, got *ts.Tensor, want []float32, tol float64) {
	t.Helper()
	vals := got.Float64Values()
	for i, w := range want {
		if d := math.Abs(vals[i] - float64(w)); d > tol*math.Max(1, math.Abs(float64(w))) {
			t.Fatalf("%s[%d] = %.8g, want %.8g (PyTorch)", what, i, vals[i], w)
		}
	}
}

// TestOptimizersMatchPyTorch runs five steps of each optimizer on
// optim_golden.py's loss and compares the parameters after every step.
func TestOptimizersMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/optim_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g optimGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	x, r := tensorOf(t, g.X, 5, 3), tensorOf(t, g.R, 5, 4)
	defer func() { fuseSteps = true }()
	for _, c := range g.Cases {
		for _, fused := range []bool{true, false} {
			fuseSteps = fused
			t.Run(fmt.Sprintf("%s/fused=%v", c.Name, fused), func(t *testing.T) {
				vs := nn.NewVarStore(gotch.CPU)
				w := vs.Root().MustZeros("w", []int64{3, 4})
				b := vs.Root().MustZeros("b", []int64{4})
				torch.CopyInto(w, tensorOf(t, c.W0, 3, 4))
				torch.CopyInto(b, tensorOf(t, c.B0, 4))
				params, err := Params(vs)
				if err != nil {
					t.Fatal(err)
				}
				opt := newTestOptimizer(t, c.Name, params)
				clip := 0.0
				if strings.HasSuffix(c.Name, "-clip") {
					clip = 0.5
				}
				for i, want := range c.Steps {
					opt.ZeroGrad()
					h := torch.Must(torch.Must(x.Matmul(w, false)).Add(b, true))
					l := torch.Must(torch.Must(torch.Must(h.Tanh(true)).Mul(r, true)).Sum(gotch.Float, true))
					reg := torch.Must(torch.Must(w.Square(false)).Sum(gotch.Float, true))
					loss := torch.Must(l.Add(torch.Must(reg.MulScalar(ts.FloatScalar(0.5), true)), true))
					torch.Check(loss.Backward())
					if n := ClipGradNorm(params, clip); math.Abs(n-c.GradNorms[i]) > 1e-4*c.GradNorms[i] {
						t.Fatalf("step %d: grad norm %.7g, want %.7g", i+1, n, c.GradNorms[i])
					}
					opt.Step(lrFor(c.Name))
					assertClose(t, "w", w, want.W, 1e-5)
					assertClose(t, "b", b, want.B, 1e-5)
				}
			})
		}
	}
}

func lrFor(name string) float64 {
	if strings.HasPrefix(name, "sgd") {
		return 0.1
	}
	return 0.01
}

func newTestOptimizer(t *testing.T, name string, params []Param) Optimizer {
	t.Helper()
	var (
		opt Optimizer
		err error
	)
	switch name {
	case "adam", "adam-clip":
		opt, err = NewAdam(params, DefaultAdam())
	case "adam-wd":
		cfg := DefaultAdam()
		cfg.WeightDecay = 0.1
		opt, err = NewAdam(params, cfg)
	case "sgd":
		opt, err = NewSGD(params, SGDConfig{})
	case "sgd-momentum-wd":
		opt, err = NewSGD(params, SGDConfig{Momentum: 0.9, WeightDecay: 1e-2})
	case "sgd-nesterov-wd":
		opt, err = NewSGD(params, SGDConfig{Momentum: 0.9, WeightDecay: 1e-2, Nesterov: true})
	default:
		t.Fatalf("no optimizer for case %q", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

func TestOptimizerConfigErrors(t *testing.T) {
	bad := []error{
		AdamConfig{Beta1: 1, Beta2: 0.98, Eps: 1e-9}.Validate(),
		AdamConfig{Beta1: 0.9, Beta2: 0.98, Eps: 0}.Validate(),
		SGDConfig{Momentum: -0.1}.Validate(),
		SGDConfig{Nesterov: true}.Validate(),
	}
	for i, err := range bad {
		if err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
