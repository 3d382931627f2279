package bench

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/registry"
	"github.com/zoo-nn/zoo/vision"
)

// Kinds of models.
const (
	KindTranslation    = "translation"
	KindClassification = "classification"
)

// DefaultModels are the models `zoo bench` runs when --models is not
// given: the Transformer presets and CIFAR ResNets.
var DefaultModels = []string{"small", "base", "resnet20", "preresnet110"}

// Smoke-test models: too small to measure anything, quick to build.
const (
	// TinyNMT is a 2+2-layer Transformer, d_model 64, 4 heads, FFN 128,
	// 1,000-word shared vocabulary.
	TinyNMT = "tiny"
	// TinyResNet is a CIFAR ResNet of depth 8 (one block per stage),
	// width 16, shortcut A.
	TinyResNet = "resnet8"
)

// ModelNames lists every name --models accepts: zoo's Transformer and
// vision presets and the two smoke-test models, sorted.
func ModelNames() []string {
	names := append(nmt.PresetNames(), vision.PresetNames()...)
	names = append(names, TinyNMT, TinyResNet)
	sort.Strings(names)
	return slices.Compact(names)
}

// KindOf returns the kind of the named model, or an error that lists the
// known names and suggests the closest.
func KindOf(model string) (string, error) {
	switch {
	case model == TinyNMT:
		return KindTranslation, nil
	case model == TinyResNet:
		return KindClassification, nil
	}
	if _, ok := nmt.Presets[model]; ok {
		return KindTranslation, nil
	}
	if _, ok := vision.Presets[model]; ok {
		return KindClassification, nil
	}
	names := ModelNames()
	msg := fmt.Sprintf("unknown model %q", model)
	if close := registry.Closest(model, names, 2); len(close) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", close[0])
	}
	return "", fmt.Errorf("%s; known: %s", msg, strings.Join(names, ", "))
}

// ParseModels splits a comma-separated list and checks every name.
func ParseModels(list string) ([]string, error) {
	var out []string
	for _, m := range strings.Split(list, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if _, err := KindOf(m); err != nil {
			return nil, err
		}
		if slices.Contains(out, m) {
			return nil, fmt.Errorf("model %q is listed twice", m)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no models given; known: %s", strings.Join(ModelNames(), ", "))
	}
	return out, nil
}

// Variant is a residual variant with parameters, as --variants names it:
// "rskip-ln:order=2" is rskip-ln with order 2.
type Variant struct {
	Label  string         `json:"label"`            // as given, normalized: "rskip-ln:order=2"
	Name   string         `json:"name"`             // the registered name
	Params map[string]any `json:"params,omitempty"` // as given (strings); nil for none
}

// ParseVariants parses a list of variant specs, NAME or
// NAME:KEY=VALUE[,KEY=VALUE...], separated by commas or semicolons. A
// comma-separated item of the form KEY=VALUE continues the parameters of
// the variant before it, so "post-ln,rskip-ln:order=2,shared_norm=true"
// is two variants. Each is checked against layers.Variants.
func ParseVariants(list string) ([]Variant, error) {
	var specs []string
	for _, part := range strings.Split(list, ";") {
		for _, item := range strings.Split(part, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if k, _, isKV := strings.Cut(item, "="); isKV && !strings.Contains(k, ":") {
				if len(specs) == 0 || !strings.Contains(specs[len(specs)-1], ":") {
					return nil, fmt.Errorf("variant spec %q: a parameter without a variant (want NAME:KEY=VALUE, e.g. rskip-ln:order=2)", item)
				}
				specs[len(specs)-1] += "," + item
				continue
			}
			specs = append(specs, item)
		}
	}
	var out []Variant
	for _, s := range specs {
		v, err := parseVariant(s)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o Variant) bool { return o.Label == v.Label }) {
			return nil, fmt.Errorf("variant %q is listed twice", v.Label)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no variants given (known: %s)", strings.Join(layers.Variants.Names(), ", "))
	}
	return out, nil
}

