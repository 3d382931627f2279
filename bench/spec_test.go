package bench

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseModels(t *testing.T) {
	got, err := ParseModels(" small, resnet20 ,preresnet110,base")
	if err != nil || !slices.Equal(got, []string{"small", "resnet20", "preresnet110", "base"}) {
		t.Fatalf("ParseModels = %v, %v", got, err)
	}
	for list, want := range map[string]string{
		"smal":         `unknown model "smal" (did you mean "small"?); known: `,
		"resnet21":     `unknown model "resnet21"`,
		"small,small":  "listed twice",
		" , ":          "no models given",
		"transformer9": "preresnet110",
	} {
		_, err := ParseModels(list)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseModels(%q) = %v, want an error containing %q", list, err, want)
		}
	}
}

func TestParseVariants(t *testing.T) {
	got, err := ParseVariants("post-ln,rskip-ln:order=2,shared_norm=true; scaled:lambda=0.5")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, v := range got {
		labels = append(labels, v.Label)
	}
	if !slices.Equal(labels, []string{"post-ln", "rskip-ln:order=2,shared_norm=true", "scaled:lambda=0.5"}) {
		t.Errorf("labels %v", labels)
	}
	if got[1].Name != "rskip-ln" || got[1].Params["order"] != "2" || got[1].Params["shared_norm"] != "true" {
		t.Errorf("rskip-ln parsed as %+v", got[1])
	}
	for list, want := range map[string]string{
		"post-lm":                  `unknown residual variant "post-lm"`,
		"rskip-ln:order=0":         "order",
		"rskip-ln:orderr=2":        `unknown parameter "orderr"`,
		"order=2":                  "a parameter without a variant",
		"post-ln,order=2":          "a parameter without a variant",
		"scaled:lambda":            "want KEY=VALUE",
		"scaled:lambda=1,lambda=2": "given twice",
		"plain,plain":              "listed twice",
		"":                         "no variants given",
	} {
		_, err := ParseVariants(list)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseVariants(%q) = %v, want an error containing %q", list, err, want)
		}
	}
}

func TestSpecDefaults(t *testing.T) {
	s, err := Spec{Model: "base"}.Defaults(false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Variant != "post-ln" || s.Batch != 128 || s.Length != 32 || s.Vocab != 32768 || s.Beam != 5 || s.LR != 5e-4 {
		t.Errorf("base defaults %+v", s)
	}
	r, err := Spec{Model: "resnet20", Batch: 64}.Defaults(true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Variant != "plain" || r.Batch != 64 || r.InferBatch != 16 || r.Image != 32 || r.LR != 0.1 {
		t.Errorf("resnet20 quick defaults %+v", r)
	}
	if _, err := (Spec{Model: "small", Variant: "rskip-ln", Params: map[string]any{"order": "x"}}).Defaults(false); err == nil {
		t.Error("a bad variant parameter passed")
	}
	c, err := Spec{Model: TinyNMT, Variant: "pre-ln", Vocab: 100}.NMTConfig()
	if err != nil || c.DModel != 64 || c.EncoderLayers != 2 || !c.ShareAllEmbeddings || c.Residual != "pre-ln" {
		t.Errorf("tiny config %+v, %v", c, err)
	}
	v, err := Spec{Model: TinyResNet, Variant: "plain"}.VisionConfig()
	if err != nil || v.Depth != 8 || v.Classes != 10 {
		t.Errorf("resnet8 config %+v, %v", v, err)
	}
}

func TestOptionsValidate(t *testing.T) {
	base := Options{Models: []string{"tiny"}, Reps: 1, Steps: 1}
	for name, c := range map[string]struct {
		edit func(*Options)
		want string
	}{
		"reps":   {func(o *Options) { o.Reps = 0 }, "--reps 0"},
		"steps":  {func(o *Options) { o.Steps = 0 }, "--steps 0"},
		"warmup": {func(o *Options) { o.Warmup = -1 }, "--warmup -1"},
		"batch":  {func(o *Options) { o.Batch = -1 }, "--batch -1"},
		"memory": {func(o *Options) { o.Memory, o.Updates, o.ComparePyTorch = true, 10, true }, "--memory runs zoo alone"},
		"upd":    {func(o *Options) { o.Memory = true }, "--updates 0"},
		"gemm":   {func(o *Options) { o.GEMMSize = -5 }, "--gemm-size -5"},
		"length": {func(o *Options) { o.Length = 1 }, "--length 1: want at least 2 tokens"},
		"tol":    {func(o *Options) { o.Tolerance = math.NaN() }, "--tolerance NaN"},
		"spec":   {func(o *Options) { o.Models = []string{"tiny", "nope"} }, "nope"},
	} {
		o := base
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, c.want)
		}
	}
	o := base
	if err := o.Validate(); err != nil || o.Threads < 1 || o.Tolerance != 1e-4 || o.GEMMSize != 2048 {
		t.Errorf("defaults: %v %+v", err, o)
	}
}
