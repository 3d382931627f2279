package nmt

import (
	"fmt"
	"maps"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/train"
)

// Recipe is a translation recipe (task = "translation"): the TOML keys
// map onto these fields one to one. The residual at the top level
// (residual = "rskip-ln" with [residual_params]) is the variant of every
// sublayer; [model] may override it per stack (encoder_residual,
// decoder_residual).
type Recipe struct {
	train.RunConfig `mapstructure:",squash"`
	Residual        string         `mapstructure:"residual"`        // variant of every residual (layers.Variants), default post-ln
	ResidualParams  map[string]any `mapstructure:"residual_params"` // its parameters, e.g. order = 2
	Data            DataConfig     `mapstructure:"data"`
	Model           ModelRecipe    `mapstructure:"model"`
	Train           TrainConfig    `mapstructure:"train"`
	Eval            EvalConfig     `mapstructure:"eval"`
}

// ModelRecipe is [model]: a preset and any Config field overriding it.
// The vocabulary sizes come from the data and the residual from the top
// level, so those three keys are not taken here.
type ModelRecipe struct {
	Preset string `mapstructure:"preset"` // one of PresetNames(), default small
	Config `mapstructure:",squash"`
}

// EvalConfig is [eval]: how the test set is decoded and scored at the end.
type EvalConfig struct {
	GenerateConfig `mapstructure:",squash"`
	// Checkpoint picks the weights to decode with: "best" (lowest
	// validation loss), "last", or "average" (mean of the last
	// average_last epoch checkpoints). Default "best".
	Checkpoint  string `mapstructure:"checkpoint"`
	AverageLast int    `mapstructure:"average_last"` // checkpoints averaged by "average", default 5
	Greedy      bool   `mapstructure:"greedy"`       // greedy instead of beam search, default false
	MaxTokens   int    `mapstructure:"max_tokens"`   // source tokens per decoding batch, default 4096
	// CompoundSplit applies tensor2tensor's compound splitting to the
	// tokenized BLEU (as papers' WMT14 En-De numbers do). Default false.
	CompoundSplit bool `mapstructure:"compound_split"`
}

// DefaultRecipe returns a recipe with every default filled in, the
// model from preset ("" means small).
func DefaultRecipe(preset string) (Recipe, error) {
	if preset == "" {
		preset = "small"
	}
	cfg, ok := Presets[preset]
	if !ok {
		if _, err := Preset(preset, 1, 1); err != nil {
			return Recipe{}, fmt.Errorf("[model] %w", err)
		}
	}
	gen := DefaultGenerateConfig()
	return Recipe{
		RunConfig: train.RunConfig{Task: "translation", Device: "auto"},
		Residual:  cfg.Residual,
		Data:      DefaultDataConfig(),
		Model:     ModelRecipe{Preset: preset, Config: cfg.clone()},
		Train:     DefaultTrainConfig(),
		Eval:      EvalConfig{GenerateConfig: gen, Checkpoint: "best", AverageLast: 5, MaxTokens: 4096},
	}, nil
}

// Validate checks every section.
func (r Recipe) Validate() error {
	// The top-level residual first, so that a bad name or parameter is
	// reported once, under its own key, not once per stack.
	if _, err := layers.Variants.Build(r.Residual, r.ResidualParams); err != nil {
		return fmt.Errorf("residual: %w", err)
	}
	if err := r.Data.Validate(); err != nil {
		return err
	}
	if err := r.Train.Validate(); err != nil {
		return err
	}
	if r.Model.SrcVocab != 0 || r.Model.TgtVocab != 0 {
		return fmt.Errorf("[model] src_vocab and tgt_vocab come from the data's dictionary: remove them")
	}
	if r.Model.Residual != r.Residual && r.Model.Residual != Presets[r.Model.Preset].Residual {
		return fmt.Errorf("[model] residual = %q conflicts with the top-level residual = %q: set it once, at the top level", r.Model.Residual, r.Residual)
	}
	switch r.Eval.Checkpoint {
	case "best", "last", "average":
	default:
		return fmt.Errorf("[eval] checkpoint = %q: want best, last or average", r.Eval.Checkpoint)
	}
	if r.Eval.AverageLast < 1 {
		return fmt.Errorf("[eval] average_last = %d: want >= 1", r.Eval.AverageLast)
	}
	if r.Eval.MaxTokens < 1 {
		return fmt.Errorf("[eval] max_tokens = %d: want >= 1", r.Eval.MaxTokens)
	}
	if r.Eval.Checkpoint == "average" && r.Train.KeepLast < 1 {
		return fmt.Errorf("[eval] checkpoint = \"average\" needs epoch checkpoints: set [train] keep_last >= 1 (it is %d)", r.Train.KeepLast)
	}
	if !train.Finite(r.Eval.MaxLenA) {
		return fmt.Errorf("[eval] max_len_a = %g: want a finite value >= 0", r.Eval.MaxLenA)
	}
	// The vocabulary is not known yet; check everything but beam against it.
	if err := r.Eval.GenerateConfig.Validate(int64(r.Eval.Beam) + 2); err != nil {
		return fmt.Errorf("[eval] %w", err)
	}
	if r.Eval.Beam > 1000 {
		return fmt.Errorf("[eval] beam = %d: want at most 1000", r.Eval.Beam)
	}
	if r.Eval.MaxLenA == 0 && r.Eval.MinLen > r.Eval.MaxLenB {
		return fmt.Errorf("[eval] min_len = %d exceeds the length cap max_len_b = %d", r.Eval.MinLen, r.Eval.MaxLenB)
	}
	if int64(r.Data.MaxLen) >= r.Model.MaxPositions {
		return fmt.Errorf("[data] max_len = %d needs [model] max_positions > %d (it is %d): EOS takes a position too", r.Data.MaxLen, r.Data.MaxLen, r.Model.MaxPositions)
	}
	_, err := r.ModelConfig(8, 8)
	return err
}

// ModelConfig is the model's Config for vocabularies of the given sizes.
func (r Recipe) ModelConfig(srcVocab, tgtVocab int64) (Config, error) {
	c := r.Model.Config.clone()
	c.SrcVocab, c.TgtVocab = srcVocab, tgtVocab
	c.Residual = r.Residual
	c.ResidualParams = maps.Clone(r.ResidualParams)
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("[model]: %w", err)
	}
	return c, nil
}