func parseVariant(spec string) (Variant, error) {
	name, rest, hasParams := strings.Cut(spec, ":")
	v := Variant{Name: strings.TrimSpace(name)}
	var keys []string
	if hasParams {
		v.Params = map[string]any{}
		for _, kv := range strings.Split(rest, ",") {
			k, val, ok := strings.Cut(kv, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			if !ok || k == "" || val == "" {
				return Variant{}, fmt.Errorf("variant spec %q: parameter %q: want KEY=VALUE (e.g. rskip-ln:order=2)", spec, strings.TrimSpace(kv))
			}
			if _, dup := v.Params[k]; dup {
				return Variant{}, fmt.Errorf("variant spec %q: parameter %s is given twice", spec, k)
			}
			v.Params[k] = val
			keys = append(keys, k+"="+val)
		}
	}
	if _, err := layers.Variants.Build(v.Name, v.Params); err != nil {
		return Variant{}, fmt.Errorf("variant spec %q: %w", spec, err)
	}
	v.Label = v.Name
	if len(keys) > 0 {
		v.Label += ":" + strings.Join(keys, ",")
	}
	return v, nil
}

// resolvedParams returns the variant's parameters typed, defaults filled
// in (what the PyTorch side receives).
func resolvedParams(name string, params map[string]any) (map[string]any, error) {
	s, err := layers.Variants.Lookup(name)
	if err != nil {
		return nil, err
	}
	vals, err := s.Validate(params)
	if err != nil {
		return nil, fmt.Errorf("residual variant %q: %w", name, err)
	}
	return maps.Clone(map[string]any(vals)), nil
}

// Spec is one benchmark case: a model, its residual variant, the
// training batch and the inference set. Sizes left 0 take the model's
// defaults (Defaults).
type Spec struct {
	Model   string         `json:"model"`
	Variant string         `json:"variant"`          // residual name; "" = the model's default
	Params  map[string]any `json:"params,omitempty"` // the variant's parameters
	Label   string         `json:"label,omitempty"`  // the variant as listed ("rskip-ln:order=2")

	// Batch is the training batch: sentences (translation) or images.
	Batch int `json:"batch"`
	// Length is the longest source and target sentence of a training
	// batch, EOS included; lengths are drawn from [3/4·Length, Length].
	Length int `json:"length,omitempty"`
	// Vocab is the shared (joint) vocabulary size of a Transformer.
	Vocab int64 `json:"vocab,omitempty"`
	// Image is the side of the square training images (32 for CIFAR).
	Image int `json:"image,omitempty"`

	// InferBatch is the inference set: sentences decoded as one batch by
	// beam search, or images of one evaluation forward pass.
	InferBatch int `json:"infer_batch"`
	// InferLength is the longest source sentence of the inference set
	// (lengths drawn from [InferLength/3, InferLength]).
	InferLength int     `json:"infer_length,omitempty"`
	Beam        int     `json:"beam,omitempty"`
	MaxLenA     float64 `json:"max_len_a,omitempty"`
	MaxLenB     int     `json:"max_len_b,omitempty"`

	// LR is the constant learning rate of the benchmark's updates.
	LR float64 `json:"lr"`
	// Seed seeds weights, batches and dropout.
	Seed int64 `json:"seed"`
	// Threads is the intra-op and BLAS thread count both sides use.
	Threads int `json:"threads"`
}

// Defaults fills the zero sizes of s with the model's benchmark
// defaults; quick selects smoke-test sizes.
//
// Transformers: 128 sentences of up to 32 tokens a side (4,096 target
// tokens at most, fairseq's --max-tokens 4096), a shared vocabulary of
// 10,000 (32,768 for base and big), Adam at 5e-4; inference: 32 sources
// of up to 30 tokens, beam 5, max length 1.2·S + 10. ResNets: 128
// 3x32x32 images (He et al.), SGD at 0.1 with momentum 0.9 and weight
// decay 1e-4; inference: one evaluation batch of 500 images.
func (s Spec) Defaults(quick bool) (Spec, error) {
	kind, err := KindOf(s.Model)
	if err != nil {
		return s, err
	}
	set := func(p *int, full, small int) {
		if *p == 0 {
			*p = full
			if quick {
				*p = small
			}
		}
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if kind == KindTranslation {
		if s.Variant == "" {
			s.Variant = "post-ln"
		}
		set(&s.Batch, 128, 8)
		set(&s.Length, 32, 16)
		set(&s.InferBatch, 32, 4)
		set(&s.InferLength, 30, 10)
		set(&s.Beam, 5, 4)
		if s.MaxLenB == 0 && s.MaxLenA == 0 {
			s.MaxLenA, s.MaxLenB = 1.2, 10
			if quick {
				s.MaxLenA, s.MaxLenB = 0, 8
			}
		}
		if s.Vocab == 0 {
			s.Vocab = 10000
			switch s.Model {
			case "base", "transformer_wmt_en_de", "big", "transformer_vaswani_wmt_en_de_big":
				s.Vocab = 32768
			case TinyNMT:
				s.Vocab = 1000
			}
		}
		if s.LR == 0 {
			s.LR = 5e-4
		}
	} else {
		if s.Variant == "" {
			s.Variant = "plain"
		}
		set(&s.Batch, 128, 16)
		set(&s.InferBatch, 500, 16)
		set(&s.Image, 32, 32)
		if s.LR == 0 {
			s.LR = 0.1
		}
	}
	if s.Label == "" {
		s.Label = s.Variant
	}
	return s, s.validate(kind)
}

func (s Spec) validate(kind string) error {
	switch {
	case s.Batch < 1 || s.InferBatch < 1:
		return fmt.Errorf("batch = %d, infer batch = %d: want at least 1", s.Batch, s.InferBatch)
	case kind == KindTranslation && (s.Length < 2 || s.InferLength < 2):
		return fmt.Errorf("length = %d, infer length = %d: want at least 2 (a word and EOS)", s.Length, s.InferLength)
	case kind == KindTranslation && s.Vocab < 8:
		return fmt.Errorf("vocab = %d: want at least 8", s.Vocab)
	case kind == KindTranslation && s.Beam < 1:
		return fmt.Errorf("beam = %d: want at least 1", s.Beam)
	case kind == KindClassification && s.Image < 4:
		return fmt.Errorf("image = %d: want at least 4 pixels", s.Image)
	}
	_, err := resolvedParams(s.Variant, s.Params)
	return err
}

// Kind is the kind of s's model (s must be valid).
func (s Spec) Kind() string {
	k, _ := KindOf(s.Model)
	return k
}

// NMTConfig is the Transformer s describes: the preset with a shared
// vocabulary and all embeddings shared (fairseq's WMT setting), and the
// variant.
func (s Spec) NMTConfig() (nmt.Config, error) {
	preset := s.Model
	if preset == TinyNMT {
		preset = "small"
	}
	c, err := nmt.Preset(preset, s.Vocab, s.Vocab)
	if err != nil {
		return c, err
	}
	if s.Model == TinyNMT {
		c.DModel, c.Heads, c.FFNDim = 64, 4, 128
		c.EncoderLayers, c.DecoderLayers = 2, 2
	}
	c.ShareAllEmbeddings = true
	c.Residual, c.ResidualParams = s.Variant, maps.Clone(s.Params)
	return c, c.Validate()
}

// VisionConfig is the ResNet s describes, for 3-channel images and 10
// classes.
func (s Spec) VisionConfig() (vision.Config, error) {
	preset := s.Model
	if preset == TinyResNet {
		preset = "resnet20"
	}
	c, err := vision.Preset(preset, 3, 10)
	if err != nil {
		return c, err
	}
	if s.Model == TinyResNet {
		c.Depth = 8
	}
	c.Residual, c.ResidualParams = s.Variant, maps.Clone(s.Params)
	return c, c.Validate()
}
