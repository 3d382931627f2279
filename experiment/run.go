package experiment

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
	Group          string // rows of a table: outcomes of one group are aggregated over their seeds
	Data           string // what the run trained on, e.g. "multi30k de→en" (plot titles); empty when unknown
	Translation    *nmt.Result
	Classification *vision.Result
}

// Recipe is a loaded and validated recipe of any task: exactly one of
// Translation and Classification is set.
type Recipe struct {
	Path           string
	Group          string // runs that differ only in their seed share it (a sweep's label less the seed; else the name)
	SweepDir       string // a sweep's combination: the sweep folder, parent of the combinations' run folders; else empty
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

// RunRecipe loads the recipe at path (a sweep: every combination),
// applies the overrides, validates it and runs it.
func RunRecipe(ctx context.Context, path string, opts Options) ([]Outcome, error) {
	rs, err := LoadRecipes(path, opts)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for _, r := range rs {
		o, err := r.Execute(ctx, opts)
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}

// LoadRecipe loads, completes and validates a recipe that declares no
// sweep, without running it.
func LoadRecipe(path string, opts Options) (Recipe, error) {
	rs, err := LoadRecipes(path, opts)
	if err != nil {
		return Recipe{}, err
	}
	if len(rs) != 1 {
		return Recipe{}, fmt.Errorf("recipe %s declares a sweep of %d runs; load it with LoadRecipes", path, len(rs))
	}
	return rs[0], nil
}

// LoadRecipes loads, completes and validates a recipe, or every
// combination of the sweep it declares, without running them, so that
// every run of a command is checked before the first one trains for
// hours.
func LoadRecipes(path string, opts Options) ([]Recipe, error) {
	v, err := Load(path, opts.Overrides)
	if err != nil {
		return nil, err
	}
	combos, err := expandSweep(v, path)
	if err != nil || combos == nil {
		if err != nil {
			return nil, err
		}
		r, err := loadOne(v, path, opts, combination{})
		return []Recipe{r}, err
	}
	if err := checkSweepOverrides(combos, opts.Overrides, path); err != nil {
		return nil, err
	}
	sweepName := sweepNameOf(v, path)
	var out []Recipe
	for _, c := range combos {
		cv, err := Load(path, append(slices.Clone(opts.Overrides), c.overrides...))
		if err != nil {
			return nil, err
		}
		if cv.GetString("run_dir") == "" {
			cv.Set("run_dir", sweepRunDir(opts.RunRoot, sweepName, c.label))
		}
		cv.Set("name", c.label)
		r, err := loadOne(cv, path, opts, c)
		if err != nil {
			return nil, fmt.Errorf("%w (sweep combination %s)", err, c.label)
		}
		r.SweepDir = filepath.Dir(r.Run().RunDir)
		out = append(out, r)
	}
	return out, nil
}

// sweepNameOf is the sweep folder's name: the recipe's name, else its file's.
func sweepNameOf(v *viper.Viper, path string) string {
	if n := v.GetString("name"); n != "" {
		return n
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// checkSweepOverrides refuses a --set of a key the sweep varies: one of
// the two would silently lose.
func checkSweepOverrides(combos []combination, sets []string, path string) error {
	for _, s := range sets {
		key, _, _ := ParseOverride(s)
		for _, o := range combos[0].overrides {
			if k, _, _ := ParseOverride(o); k == key {
				return fmt.Errorf("recipe %s: --set %s: the sweep varies %s; change the sweep instead", path, s, key)
			}
		}
	}
	return nil
}

// loadOne decodes one run's recipe from v; c is its sweep combination
// (zero outside a sweep).
func loadOne(v *viper.Viper, path string, opts Options, c combination) (Recipe, error) {
	r, err := decodeTask(v, path, opts)
	if err != nil {
		return r, err
	}
	if r.Text, err = os.ReadFile(path); err != nil {
		return r, fmt.Errorf("recipe %s: %w", path, err)
	}
	r.Group = c.group
	if c.label == "" {
		r.Group = r.Run().Name
	}
	return r, nil
}

func decodeTask(v *viper.Viper, path string, opts Options) (Recipe, error) {
	r := Recipe{Path: path}
	if t := v.Get("task"); t != nil {
		if _, ok := t.(string); !ok {
			return r, fmt.Errorf("recipe %s: key task: want a string, one of %s; got %s", path, strings.Join(Tasks, ", "), describeValue(t))
		}
	}
	switch task := v.GetString("task"); task {
	case "translation":
		t, err := decodeTranslation(v, path, opts)
		r.Translation = &t
		return r, err
	case "classification":
		cl, err := decodeClassification(v, path, opts)
		r.Classification = &cl
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
	// One folder, one spelling: runs/x, ./runs/x/ and /abs/runs/x are the
	// same run, to the duplicate check of zoo run and in config.json.
	dir, err := filepath.Abs(rc.RunDir)
	if err != nil {
		return fmt.Errorf("recipe %s: run_dir %q: %w", path, rc.RunDir, err)
	}
	rc.RunDir = dir
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
	o := Outcome{Recipe: r.Path, Group: r.Group}
	var err error
	if r.Translation != nil {
		d := r.Translation.Data
		o.Data = translationData(d.Train, d.Source, d.Target)
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
