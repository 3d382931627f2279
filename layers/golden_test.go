package layers_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// goldenCase is one record of testdata/golden.json (see golden.py).
type goldenCase struct {
	Variant        string               `json:"variant"`
	Params         map[string]any       `json:"params"`
	Spatial        bool                 `json:"spatial"`
	Shape          []int64              `json:"shape"`
	X              []float32            `json:"x"`
	SublayerWeight []float32            `json:"sublayer_weight"`
	R              []float32            `json:"r"`
	Variables      map[string][]float32 `json:"variables"`
	Y              []float32            `json:"y"`
	GradX          []float32            `json:"grad_x"`
	GradVariables  map[string][]float32 `json:"grad_variables"`
	// VariablesAfter holds batch norm's running statistics after the step.
	VariablesAfter map[string][]float32 `json:"variables_after"`
}

func (c goldenCase) name() string {
	layout := "seq"
	if c.Spatial {
		layout = "image"
	}
	return fmt.Sprintf("%s/%v/%s", c.Variant, c.Params, layout)
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("testdata/golden.json: %v", err)
	}
	return file.Cases
}

func tensorOf(t *testing.T, vals []float32, shape []int64) *ts.Tensor {
	t.Helper()
	x, err := ts.OfSlice(vals)
	if err != nil {
		t.Fatal(err)
	}
	return torch.Must(x.Reshape(shape, true))
}

// sublayer is golden.py's F: a 1x1 channel mix followed by tanh.
func sublayer(w *ts.Tensor, spatial bool, c int64) layers.Sublayer {
	return func(x *ts.Tensor) *ts.Tensor {
		var mixed *ts.Tensor
		if spatial {
			k := torch.Must(w.Reshape([]int64{c, c, 1, 1}, false))
			mixed = torch.Must(ts.Conv2d(x, k, ts.None, []int64{1, 1}, []int64{0, 0}, []int64{1, 1}, 1))
			torch.Free(k)
		} else {
			mixed = torch.Must(x.Matmul(w, false))
		}
		return torch.Must(mixed.Tanh(true))
	}
}

func assertClose(t *testing.T, what string, got *ts.Tensor, want []float32) {
	t.Helper()
	vals := got.Float64Values()
	if len(vals) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(vals), len(want))
	}
	for i, w := range want {
		if d := math.Abs(vals[i] - float64(w)); d > 1e-5*math.Max(1, math.Abs(float64(w))) {
			t.Fatalf("%s[%d] = %.8g, want %.8g (PyTorch); |diff| %.3g > 1e-5", what, i, vals[i], w, d)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestGolden checks every variant's output and its gradients with respect
// to x and to its own parameters against PyTorch 1.13.
func TestGolden(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(c.name(), func(t *testing.T) { runGolden(t, c) })
	}
}

func runGolden(t *testing.T, c goldenCase) {
	dim := c.Shape[len(c.Shape)-1]
	if c.Spatial {
		dim = c.Shape[1]
	}
	build, err := layers.Variants.Build(c.Variant, c.Params)
	if err != nil {
		t.Fatal(err)
	}
	vs := nn.NewVarStore(gotch.CPU)
	res, err := build(vs.Root(), layers.Features{Dim: dim, Spatial: c.Spatial})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(vs.Variables()), sortedKeys(c.Variables); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("variables %v, want %v (PyTorch names)", got, want)
	}
	// Pointers from Get, not Variables' copies: a copy does not keep the
	// C tensor alive, and the VarStore's finalizers may free it.
	vars := map[string]*ts.Tensor{}
	for name, vals := range c.Variables {
		vars[name] = vs.Root().MustGet(name)
		src := tensorOf(t, vals, []int64{int64(len(vals))})
		torch.CopyInto(vars[name], src)
		torch.Free(src)
	}
	x := torch.Must(tensorOf(t, c.X, c.Shape).SetRequiresGrad(true, true))
	w := tensorOf(t, c.SublayerWeight, []int64{dim, dim})
	r := tensorOf(t, c.R, c.Shape)
	y := res.Forward(x, sublayer(w, c.Spatial, dim), true)
	assertClose(t, "y", y, c.Y)
	loss := torch.Must(torch.Must(y.Mul(r, false)).Sum(gotch.Float, true))
	torch.Check(loss.Backward())
	assertClose(t, "dL/dx", torch.Must(x.Grad(false)), c.GradX)
	for _, name := range sortedKeys(c.GradVariables) {
		v := vars[name]
		assertClose(t, "dL/d"+name, torch.Must(v.Grad(false)), c.GradVariables[name])
	}
	for _, name := range sortedKeys(c.VariablesAfter) {
		v := vars[name]
		assertClose(t, name+" after the step", v, c.VariablesAfter[name])
	}
}
