package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/viper"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// Tasks lists the recipe tasks zoo can run.
var Tasks = []string{"translation", "classification"}

// Env is what a run records about where it ran (env.json).
type Env struct {
	Zoo     string     `json:"zoo"`
	Commit  string     `json:"commit,omitempty"`
	Go      string     `json:"go"`
	Command []string   `json:"command"`
	Runtime torch.Info `json:"runtime"`
}

// Options configure RunRecipe.
type Options struct {
	Overrides []string  // --set key=value
	RunRoot   string    // default parent of run folders ("runs" when empty)
	Out       io.Writer // progress and summaries
	Env       Env
}

// Outcome is one recipe's result in a comparison table: one of the
// task results is set.
type Outcome struct {
	Recipe         string
	Translation    *nmt.Result
	Classification *vision.Result
}

// Recipe is a loaded and validated recipe of any task: exactly one of
// Translation and Classification is set.
type Recipe struct {
	Path           string
	Text           []byte // the file as written, copied into the run folder
	Translation    *nmt.Recipe
	Classification *vision.Recipe
}

// Run returns the recipe's run settings (name, run folder, threads).
func (r Recipe) Run() train.RunConfig {
	if r.Translation != nil {
		return r.Translation.RunConfig
	}
	return r.Classification.RunConfig
}

// RunRecipe loads the recipe at path, applies the overrides, validates
// it and runs it.
func RunRecipe(ctx context.Context, path string, opts Options) (Outcome, error) {
	r, err := LoadRecipe(path, opts)
	if err != nil {
		return Outcome{}, err
	}
	return r.Execute(ctx, opts)
}

// LoadRecipe loads, completes and validates a recipe without running
// it, so that every recipe of a command can be checked before the first
// one trains for hours.
func LoadRecipe(path string, opts Options) (Recipe, error) {
	r := Recipe{Path: path}
	v, err := Load(path, opts.Overrides)
	if err != nil {
		return r, err
	}
	if r.Text, err = os.ReadFile(path); err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	switch task := v.GetString("task"); task {
	case "translation":
		t, err := decodeTranslation(v, path, opts)
		r.Translation = &t
		return r, err
	case "classification":
		c, err := decodeClassification(v, path, opts)
		r.Classification = &c
		return r, err
	case "":
		return r, fmt.Errorf("recipe %s: no task key; want task = one of %s", path, strings.Join(Tasks, ", "))
	default:
		return r, fmt.Errorf("recipe %s: task = %q; want one of %s", path, task, strings.Join(Tasks, ", "))
	}
}

func decodeTranslation(v *viper.Viper, path string, opts Options) (nmt.Recipe, error) {
	r, err := nmt.DefaultRecipe(v.GetString("model.preset"))
	if err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	if err := decodeCommon(v, path, opts, &r, &r.RunConfig); err != nil {
		return r, err
	}
	expandPaths(&r.Data.Train, &r.Data.Valid, &r.Data.Test, &r.Data.CacheDir)
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	return r, nil
}

func decodeClassification(v *viper.Viper, path string, opts Options) (vision.Recipe, error) {
	r, err := vision.DefaultRecipe(v.GetString("model.preset"))
	if err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	if err := decodeCommon(v, path, opts, &r, &r.RunConfig); err != nil {
		return r, err
	}
	expandPaths(&r.Data.Dir)
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	return r, nil
}

// decodeCommon fills out (holding its task's defaults) from v and
// checks and completes the keys every task shares.
func decodeCommon(v *viper.Viper, path string, opts Options, out any, rc *train.RunConfig) error {
	if err := Decode(v, path, out); err != nil {
		return err
	}
	if strings.ContainsAny(rc.Name, `/\`) || rc.Name == ".." {
		return fmt.Errorf("recipe %s: name = %q: a run name may not contain path separators (set run_dir for the folder)", path, rc.Name)
	}
	fillRunDefaults(&rc.Name, &rc.RunDir, path, opts.RunRoot)
	expandPaths(&rc.RunDir)
	if rc.Threads < 0 {
		return fmt.Errorf("recipe %s: threads = %d: want 0 (keep the command line's) or a positive count", path, rc.Threads)
	}
	return nil
}

// Execute runs a loaded recipe.
func (r Recipe) Execute(ctx context.Context, opts Options) (Outcome, error) {
	if t := r.Run().Threads; t != 0 { // 0 keeps what the command line set
		if _, err := (torch.Threads{IntraOp: t}).Apply(); err != nil {
			return Outcome{}, fmt.Errorf("recipe %s: %w", r.Path, err)
		}
	}
	opts.Env.Runtime = torch.Describe()
	o := Outcome{Recipe: r.Path}
	var err error
	if r.Translation != nil {
		var res nmt.Result
		res, err = nmt.Run(ctx, *r.Translation, nmt.RunOptions{Out: opts.Out, RecipeText: r.Text, Env: opts.Env})
		o.Translation = &res
	} else {
		var res vision.Result
		res, err = vision.Run(ctx, *r.Classification, vision.RunOptions{Out: opts.Out, RecipeText: r.Text, Env: opts.Env})
		o.Classification = &res
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("recipe %s: %w", r.Path, err)
	}
	return o, nil
}

// fillRunDefaults names the run after the recipe file and puts it under
// root (default runs/) unless the recipe says otherwise.
func fillRunDefaults(name, runDir *string, path, root string) {
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if root == "" {
		root = "runs"
	}
	if *runDir == "" {
		*runDir = filepath.Join(root, *name)
	}
}

// expandPaths substitutes environment variables ($VAR, ${VAR}) in paths.
func expandPaths(paths ...*string) {
	for _, p := range paths {
		*p = os.ExpandEnv(*p)
	}
}
