package vision

import (
	"github.com/zoo-nn/zoo/registry"
)

// cifar returns a width-16 CIFAR net with the plain residual and no
// data-dependent sizes.
func cifar(arch string, depth int, block, shortcut string) Config {
	return Config{Arch: arch, Depth: depth, Block: block, Width: 16, Shortcut: shortcut, Residual: "plain"}
}

// Presets are the papers' CIFAR networks by name, with the plain
// residual and no InChannels or Classes (they come from the data):
//
//   - resnet20, resnet32, resnet44, resnet56, resnet110: He et al. 2016,
//     section 4.2: post-activation basic blocks, widths 16/32/64,
//     shortcut A (0.27M, 0.46M, 0.66M, 0.85M and 1.7M parameters for
//     10 classes).
//   - preresnet110: He et al. 2016b, pre-activation basic blocks,
//     shortcut B (1.7M).
//   - preresnet164: He et al. 2016b, pre-activation bottlenecks (1x1,
//     3x3, 1x1, x4), shortcut B (1.7M).
//
// Read them through Preset, which returns a copy.
var Presets = map[string]Config{
	"resnet20":     cifar(ArchResNet, 20, BlockBasic, ShortcutA),
	"resnet32":     cifar(ArchResNet, 32, BlockBasic, ShortcutA),
	"resnet44":     cifar(ArchResNet, 44, BlockBasic, ShortcutA),
	"resnet56":     cifar(ArchResNet, 56, BlockBasic, ShortcutA),
	"resnet110":    cifar(ArchResNet, 110, BlockBasic, ShortcutA),
	"preresnet110": cifar(ArchPreResNet, 110, BlockBasic, ShortcutB),
	"preresnet164": cifar(ArchPreResNet, 164, BlockBottleneck, ShortcutB),
}

// PresetNames returns the preset names, sorted.
func PresetNames() []string { return registry.SortedKeys(Presets) }

// Preset returns a copy of the named preset for images of inChannels
// channels and the given number of classes. An unknown name is an error
// that lists the known ones.
func Preset(name string, inChannels, classes int64) (Config, error) {
	c, ok := Presets[name]
	if !ok {
		return Config{}, registry.UnknownName("vision preset", name, PresetNames())
	}
	c = c.clone()
	c.InChannels, c.Classes = inChannels, classes
	return c, nil
}
