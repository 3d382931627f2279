package vision

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision/images"
)

// Recipe is an image classification recipe (task = "classification"):
// the TOML keys map onto these fields one to one. The residual at the top
// level (residual = "rskip-ln" with [residual_params]) joins every block.
type Recipe struct {
	train.RunConfig `mapstructure:",squash"`
	Residual        string         `mapstructure:"residual"`        // variant of every block's join (layers.Variants), default plain
	ResidualParams  map[string]any `mapstructure:"residual_params"` // its parameters, e.g. lambda = 2
	Data            DataConfig     `mapstructure:"data"`
	Model           ModelRecipe    `mapstructure:"model"`
	Train           TrainConfig    `mapstructure:"train"`
}

// ModelRecipe is [model]: a preset and any Config field overriding it.
type ModelRecipe struct {
	Preset string `mapstructure:"preset"` // one of PresetNames(), default resnet20
	Config `mapstructure:",squash"`
}

// DataConfig is [data]: which images, and how they are augmented.
type DataConfig struct {
	Dataset string `mapstructure:"dataset"`  // fmnist | cifar10 | cifar100 | cifar10-jpg (zoo data get NAME)
	Format  string `mapstructure:"format"`   // without dataset: cifar10-bin | cifar100-bin | idx | folder
	Dir     string `mapstructure:"dir"`      // without dataset: the folder holding the files
	Label   string `mapstructure:"label"`    // cifar100: fine (default) or coarse
	PadCrop int    `mapstructure:"pad_crop"` // zero padding of the random crop (0: no crop), default 4
	Flip    bool   `mapstructure:"flip"`     // random horizontal flips, default true
	// Normalize subtracts the training set's per-channel mean and divides
	// by its standard deviation. Default true.
	Normalize  bool `mapstructure:"normalize"`
	Workers    int  `mapstructure:"workers"`     // goroutines preparing batches (0: one per core)
	LimitTrain int  `mapstructure:"limit_train"` // use only the first N training images (0: all); for smoke tests
	LimitTest  int  `mapstructure:"limit_test"`  // use only the first N test images (0: all)
}

// Optimizers a classification recipe may name.
var Optimizers = []string{"sgd", "adam"}

// TrainConfig is [train].
type TrainConfig struct {
	BatchSize      int                  `mapstructure:"batch_size"`      // images per update, default 128
	EvalBatchSize  int                  `mapstructure:"eval_batch_size"` // images per evaluation batch, default 500
	MaxEpochs      int                  `mapstructure:"max_epochs"`      // stop after this many epochs (0: no limit)
	MaxUpdates     int64                `mapstructure:"max_updates"`     // stop after this many updates (0: no limit)
	MaxMinutes     float64              `mapstructure:"max_minutes"`     // stop after this much training time, resumes included (0: no limit)
	Optimizer      string               `mapstructure:"optimizer"`       // sgd (default) or adam
	SGD            train.SGDConfig      `mapstructure:"sgd"`             // [train.sgd]: momentum 0.9, weight_decay 1e-4 by default
	Adam           train.AdamConfig     `mapstructure:"adam"`            // [train.adam]
	Schedule       train.ScheduleConfig `mapstructure:"schedule"`        // [train.schedule]; unit = "epoch" counts milestones, warmup and total in epochs
	LabelSmoothing float64              `mapstructure:"label_smoothing"` // PyTorch's label_smoothing of the cross entropy, default 0
	ClipNorm       float64              `mapstructure:"clip_norm"`       // gradient norm clip (0: off)
	Seed           int64                `mapstructure:"seed"`            // weights, batch order and augmentation, default 1
	SaveEvery      int64                `mapstructure:"save_every"`      // also checkpoint every N updates mid-epoch (0: epoch ends only)
	KeepLast       int                  `mapstructure:"keep_last"`       // epoch checkpoints kept, default 0
	// GradStatsEvery logs, every N updates, the gradient norm of each
	// residual block's parameters (layerS.I, in forward order) and of all
	// parameters, as the optimizer receives them (before clipping): a
	// metrics.jsonl record {"event": "grads", "updates", "blocks",
	// "block_names", "total"}. 0 (the default) is off. It only observes,
	// so like max_epochs it is left out of the run's identity (and out of
	// config.json when 0).
	GradStatsEvery int64 `mapstructure:"grad_stats_every" json:",omitempty"`
}

// DefaultRecipe returns a recipe with every default filled in, the model
// from preset ("" means resnet20). The training defaults are He et al.'s
// CIFAR schedule: SGD 0.9, weight decay 1e-4, batch 128, lr 0.1 divided
// by 10 at 32k and 48k updates. A recipe must say when to stop.
func DefaultRecipe(preset string) (Recipe, error) {
	if preset == "" {
		preset = "resnet20"
	}
	cfg, ok := Presets[preset]
	if !ok {
		return Recipe{}, fmt.Errorf("[model] preset = %q: want one of %s", preset, strings.Join(PresetNames(), ", "))
	}
	return Recipe{
		RunConfig: train.RunConfig{Task: "classification", Device: "auto"},
		Residual:  cfg.Residual,
		Data:      DataConfig{PadCrop: 4, Flip: true, Normalize: true},
		Model:     ModelRecipe{Preset: preset, Config: cloneConfig(cfg)},
		Train: TrainConfig{
			BatchSize: 128, EvalBatchSize: 500, Optimizer: "sgd", Seed: 1,
			SGD:  train.SGDConfig{Momentum: 0.9, WeightDecay: 1e-4},
			Adam: train.DefaultAdam(),
			Schedule: train.ScheduleConfig{Name: "multistep", LR: 0.1, Gamma: 0.1,
				Milestones: []int64{32000, 48000}},
		},
	}, nil
}

