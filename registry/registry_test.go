package registry_test

import (
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/registry"
)

func testRegistry() *registry.Registry[string] {
	r := registry.New[string]("widget")
	echo := func(v registry.Values) (string, error) { return "ok", nil }
	r.Register(registry.Spec[string]{Name: "post-ln", New: echo})
	r.Register(registry.Spec[string]{Name: "pre-ln", New: echo})
	r.Register(registry.Spec[string]{Name: "rskip-ln", New: echo, Params: []registry.Param{
		{Name: "order", Kind: registry.Int, Default: int64(2), Min: 1, HasMin: true},
		{Name: "shared_norm", Kind: registry.Bool, Default: false},
		{Name: "lambda", Kind: registry.Float, Default: 1.0},
		{Name: "norm", Kind: registry.String, Default: "layer", Choices: []string{"layer", "batch"}},
	}})
	return r
}

func TestBuildErrors(t *testing.T) {
	r := testRegistry()
	cases := []struct {
		name    string
		variant string
		params  map[string]any
		want    []string // substrings of the error
	}{
		{"unknown name suggests", "post-lm", nil, []string{`unknown widget "post-lm"`, `did you mean "post-ln"`, "known: post-ln, pre-ln, rskip-ln"}},
		{"unknown name far away", "transformer", nil, []string{`unknown widget "transformer"`, "known: post-ln, pre-ln, rskip-ln"}},
		{"order zero", "rskip-ln", map[string]any{"order": int64(0)}, []string{`widget "rskip-ln"`, "parameter order", "out of range", "int >= 1"}},
		{"order fractional", "rskip-ln", map[string]any{"order": 2.5}, []string{"parameter order", "want an integer, got 2.5"}},
		{"order string", "rskip-ln", map[string]any{"order": "two"}, []string{"parameter order", "want an integer"}},
		{"lambda NaN", "rskip-ln", map[string]any{"lambda": "NaN"}, []string{"parameter lambda", "finite"}},
		{"unknown key", "rskip-ln", map[string]any{"ordr": 2}, []string{`unknown parameter "ordr"`, "allowed: order (int >= 1, default 2)", "shared_norm (bool, default false)"}},
		{"key on a parameterless entry", "pre-ln", map[string]any{"order": 2}, []string{`widget "pre-ln"`, "none (this entry takes no parameters)"}},
		{"bad choice", "rskip-ln", map[string]any{"norm": "btach"}, []string{`"btach" is not one of {layer, batch}`, `did you mean "batch"`}},
		{"bad bool", "rskip-ln", map[string]any{"shared_norm": "yes please"}, []string{"parameter shared_norm", "want true or false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.Build(c.variant, c.params)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestValidateCoercesAndFillsDefaults(t *testing.T) {
	spec, err := testRegistry().Lookup("rskip-ln")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		raw   map[string]any
		order int64
		lam   float64
		share bool
	}{
		{nil, 2, 1, false},
		{map[string]any{"order": int64(3)}, 3, 1, false},
		{map[string]any{"order": 3.0, "lambda": int64(2)}, 3, 2, false},   // TOML/JSON number forms
		{map[string]any{"order": "4", "shared_norm": "true"}, 4, 1, true}, // --set strings
	}
	for _, c := range cases {
		v, err := spec.Validate(c.raw)
		if err != nil {
			t.Fatalf("%v: %v", c.raw, err)
		}
		if v.Int("order") != c.order || v.Float("lambda") != c.lam || v.Bool("shared_norm") != c.share {
			t.Errorf("%v: got %v", c.raw, v)
		}
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	r := testRegistry()
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate registration did not panic")
		}
	}()
	r.Register(registry.Spec[string]{Name: "pre-ln", New: func(registry.Values) (string, error) { return "", nil }})
}

func TestRegisterBadDefaultPanics(t *testing.T) {
	r := registry.New[string]("widget")
	defer func() {
		if recover() == nil {
			t.Fatal("a default outside its own range did not panic")
		}
	}()
	r.Register(registry.Spec[string]{Name: "x", New: func(registry.Values) (string, error) { return "", nil },
		Params: []registry.Param{{Name: "order", Kind: registry.Int, Default: int64(0), Min: 1, HasMin: true}}})
}

func TestClosest(t *testing.T) {
	names := []string{"plain", "post-ln", "pre-ln", "rskip-ln", "scaled", "scaled-ln"}
	cases := []struct {
		in   string
		want string
	}{
		{"postln", "post-ln"},
		{"rskip", "rskip-ln"},
		{"scaled_ln", "scaled-ln"},
		{"plian", "plain"},
		{"zzzzzzzzzz", ""},
	}
	for _, c := range cases {
		got := registry.Closest(c.in, names, 1)
		if (c.want == "" && len(got) != 0) || (c.want != "" && (len(got) == 0 || got[0] != c.want)) {
			t.Errorf("Closest(%q) = %v, want %q", c.in, got, c.want)
		}
	}
}
