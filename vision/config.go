package vision

import (
	"errors"
	"fmt"
	"maps"

	"github.com/zoo-nn/zoo/layers"
)

// Architectures accepted by Config.Arch.
const (
	// ArchResNet is He et al. 2016's CIFAR ResNet: post-activation basic
	// blocks, y = ReLU(join(x, F)), with F = BN(conv(ReLU(BN(conv(x))))).
	ArchResNet = "resnet"
	// ArchPreResNet is He et al. 2016b's pre-activation ResNet: y =
	// join(x, F) with F = conv(ReLU(BN(conv(ReLU(BN(x)))))), nothing after
	// the join, and a final BN-ReLU before pooling.
	ArchPreResNet = "preresnet"
)

// Blocks accepted by Config.Block.
const (
	BlockBasic      = "basic"      // two 3x3 convolutions
	BlockBottleneck = "bottleneck" // 1x1, 3x3, 1x1 with 4x expansion (preresnet only)
)

// Shortcuts accepted by Config.Shortcut: the skip path of a block that
// changes shape (every other block's skip is the identity).
const (
	// ShortcutA subsamples x by the block's stride and appends zero
	// channels; it has no parameters (He et al. 2016's option A).
	ShortcutA = "A"
	// ShortcutB is a 1x1 convolution with the block's stride followed by
	// BN (He et al. 2016's option B).
	ShortcutB = "B"
)

// Config is a CIFAR-style ResNet. It is decoded from a recipe's [model]
// section (mapstructure tags); InChannels and Classes come from the data
// and the residual variant from the recipe's top level. Start from a
// preset (Preset, or a copy out of Presets).
type Config struct {
	// Arch is "resnet" (post-activation, ReLU after the join) or
	// "preresnet" (pre-activation, nothing after the join, a final
	// BN-ReLU before pooling).
	Arch string `mapstructure:"arch"`
	// Depth counts the weighted layers: 6n+2 for basic blocks (20, 32, 44,
	// 56, 110), 9n+2 for bottlenecks (164), n blocks per stage.
	Depth int `mapstructure:"depth"`
	// Block is "basic" or "bottleneck" (preresnet only).
	Block string `mapstructure:"block"`
	// Width is the channel count of the stem and the first stage (16 in
	// the papers); the stages are width, 2·width and 4·width wide, and
	// bottleneck blocks output 4x that.
	Width int64 `mapstructure:"width"`
	// Shortcut is the skip path where a block changes shape: "A"
	// (subsample and zero-pad, no parameters) or "B" (1x1 conv + BN).
	Shortcut string `mapstructure:"shortcut"`
	// ZeroInitLastBN starts the weight of the last BN of every block's F
	// at 0, so that every F is 0 at initialization (Goyal et al., 2017).
	ZeroInitLastBN bool `mapstructure:"zero_init_last_bn"`
	// InChannels is the channel count of the input images (from the data).
	InChannels int64 `mapstructure:"-"`
	// Classes is the number of output logits (from the data).
	Classes int64 `mapstructure:"-"`
	// Residual names the variant (layers.Variants) that joins every
	// block's skip path and F: the recipe's top-level residual.
	Residual string `mapstructure:"-"`
	// ResidualParams are the variant's parameters; nil means its defaults.
	ResidualParams map[string]any `mapstructure:"-"`
}

// Validate reports every problem with c at once, each with its key and
// what is expected.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Arch {
	case ArchResNet, ArchPreResNet:
	default:
		bad("arch = %q: want %q or %q", c.Arch, ArchResNet, ArchPreResNet)
	}
	switch c.Block {
	case BlockBasic:
	case BlockBottleneck:
		if c.Arch == ArchResNet {
			bad("block = %q needs arch = %q (resnet has basic blocks only)", c.Block, ArchPreResNet)
		}
	default:
		bad("block = %q: want %q or %q", c.Block, BlockBasic, BlockBottleneck)
	}
	if c.Block == BlockBasic || c.Block == BlockBottleneck {
		if _, err := c.blocksPerStage(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Width < 1 {
		bad("width = %d: want a positive channel count (16 in the papers)", c.Width)
	}
	if c.Shortcut != ShortcutA && c.Shortcut != ShortcutB {
		bad("shortcut = %q: want %q (subsample and zero-pad) or %q (1x1 conv + BN)", c.Shortcut, ShortcutA, ShortcutB)
	}
	if c.InChannels < 1 {
		bad("in_channels = %d: want a positive channel count (set from the data)", c.InChannels)
	}
	if c.Classes < 1 {
		bad("classes = %d: want a positive class count (set from the data)", c.Classes)
	}
	if _, err := layers.Variants.Build(c.Residual, c.ResidualParams); err != nil {
		bad("residual: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vision config: %w", err)
	}
	return nil
}

// maxDepth bounds Depth: more is a typo, and New would try to build it.
const maxDepth = 2000

// blocksPerStage returns n for Depth = 6n+2 (basic) or 9n+2 (bottleneck).
func (c Config) blocksPerStage() (int, error) {
	per := 6
	if c.Block == BlockBottleneck {
		per = 9
	}
	if c.Depth > maxDepth {
		return 0, fmt.Errorf("depth = %d: want at most %d (He et al.'s deepest CIFAR net has 1202)", c.Depth, maxDepth)
	}
	if n := (c.Depth - 2) / per; c.Depth >= per+2 && n*per+2 == c.Depth {
		return n, nil
	}
	used := "20, 32, 44, 56, 110"
	if per == 9 {
		used = "164"
	}
	return 0, fmt.Errorf("depth = %d: %s blocks need depth = %dn+2 with n >= 1 (%d, %d, %d, %d, ...; the papers use %s)",
		c.Depth, c.Block, per, per+2, 2*per+2, 3*per+2, 4*per+2, used)
}

// expansion is the ratio of a block's output channels to its stage width.
func (c Config) expansion() int64 {
	if c.Block == BlockBottleneck {
		return 4
	}
	return 1
}

// clone returns c with its parameter map copied, so that editing a
// returned Config never changes the original.
func (c Config) clone() Config {
	c.ResidualParams = maps.Clone(c.ResidualParams)
	return c
}
