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
)

// Tasks lists the recipe tasks zoo can run.
var Tasks = []string{"translation"}

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

// Outcome is one recipe's result in a comparison table.
type Outcome struct {
	Recipe      string
	Translation *nmt.Result
}

// RunRecipe loads the recipe at path, applies the overrides, validates
// it and runs it.
func RunRecipe(ctx context.Context, path string, opts Options) (Outcome, error) {
	r, text, err := LoadTranslation(path, opts)
	if err != nil {
		return Outcome{}, err
	}
	return runTranslation(ctx, r, path, text, opts)
}

// LoadTranslation loads, completes and validates a translation recipe
// without running it, so that every recipe of a command can be checked
// before the first one trains for hours.
func LoadTranslation(path string, opts Options) (nmt.Recipe, []byte, error) {
	var r nmt.Recipe
	v, err := Load(path, opts.Overrides)
	if err != nil {
		return r, nil, err
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return r, nil, fmt.Errorf("recipe %s: %w", path, err)
	}
	switch task := v.GetString("task"); task {
	case "translation":
	case "":
		return r, nil, fmt.Errorf("recipe %s: no task key; want task = one of %s", path, strings.Join(Tasks, ", "))
	default:
		return r, nil, fmt.Errorf("recipe %s: task = %q; want one of %s", path, task, strings.Join(Tasks, ", "))
	}
	if r, err = decodeTranslation(v, path, opts); err != nil {
		return r, nil, err
	}
	return r, text, nil
}

func decodeTranslation(v *viper.Viper, path string, opts Options) (nmt.Recipe, error) {
	r, err := nmt.DefaultRecipe(v.GetString("model.preset"))
	if err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	if err := Decode(v, path, &r); err != nil {
		return r, err
	}
	if strings.ContainsAny(r.Name, `/\`) || r.Name == ".." {
		return r, fmt.Errorf("recipe %s: name = %q: a run name may not contain path separators (set run_dir for the folder)", path, r.Name)
	}
	fillRunDefaults(&r.RunConfig.Name, &r.RunConfig.RunDir, path, opts.RunRoot)
	expandPaths(&r.Data.Train, &r.Data.Valid, &r.Data.Test, &r.RunConfig.RunDir, &r.Data.CacheDir)
	if r.Threads < 0 {
		return r, fmt.Errorf("recipe %s: threads = %d: want 0 (keep the command line's) or a positive count", path, r.Threads)
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	return r, nil
}

func runTranslation(ctx context.Context, r nmt.Recipe, path string, text []byte, opts Options) (Outcome, error) {
	if r.Threads != 0 { // 0 keeps what the command line set
		if _, err := (torch.Threads{IntraOp: r.Threads}).Apply(); err != nil {
			return Outcome{}, fmt.Errorf("recipe %s: %w", path, err)
		}
	}
	opts.Env.Runtime = torch.Describe()
	res, err := nmt.Run(ctx, r, nmt.RunOptions{Out: opts.Out, RecipeText: text, Env: opts.Env})
	if err != nil {
		return Outcome{}, fmt.Errorf("recipe %s: %w", path, err)
	}
	return Outcome{Recipe: path, Translation: &res}, nil
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