func cloneConfig(c Config) Config {
	c.ResidualParams = maps.Clone(c.ResidualParams)
	return c
}

// Validate checks every section.
func (r Recipe) Validate() error {
	if _, err := layers.Variants.Build(r.Residual, r.ResidualParams); err != nil {
		return fmt.Errorf("residual: %w", err)
	}
	if err := r.Data.Validate(); err != nil {
		return fmt.Errorf("[data] %w", err)
	}
	if err := r.Train.Validate(); err != nil {
		return fmt.Errorf("[train] %w", err)
	}
	_, err := r.ModelConfig(1, 10)
	return err
}

// ModelConfig is the model's Config for images of inChannels channels
// and the given number of classes.
func (r Recipe) ModelConfig(inChannels, classes int64) (Config, error) {
	c := cloneConfig(r.Model.Config)
	c.InChannels, c.Classes = inChannels, classes
	c.Residual, c.ResidualParams = r.Residual, maps.Clone(r.ResidualParams)
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("[model] %w", err)
	}
	return c, nil
}

// datasetSides is the image side of each catalogue data set.
var datasetSides = map[string]int{"fmnist": 28, "cifar10": 32, "cifar100": 32, "cifar10-jpg": 32}

// CheckPadCrop refuses a pad_crop of the image side or more, for images
// of h×w pixels: the random crop could then hold no pixel of the image.
func (d DataConfig) CheckPadCrop(h, w int) error {
	if side := min(h, w); d.PadCrop >= side {
		return fmt.Errorf("pad_crop = %d: want less than the image side, %d pixels (4 is usual for 32×32)", d.PadCrop, side)
	}
	return nil
}

// Validate checks [data].
func (d DataConfig) Validate() error {
	if side, ok := datasetSides[d.Dataset]; ok {
		if err := d.CheckPadCrop(side, side); err != nil {
			return err
		}
	}
	switch {
	case d.Dataset == "" && d.Format == "":
		return fmt.Errorf("set dataset (fmnist, cifar10, cifar100, cifar10-jpg) or format and dir")
	case d.Dataset == "" && d.Dir == "":
		return fmt.Errorf("format = %q needs dir, the folder holding its files", d.Format)
	case d.PadCrop < 0:
		return fmt.Errorf("pad_crop = %d: want >= 0", d.PadCrop)
	case d.Workers < 0:
		return fmt.Errorf("workers = %d: want >= 0 (0: one per core)", d.Workers)
	case d.LimitTrain < 0 || d.LimitTest < 0:
		return fmt.Errorf("limit_train = %d, limit_test = %d: want >= 0 (0: all)", d.LimitTrain, d.LimitTest)
	}
	return nil
}

// Images is the images.Config that loads the data.
func (d DataConfig) Images() images.Config {
	return images.Config{Dataset: d.Dataset, Format: d.Format, Dir: d.Dir, Label: d.Label}
}

// Validate checks [train].
func (c TrainConfig) Validate() error {
	if err := train.CheckLimits(c.Limits()); err != nil {
		return err
	}
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("batch_size = %d: want >= 1", c.BatchSize)
	case c.EvalBatchSize < 1:
		return fmt.Errorf("eval_batch_size = %d: want >= 1", c.EvalBatchSize)
	case !slices.Contains(Optimizers, c.Optimizer):
		return fmt.Errorf("optimizer = %q: want one of %s", c.Optimizer, strings.Join(Optimizers, ", "))
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1):
		return fmt.Errorf("label_smoothing = %g: want in [0, 1)", c.LabelSmoothing)
	case !train.Finite(c.ClipNorm) || c.ClipNorm < 0:
		return fmt.Errorf("clip_norm = %g: want a finite value >= 0 (0: off)", c.ClipNorm)
	case c.SaveEvery < 0 || c.KeepLast < 0:
		return fmt.Errorf("save_every = %d, keep_last = %d: want >= 0", c.SaveEvery, c.KeepLast)
	case c.GradStatsEvery < 0:
		return fmt.Errorf("grad_stats_every = %d: want >= 0 (0 = off)", c.GradStatsEvery)
	}
	if err := c.SGD.Validate(); err != nil {
		return err
	}
	if err := c.Adam.Validate(); err != nil {
		return err
	}
	if _, err := c.Schedule.InUpdates(1).Build(); err != nil {
		return err
	}
	return nil
}

// Limits are the run's stopping conditions.
func (c TrainConfig) Limits() train.Limits {
	return train.Limits{MaxEpochs: c.MaxEpochs, MaxUpdates: c.MaxUpdates, MaxMinutes: c.MaxMinutes}
}
