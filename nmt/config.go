package nmt

import (
	"errors"
	"fmt"
	"maps"

	"github.com/zoo-nn/zoo/layers"
)

// Activations accepted by Config.Activation.
const (
	ActivationReLU = "relu"
	ActivationGELU = "gelu" // exact (erf) GELU, fairseq's "gelu"
)

// Config describes one Transformer. The zero value is not usable: start
// from a preset (Preset, or a copy out of Presets) and set the vocabulary
// sizes. Defaults below are those of the "base" preset, which are
// fairseq's transformer_wmt_en_de.
type Config struct {
	// SrcVocab is the source vocabulary size, special symbols included.
	// No default: it comes from the source dictionary.
	SrcVocab int64 `mapstructure:"src_vocab"`
	// TgtVocab is the target vocabulary size, special symbols included.
	// No default: it comes from the target dictionary.
	TgtVocab int64 `mapstructure:"tgt_vocab"`
	// DModel is the width of every block's input and output (fairseq's
	// embed_dim); at least 4, since the sinusoidal table divides by
	// DModel/2 - 1. Default 512.
	DModel int64 `mapstructure:"d_model"`
	// Heads is the number of attention heads of every attention sublayer;
	// it must divide DModel. Default 8.
	Heads int64 `mapstructure:"heads"`
	// FFNDim is the inner width of the position-wise feed-forward
	// sublayer. Default 2048.
	FFNDim int64 `mapstructure:"ffn_dim"`
	// EncoderLayers is the number of encoder blocks. Default 6.
	EncoderLayers int `mapstructure:"encoder_layers"`
	// DecoderLayers is the number of decoder blocks. Default 6.
	DecoderLayers int `mapstructure:"decoder_layers"`
	// Dropout is applied after the embeddings and to every sublayer's
	// output before the residual join. Default 0.1.
	Dropout float64 `mapstructure:"dropout"`
	// AttentionDropout is applied to the attention probabilities.
	// Default 0.
	AttentionDropout float64 `mapstructure:"attention_dropout"`
	// ActivationDropout is applied after the feed-forward activation
	// (fairseq's activation_dropout, formerly relu_dropout). Default 0.
	ActivationDropout float64 `mapstructure:"activation_dropout"`
	// Activation is the feed-forward non-linearity: "relu" or "gelu".
	// Default "relu".
	Activation string `mapstructure:"activation"`
	// ShareAllEmbeddings makes the source embedding, the target embedding
	// and the output projection one matrix (stored once, as
	// encoder.embed_tokens.weight). It needs a joint vocabulary
	// (SrcVocab == TgtVocab) and implies ShareDecoderInputOutputEmbed.
	// Default false.
	ShareAllEmbeddings bool `mapstructure:"share_all_embeddings"`
	// ShareDecoderInputOutputEmbed ties the output projection to the
	// target embedding (stored once, as decoder.embed_tokens.weight).
	// Default false.
	ShareDecoderInputOutputEmbed bool `mapstructure:"share_decoder_input_output_embed"`
	// MaxPositions is the longest source or target sequence (in tokens,
	// EOS included) the positional table covers. Default 1024.
	MaxPositions int64 `mapstructure:"max_positions"`
	// Residual names the residual variant (layers.Variants) that joins
	// every sublayer to its input, unless a stack overrides it.
	// Default "post-ln" (fairseq's normalize_before=False).
	Residual string `mapstructure:"residual"`
	// ResidualParams are the variant's parameters; nil means the
	// variant's defaults. Default nil.
	ResidualParams map[string]any `mapstructure:"residual_params"`
	// EncoderResidual, when set, replaces Residual for the encoder.
	// Default "" (use Residual).
	EncoderResidual string `mapstructure:"encoder_residual"`
	// EncoderResidualParams, when not nil, are the encoder variant's
	// parameters. When nil, the encoder takes ResidualParams if it uses
	// the same variant as Residual, else the variant's defaults.
	// Default nil.
	EncoderResidualParams map[string]any `mapstructure:"encoder_residual_params"`
	// DecoderResidual, when set, replaces Residual for the decoder.
	// Default "" (use Residual).
	DecoderResidual string `mapstructure:"decoder_residual"`
	// DecoderResidualParams are to the decoder what
	// EncoderResidualParams are to the encoder. Default nil.
	DecoderResidualParams map[string]any `mapstructure:"decoder_residual_params"`
	// PaddingIdx is the padding symbol of both vocabularies; its
	// embedding row is zero and gets no gradient, and positions count
	// from PaddingIdx+1. Default 1 (fairseq's dictionary).
	PaddingIdx int64 `mapstructure:"padding_idx"`
	// EOSIdx is the end-of-sentence symbol, which also starts every
	// decoder input (fairseq's convention). Default 2 (fairseq's
	// dictionary).
	EOSIdx int64 `mapstructure:"eos_idx"`
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.SrcVocab <= 0 || c.TgtVocab <= 0 {
		bad("src_vocab = %d, tgt_vocab = %d: both must be positive", c.SrcVocab, c.TgtVocab)
	}
	if c.DModel < 4 {
		bad("d_model = %d: want at least 4", c.DModel)
	}
	if c.Heads <= 0 || (c.DModel > 0 && c.DModel%c.Heads != 0) {
		bad("heads = %d: want a positive divisor of d_model = %d", c.Heads, c.DModel)
	}
	if c.FFNDim <= 0 {
		bad("ffn_dim = %d: want a positive width", c.FFNDim)
	}
	if c.EncoderLayers < 1 || c.DecoderLayers < 1 {
		bad("encoder_layers = %d, decoder_layers = %d: want at least 1 each", c.EncoderLayers, c.DecoderLayers)
	}
	for _, d := range []struct {
		name string
		p    float64
	}{{"dropout", c.Dropout}, {"attention_dropout", c.AttentionDropout}, {"activation_dropout", c.ActivationDropout}} {
		if !(d.p >= 0 && d.p < 1) {
			bad("%s = %v: want a probability in [0, 1)", d.name, d.p)
		}
	}
	if c.Activation != ActivationReLU && c.Activation != ActivationGELU {
		bad("activation = %q: want %q or %q", c.Activation, ActivationReLU, ActivationGELU)
	}
	if c.ShareAllEmbeddings && c.SrcVocab != c.TgtVocab {
		bad("share_all_embeddings needs a joint vocabulary: src_vocab = %d, tgt_vocab = %d", c.SrcVocab, c.TgtVocab)
	}
	if c.MaxPositions < 1 {
		bad("max_positions = %d: want at least 1", c.MaxPositions)
	}
	errs = append(errs, c.validateSymbols()...)
	for _, stack := range []string{"encoder", "decoder"} {
		name, params := c.stackResidual(stack)
		if _, err := layers.Variants.Build(name, params); err != nil {
			bad("%s residual: %w", stack, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("nmt config: %w", err)
	}
	return nil
}

func (c Config) validateSymbols() []error {
	var errs []error
	vocab := min(c.SrcVocab, c.TgtVocab)
	for _, s := range []struct {
		name string
		idx  int64
	}{{"padding_idx", c.PaddingIdx}, {"eos_idx", c.EOSIdx}} {
		if s.idx < 0 || s.idx >= vocab {
			errs = append(errs, fmt.Errorf("%s = %d: want an index in [0, %d)", s.name, s.idx, vocab))
		}
	}
	if c.PaddingIdx == c.EOSIdx {
		errs = append(errs, fmt.Errorf("padding_idx and eos_idx are both %d: want two symbols", c.EOSIdx))
	}
	return errs
}

// stackResidual resolves the variant name and parameters of one stack
// ("encoder" or "decoder") from the model-wide setting and its override.
func (c Config) stackResidual(stack string) (string, map[string]any) {
	name, params := c.EncoderResidual, c.EncoderResidualParams
	if stack == "decoder" {
		name, params = c.DecoderResidual, c.DecoderResidualParams
	}
	if name == "" {
		name = c.Residual
	}
	if params == nil && name == c.Residual {
		params = c.ResidualParams
	}
	return name, params
}

// sharesOutput reports whether the output projection is the target
// embedding matrix.
func (c Config) sharesOutput() bool {
	return c.ShareAllEmbeddings || c.ShareDecoderInputOutputEmbed
}

// clone returns c with its parameter maps copied, so that a caller who
// edits a returned Config never changes the original.
func (c Config) clone() Config {
	c.ResidualParams = maps.Clone(c.ResidualParams)
	c.EncoderResidualParams = maps.Clone(c.EncoderResidualParams)
	c.DecoderResidualParams = maps.Clone(c.DecoderResidualParams)
	return c
}
