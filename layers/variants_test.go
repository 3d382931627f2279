package layers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

func TestSixVariantsRegistered(t *testing.T) {
	want := "plain post-ln pre-ln rskip-ln scaled scaled-ln"
	if got := strings.Join(layers.Variants.Names(), " "); got != want {
		t.Fatalf("variants %q, want %q", got, want)
	}
	for _, s := range layers.Variants.Specs() {
		if s.Formula == "" || s.Description == "" || s.Reference == "" {
			t.Errorf("%s: formula, description and reference are all required", s.Name)
		}
	}
}

// TestEveryVariant builds each registered variant with its defaults on
// both layouts and checks shape, variable names and that every
// parameter and the input receive a gradient.
func TestEveryVariant(t *testing.T) {
	layouts := []struct {
		name  string
		shape []int64
		f     layers.Features
	}{
		{"seq", []int64{2, 5, 6}, layers.Features{Dim: 6}},
		{"image", []int64{2, 6, 4, 4}, layers.Features{Dim: 6, Spatial: true}},
	}
	for _, spec := range layers.Variants.Specs() {
		for _, l := range layouts {
			t.Run(spec.Name+"/"+l.name, func(t *testing.T) {
				build, err := layers.Variants.Build(spec.Name, nil)
				if err != nil {
					t.Fatal(err)
				}
				vs := nn.NewVarStore(gotch.CPU)
				res, err := build(vs.Root().Sub("block"), l.f)
				if err != nil {
					t.Fatal(err)
				}
				for name := range vs.Variables() {
					if !strings.HasPrefix(name, "block.") || strings.Contains(name, "__") {
						t.Errorf("variable %q: want a unique name under block.", name)
					}
				}
				x := torch.Must(ts.Randn(l.shape, gotch.Float, gotch.CPU))
				x = torch.Must(x.SetRequiresGrad(true, true))
				f := func(z *ts.Tensor) *ts.Tensor { return torch.Must(z.Tanh(false)) }
				y := res.Forward(x, f, true)
				if got := torch.Shape(y); fmt.Sprint(got) != fmt.Sprint(l.shape) {
					t.Fatalf("output shape %v, want %v", got, l.shape)
				}
				loss := torch.Must(torch.Must(y.Square(true)).Sum(gotch.Float, true))
				torch.Check(loss.Backward())
				assertHasGrad(t, "x", x)
				for _, v := range vs.TrainableVariables() {
					assertHasGrad(t, "a parameter", v)
				}
				if res.FinalNorm() != (spec.Name == "pre-ln") {
					t.Errorf("FinalNorm() = %v: only pre-ln leaves its sum un-normalized", res.FinalNorm())
				}
			})
		}
	}
}

func assertHasGrad(t *testing.T, what string, v *ts.Tensor) {
	t.Helper()
	g := torch.Must(v.Grad(false))
	if !g.MustDefined() {
		t.Fatalf("%s has no gradient", what)
	}
	n := torch.Must(g.Abs(true)).Float64Values()
	total := 0.0
	for _, a := range n {
		total += a
	}
	if total == 0 {
		t.Errorf("%s has an all-zero gradient", what)
	}
}

// TestRSkipOrderOneIsPostLN: f_1 = LN(x + F(x)) is exactly Post-LN.
func TestRSkipOrderOneIsPostLN(t *testing.T) {
	x := torch.Must(ts.Randn([]int64{3, 4, 8}, gotch.Float, gotch.CPU))
	f := func(z *ts.Tensor) *ts.Tensor { return torch.Must(z.Sin(false)) }
	forward := func(name string, params map[string]any) []float64 {
		build, err := layers.Variants.Build(name, params)
		if err != nil {
			t.Fatal(err)
		}
		res, err := build(nn.NewVarStore(gotch.CPU).Root(), layers.Features{Dim: 8})
		if err != nil {
			t.Fatal(err)
		}
		return res.Forward(x, f, true).Float64Values()
	}
	post := forward("post-ln", nil)
	rskip := forward("rskip-ln", map[string]any{"order": 1})
	for i := range post {
		if post[i] != rskip[i] {
			t.Fatalf("y[%d]: rskip-ln order 1 %v, post-ln %v", i, rskip[i], post[i])
		}
	}
}

// TestVariantErrors: bad names and parameters name the variant and what
// is allowed.
func TestVariantErrors(t *testing.T) {
	cases := []struct {
		variant string
		params  map[string]any
		want    []string
	}{
		{"rskip-ln", map[string]any{"order": 0}, []string{`residual variant "rskip-ln"`, "parameter order", "int in [1, 64]"}},
		{"rskip-ln", map[string]any{"order": 2.5}, []string{`"rskip-ln"`, "want an integer, got 2.5"}},
		{"scaled", map[string]any{"lambda": "nan"}, []string{`"scaled"`, "parameter lambda", "finite"}},
		{"scaled-ln", map[string]any{"lamda": 2}, []string{`"scaled-ln"`, `unknown parameter "lamda"`, "allowed: lambda", "norm", "eps"}},
		{"post-ln", map[string]any{"norm": "group"}, []string{`"post-ln"`, "not one of {layer, layer-channel, batch}"}},
		{"rskip", nil, []string{`unknown residual variant "rskip"`, `did you mean "rskip-ln"`, "known: plain, post-ln, pre-ln, rskip-ln, scaled, scaled-ln"}},
	}
	for _, c := range cases {
		_, err := layers.Variants.Build(c.variant, c.params)
		if err == nil {
			t.Errorf("%s %v: no error", c.variant, c.params)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q lacks %q", c.variant, c.params, err, w)
			}
		}
	}
}

func TestLabel(t *testing.T) {
	for _, c := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"post-ln", nil, "post-ln"},
		{"rskip-ln", map[string]any{"shared_norm": true, "order": 3}, "rskip-ln order=3 shared_norm=true"},
	} {
		if got := layers.Label(c.name, c.params); got != c.want {
			t.Errorf("Label(%q, %v) = %q, want %q", c.name, c.params, got, c.want)
		}
	}
}
