package vision_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/vision"
)

// visionGolden is testdata/golden.json.gz (written by testdata/golden.py).
type visionGolden struct {
	X           []float32        `json:"x"`
	XShape      []int64          `json:"x_shape"`
	R           []float32        `json:"r"`
	Classes     int64            `json:"classes"`
	Cases       []visionCase     `json:"cases"`
	ParamCounts []visionParamCnt `json:"param_counts"`
}

// visionCase is one net, variant and mode.
type visionCase struct {
	Net      string         `json:"net"`
	Arch     string         `json:"arch"`
	Depth    int            `json:"depth"`
	Block    string         `json:"block"`
	Width    int64          `json:"width"`
	Shortcut string         `json:"shortcut"`
	Variant  string         `json:"variant"`
	Params   map[string]any `json:"params"`
	Mode     string         `json:"mode"`
	// Init says how every variable is set: offset + scale·ramp(numel, a, b).
	Init          map[string]visionInit `json:"init"`
	Logits        []float32             `json:"logits"`
	GradX         []float32             `json:"grad_x"`
	GradVariables map[string][]float32  `json:"grad_variables"`
	// VariablesAfter holds every BN running statistic after the train
	// forward pass.
	VariablesAfter map[string][]float32 `json:"variables_after"`
}

type visionInit struct {
	Shape  []int64 `json:"shape"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	Scale  float64 `json:"scale"`
	Offset float64 `json:"offset"`
	Sum    float64 `json:"sum"`
}

type visionParamCnt struct {
	Preset     string         `json:"preset"`
	Shortcut   string         `json:"shortcut"`
	Residual   string         `json:"residual"`
	Params     map[string]any `json:"params"`
	InChannels int64          `json:"in_channels"`
	Classes    int64          `json:"classes"`
	Count      int64          `json:"count"`
}

func (c visionCase) name() string {
	return fmt.Sprintf("%s/%s%v/%s", c.Net, c.Variant, c.Params, c.Mode)
}

func loadVisionGolden(t *testing.T) visionGolden {
	t.Helper()
	f, err := os.Open("testdata/golden.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("testdata/golden.json.gz: %v", err)
	}
	var g visionGolden
	if err := json.NewDecoder(z).Decode(&g); err != nil {
		t.Fatalf("testdata/golden.json.gz: %v", err)
	}
	return g
}

// rampValues is golden.py's ramp_values, computed the same way in float64.
func rampValues(n int, a, b float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		fi := float64(i)
		out[i] = math.Sin(a*fi+b) + 0.3*math.Cos(0.7*a*fi*fi+b)
	}
	return out
}

// goldenTol is the tolerance of every golden comparison: |got - want|
// <= goldenTol·|want| + goldenFloor·max|want|, i.e. 1e-4 relative to each
// value, with a floor for values near zero (gradients through BN's batch
// statistics cancel). Measured here: bit-identical to PyTorch (the same
// libtorch build), so these bounds only leave room for other builds.
const (
	goldenTol   = 1e-4
	goldenFloor = 1e-6
)

// worstGoldenErr tracks the largest normalized error seen, for the log.
var worstGoldenErr struct {
	err  float64
	what string
}

func assertGolden(t *testing.T, what string, got *ts.Tensor, want []float32) {
	t.Helper()
	vals := hostValues(got)
	if len(vals) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(vals), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	for i, w := range want {
		d := math.Abs(vals[i] - float64(w))
		allowed := goldenTol*math.Abs(float64(w)) + goldenFloor*scale
		norm := d / allowed
		if norm > worstGoldenErr.err {
			worstGoldenErr.err, worstGoldenErr.what = norm, fmt.Sprintf("%s: %s[%d]", t.Name(), what, i)
		}
		if norm > 1 {
			t.Fatalf("%s[%d] = %.8g, want %.8g (PyTorch); |diff| %.3g > %g·|want| + %g·max|want| (%.3g)",
				what, i, vals[i], w, d, goldenTol, goldenFloor, scale)
		}
	}
}

// TestGoldenResNets checks logits, input and parameter gradients and BN
// running statistics of small resnets and preresnets (both shortcuts,
// basic and bottleneck blocks) with every residual variant, in train and
// eval mode, against PyTorch 1.13 modules written independently in
// testdata/golden.py. It also checks that every variable has PyTorch's
// state-dict name.
func TestGoldenResNets(t *testing.T) {
	g := loadVisionGolden(t)
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.Cases {
		t.Run(c.name(), func(t *testing.T) { runVisionGolden(t, g, c) })
	}
	t.Logf("largest |diff| / allowed = %.3g (%s)", worstGoldenErr.err, worstGoldenErr.what)
}

func runVisionGolden(t *testing.T, g visionGolden, c visionCase) {
	cfg := vision.Config{
		Arch: c.Arch, Depth: c.Depth, Block: c.Block, Width: c.Width, Shortcut: c.Shortcut,
		InChannels: g.XShape[1], Classes: g.Classes, Residual: c.Variant, ResidualParams: c.Params,
	}
	vs := nn.NewVarStore(gotch.CPU)
	m, err := vision.New(vs.Root(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(c.Init))
	for n := range c.Init {
		names = append(names, n)
	}
	sort.Strings(names)
	if got := variableNames(vs); !slices.Equal(got, names) {
		t.Fatalf("variables\n got %v\nwant %v (PyTorch's state dict)", got, names)
	}
	vars := map[string]*ts.Tensor{}
	for _, name := range names {
		in := c.Init[name]
		v := vs.Root().MustGet(name)
		if shape := torch.Shape(v); !slices.Equal(shape, in.Shape) {
			t.Fatalf("%s: shape %v, want %v", name, shape, in.Shape)
		}
		vals := make([]float32, 0)
		sum := 0.0
		for _, r := range rampValues(int(v.Numel()), in.A, in.B) {
			f := float32(in.Offset + in.Scale*r)
			vals = append(vals, f)
			sum += float64(f)
		}
		if math.Abs(sum-in.Sum) > 1e-9*math.Max(1, math.Abs(in.Sum)) {
			t.Fatalf("%s: the ramp sums to %.12g here, %.12g in golden.py", name, sum, in.Sum)
		}
		src := floatTensor(t, vals, in.Shape)
		torch.CopyInto(v, src)
		torch.Free(src)
		vars[name] = v
	}
	train := c.Mode == "train"
	x := torch.Must(floatTensor(t, g.X, g.XShape).SetRequiresGrad(true, true))
	r := floatTensor(t, g.R, []int64{g.XShape[0], g.Classes})
	logits, err := m.Forward(x, train)
	if err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "logits", logits, c.Logits)
	loss := torch.Must(torch.Must(logits.Mul(r, false)).Sum(gotch.Float, true))
	torch.Check(loss.Backward())
	assertGolden(t, "dL/dx", torch.Must(x.Grad(false)), c.GradX)
	for _, name := range sortedNames(c.GradVariables) {
		v, ok := vars[name]
		if !ok {
			t.Fatalf("no variable %s", name)
		}
		assertGolden(t, "dL/d"+name, torch.Must(v.Grad(false)), c.GradVariables[name])
	}
	if train && len(c.VariablesAfter) == 0 {
		t.Fatal("train case without running statistics")
	}
	for _, name := range sortedNames(c.VariablesAfter) {
		assertGolden(t, name+" after the step", vars[name], c.VariablesAfter[name])
	}
	torch.Free(x, r, logits, loss)
}

// TestGoldenParamCounts checks the presets' parameter counts (and those
// with every norm-using variant) against PyTorch's count of the same
// modules.
func TestGoldenParamCounts(t *testing.T) {
	g := loadVisionGolden(t)
	if len(g.ParamCounts) == 0 {
		t.Fatal("no counts")
	}
	for _, pc := range g.ParamCounts {
		t.Run(fmt.Sprintf("%s/%s/%s%v", pc.Preset, pc.Shortcut, pc.Residual, pc.Params), func(t *testing.T) {
			cfg, err := vision.Preset(pc.Preset, pc.InChannels, pc.Classes)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Shortcut, cfg.Residual, cfg.ResidualParams = pc.Shortcut, pc.Residual, pc.Params
			vs := nn.NewVarStore(gotch.CPU)
			if _, err := vision.New(vs.Root(), cfg); err != nil {
				t.Fatal(err)
			}
			if got := vision.NumParams(vs); got != pc.Count {
				t.Errorf("%d parameters, PyTorch counts %d", got, pc.Count)
			}
		})
	}
}
