package nmt

import (
	"github.com/zoo-nn/zoo/registry"
)

// base is fairseq's base_architecture (transformer_wmt_en_de) without
// the vocabularies.
var base = Config{
	DModel:        512,
	Heads:         8,
	FFNDim:        2048,
	EncoderLayers: 6,
	DecoderLayers: 6,
	Dropout:       0.1,
	Activation:    ActivationReLU,
	MaxPositions:  1024,
	Residual:      "post-ln",
	PaddingIdx:    1,
	EOSIdx:        2,
}

// with returns base changed by edit.
func with(edit func(*Config)) Config {
	c := base
	edit(&c)
	return c
}

// Presets are the architectures by name, with no vocabulary set. The
// fairseq ones match fairseq's architectures of the same name:
//
//   - transformer_iwslt_de_en: 6+6 layers, d_model 512, 4 heads, FFN 1024,
//     dropout 0.3. (fairseq's architecture keeps the base dropout of 0.1;
//     0.3 is what its IWSLT'14 de-en recipe passes on the command line.)
//   - transformer_wmt_en_de, alias "base": 6+6, 512, 8 heads, FFN 2048,
//     dropout 0.1.
//   - transformer_vaswani_wmt_en_de_big, alias "big": 6+6, 1024, 16 heads,
//     FFN 4096, dropout 0.3.
//   - "small" (zoo's, for CPU runs): 3+3, 256, 4 heads, FFN 1024,
//     dropout 0.1.
//
// All use ReLU, no attention or activation dropout, Post-LN, sinusoidal
// positions up to 1024 and fairseq's symbols (pad 1, EOS 2). Read them
// through Preset, which returns a copy.
var Presets = map[string]Config{
	"transformer_iwslt_de_en": with(func(c *Config) {
		c.Heads, c.FFNDim, c.Dropout = 4, 1024, 0.3
	}),
	"transformer_wmt_en_de": base,
	"base":                  base,
	"transformer_vaswani_wmt_en_de_big": with(func(c *Config) {
		c.DModel, c.Heads, c.FFNDim, c.Dropout = 1024, 16, 4096, 0.3
	}),
	"big": with(func(c *Config) {
		c.DModel, c.Heads, c.FFNDim, c.Dropout = 1024, 16, 4096, 0.3
	}),
	"small": with(func(c *Config) {
		c.DModel, c.Heads, c.FFNDim = 256, 4, 1024
		c.EncoderLayers, c.DecoderLayers = 3, 3
	}),
}

// PresetNames returns the preset names, sorted.
func PresetNames() []string { return registry.SortedKeys(Presets) }

// Preset returns a copy of the named preset with the vocabulary sizes
// set. An unknown name is an error that lists the known ones.
func Preset(name string, srcVocab, tgtVocab int64) (Config, error) {
	c, ok := Presets[name]
	if !ok {
		return Config{}, registry.UnknownName("nmt preset", name, PresetNames())
	}
	c = c.clone()
	c.SrcVocab, c.TgtVocab = srcVocab, tgtVocab
	return c, nil
}
