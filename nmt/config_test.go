package nmt

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none = valid
	}{
		{"tiny is valid", func(*Config) {}, nil},
		{"no vocab", func(c *Config) { c.SrcVocab = 0 }, []string{"src_vocab = 0"}},
		{"heads do not divide", func(c *Config) { c.Heads = 3 }, []string{"heads = 3", "d_model = 16"}},
		{"d_model too small", func(c *Config) { c.DModel, c.Heads = 2, 1 }, []string{"d_model = 2"}},
		{"ffn", func(c *Config) { c.FFNDim = 0 }, []string{"ffn_dim = 0"}},
		{"layers", func(c *Config) { c.DecoderLayers = 0 }, []string{"decoder_layers = 0"}},
		{"dropout", func(c *Config) { c.Dropout = 1 }, []string{"dropout = 1", "[0, 1)"}},
		{"attention dropout NaN", func(c *Config) { c.AttentionDropout = nan() }, []string{"attention_dropout = NaN"}},
		{"activation", func(c *Config) { c.Activation = "swish" }, []string{`activation = "swish"`, "relu", "gelu"}},
		{"share all needs joint vocab", func(c *Config) { c.ShareAllEmbeddings = true }, []string{"joint vocabulary", "src_vocab = 11, tgt_vocab = 13"}},
		{"share all with joint vocab", func(c *Config) { c.ShareAllEmbeddings, c.TgtVocab = true, 11 }, nil},
		{"positions", func(c *Config) { c.MaxPositions = 0 }, []string{"max_positions = 0"}},
		{"pad out of range", func(c *Config) { c.PaddingIdx = 11 }, []string{"padding_idx = 11", "[0, 11)"}},
		{"pad is eos", func(c *Config) { c.PaddingIdx = 2 }, []string{"padding_idx and eos_idx are both 2"}},
		{"unknown variant", func(c *Config) { c.Residual = "post_ln" }, []string{"encoder residual", "decoder residual", `did you mean "post-ln"`}},
		{"bad variant param", func(c *Config) { c.Residual, c.ResidualParams = "rskip-ln", map[string]any{"order": 0} }, []string{"parameter order"}},
		{"decoder override only", func(c *Config) {
			c.DecoderResidual, c.DecoderResidualParams = "scaled", map[string]any{"lambdaa": 2}
		}, []string{"decoder residual", `unknown parameter "lambdaa"`}},
		{"params do not leak into an override", func(c *Config) {
			c.Residual, c.ResidualParams, c.EncoderResidual = "rskip-ln", map[string]any{"order": 3}, "pre-ln"
		}, nil},
		{"every problem at once", func(c *Config) { c.FFNDim, c.Activation = -1, "tanh" }, []string{"ffn_dim = -1", `activation = "tanh"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tinyConfig("post-ln")
			tc.edit(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestStackResidual(t *testing.T) {
	c := tinyConfig("rskip-ln")
	c.ResidualParams = map[string]any{"order": 3}
	c.DecoderResidual = "pre-ln"
	if name, params := c.stackResidual("encoder"); name != "rskip-ln" || params["order"] != 3 {
		t.Errorf("encoder: %s %v, want rskip-ln with the model-wide params", name, params)
	}
	if name, params := c.stackResidual("decoder"); name != "pre-ln" || params != nil {
		t.Errorf("decoder: %s %v, want pre-ln with its defaults", name, params)
	}
	c.EncoderResidualParams = map[string]any{"order": 2}
	if _, params := c.stackResidual("encoder"); params["order"] != 2 {
		t.Errorf("encoder params %v: the override should win", params)
	}
}

// TestPresets pins every preset to fairseq's architecture of that name.
func TestPresets(t *testing.T) {
	type arch struct {
		d, heads, ffn int64
		enc, dec      int
		dropout       float64
	}
	want := map[string]arch{
		"transformer_iwslt_de_en":           {512, 4, 1024, 6, 6, 0.3},
		"transformer_wmt_en_de":             {512, 8, 2048, 6, 6, 0.1},
		"base":                              {512, 8, 2048, 6, 6, 0.1},
		"transformer_vaswani_wmt_en_de_big": {1024, 16, 4096, 6, 6, 0.3},
		"big":                               {1024, 16, 4096, 6, 6, 0.3},
		"small":                             {256, 4, 1024, 3, 3, 0.1},
	}
	if got := strings.Join(PresetNames(), " "); len(PresetNames()) != len(want) {
		t.Fatalf("presets %s, want %d of them", got, len(want))
	}
	for name, w := range want {
		c, err := Preset(name, 1000, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got := arch{c.DModel, c.Heads, c.FFNDim, c.EncoderLayers, c.DecoderLayers, c.Dropout}
		if got != w {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
		if c.AttentionDropout != 0 || c.ActivationDropout != 0 || c.Activation != ActivationReLU ||
			c.Residual != "post-ln" || c.MaxPositions != 1024 || c.PaddingIdx != 1 || c.EOSIdx != 2 {
			t.Errorf("%s: %+v: want fairseq's shared defaults", name, c)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Preset("bass", 1, 1); err == nil || !strings.Contains(err.Error(), `did you mean "base"`) {
		t.Errorf("unknown preset: %v", err)
	}
	c, _ := Preset("base", 1, 1)
	c.ResidualParams = map[string]any{"x": 1}
	if Presets["base"].ResidualParams != nil {
		t.Error("editing a Preset's copy changed the preset")
	}
}
