package main

import (
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/experiment"
	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeTranslationRun writes a finished translation run folder as nmt.Run
// leaves it, as far as compare and plot read it: config.json and
// done.json with its curve.
func fakeTranslationRun(t *testing.T, dir, name, residual string, seed int64, epochs int) {
	t.Helper()
	cfg := map[string]any{"Task": "translation", "Name": name, "RunDir": dir, "Residual": residual,
		"Data":  map[string]any{"Source": "de", "Target": "en", "Train": "multi30k:train"},
		"Train": map[string]any{"Seed": seed, "MaxEpochs": epochs}}
	res := nmt.Result{Name: name, Residual: residual, NumParams: 1000, Epochs: epochs, Updates: int64(100 * epochs)}
	for e := 1; e <= epochs; e++ {
		l := 3 + 3*math.Exp(-float64(e)/2) + float64(seed)/20
		res.Curve = append(res.Curve, nmt.EpochStats{Epoch: e, Updates: int64(100 * e), TrainLoss: l + 0.4, ValidLoss: l, ValidNLL: l - 0.5, ValidPPL: math.Exp(l - 0.5)})
	}
	writeJSON(t, filepath.Join(dir, train.ConfigFile), cfg)
	writeJSON(t, filepath.Join(dir, train.DoneFile), res)
}

func fakeClassificationRun(t *testing.T, dir, name string, epochs int) {
	t.Helper()
	cfg := map[string]any{"Task": "classification", "Name": name, "Residual": "plain", "Data": map[string]any{"Dataset": "fmnist"}}
	res := vision.Result{Name: name, Dataset: "fashion-mnist", Residual: "plain", Epochs: epochs}
	for e := 1; e <= epochs; e++ {
		res.Curve = append(res.Curve, vision.EpochStats{Epoch: e, Updates: int64(10 * e), TrainLoss: 1 / float64(e), TestLoss: 1.2 / float64(e), TrainTop1: 90 - 10/float64(e), TestTop1: 88 - 10/float64(e)})
	}
	writeJSON(t, filepath.Join(dir, train.ConfigFile), cfg)
	writeJSON(t, filepath.Join(dir, train.DoneFile), res)
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("%s: %dx%d pixels", path, b.Dx(), b.Dy())
	}
}

func TestPlotCommand(t *testing.T) {
	root := t.TempDir()
	sweep := filepath.Join(root, "runs", "sw")
	fakeTranslationRun(t, filepath.Join(sweep, "post-ln_seed=1"), "post-ln_seed=1", "post-ln", 1, 5)
	fakeTranslationRun(t, filepath.Join(sweep, "post-ln_seed=2"), "post-ln_seed=2", "post-ln", 2, 5)
	fakeTranslationRun(t, filepath.Join(sweep, "rsln_seed=1"), "rsln_seed=1", "rskip-ln", 1, 1)
	fakeClassificationRun(t, filepath.Join(root, "runs", "fm"), "fm", 3)
	other := filepath.Join(root, "figures", "new")
	cases := []struct {
		name string
		args []string
		want []string // files, relative to root
	}{
		{"into the first folder", []string{"plot", sweep}, []string{"runs/sw/curves-loss.png", "runs/sw/curves-valid-ppl.png"}},
		{"-o, two tasks", []string{"plot", sweep, filepath.Join(root, "runs", "fm"), "-o", other}, []string{
			"figures/new/curves-multi30k-de-en-loss.png", "figures/new/curves-multi30k-de-en-valid-ppl.png",
			"figures/new/curves-fashion-mnist-loss.png", "figures/new/curves-fashion-mnist-top1.png"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runZoo(t, "", c.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var want []string
			for _, w := range c.want {
				want = append(want, filepath.Join(root, w))
				checkPNG(t, filepath.Join(root, w))
			}
			if got := strings.Fields(out); !reflect.DeepEqual(got, want) {
				t.Errorf("printed %q, want the paths %q", got, want)
			}
		})
	}
}

func TestPlotCommandErrors(t *testing.T) {
	root := t.TempDir()
	fakeTranslationRun(t, filepath.Join(root, "run"), "run", "post-ln", 1, 2)
	file := filepath.Join(root, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"no folder", []string{"plot"}, "requires at least 1 arg", true},
		{"missing folder", []string{"plot", filepath.Join(root, "nope")}, "no such file or directory", false},
		{"no finished run", []string{"plot", empty}, "no finished run (a folder holding done.json) in " + empty, false},
		{"unwritable output", []string{"plot", filepath.Join(root, "run"), "-o", filepath.Join(file, "plots")}, "output folder " + filepath.Join(file, "plots"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runZoo(t, "", c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			var u usageError
			if errors.As(err, &u) != c.usage {
				t.Errorf("usage error (exit 2): %v, want %v", errors.As(err, &u), c.usage)
			}
		})
	}
}

const plotSweepRecipe = `
task = "classification"
name = "sw"
residual = "plain"

[data]
dataset = "fmnist"

[model]
preset = "resnet20"
depth = 8
width = 4

[train]
batch_size = 16
max_updates = 2

[sweep.grid]
train.seed = [1, 2]

[[sweep.points]]
name = "plain"

[[sweep.points]]
name = "scaled-2"
residual = "scaled"
residual_params.lambda = 2
`

// finishRuns makes the run folders of recipes hold finished runs, as
// vision.Run would leave them, so that zoo run reads them instead of
// training.
func finishRuns(t *testing.T, recipe, runRoot string) {
	t.Helper()
	rs, err := experiment.LoadRecipes(recipe, experiment.Options{RunRoot: runRoot})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		c := r.Classification
		res := vision.Result{Name: c.Name, Dataset: "fashion-mnist", Residual: c.Residual, Params: c.ResidualParams, Epochs: 3}
		for e := 1; e <= 3; e++ {
			res.Curve = append(res.Curve, vision.EpochStats{Epoch: e, Updates: int64(2 * e), TrainLoss: 2 / float64(e+i), TestLoss: 2.1 / float64(e+i), TrainTop1: 50 + float64(10*e+i), TestTop1: 45 + float64(10*e+i)})
		}
		writeJSON(t, filepath.Join(c.RunDir, train.ConfigFile), c)
		writeJSON(t, filepath.Join(c.RunDir, train.DoneFile), res)
	}
}

func TestRunWritesPlots(t *testing.T) {
	plain := strings.Split(plotSweepRecipe, "[sweep.grid]")[0]
	cases := []struct {
		name    string
		recipes map[string]string
		want    []string // plot folders, relative to the run root
	}{
		{"a sweep: its folder", map[string]string{"sw.toml": plotSweepRecipe}, []string{"sw"}},
		{"two recipes: the run root", map[string]string{"a.toml": strings.Replace(plain, `name = "sw"`, `name = "a"`, 1), "b.toml": strings.Replace(plain, `name = "sw"`, `name = "b"`, 1)}, []string{"."}},
		{"one run: its folder", map[string]string{"one.toml": strings.Replace(plain, `name = "sw"`, `name = "one"`, 1)}, []string{"one"}},
		{"a sweep and a recipe: both", map[string]string{"sw.toml": plotSweepRecipe, "a.toml": strings.Replace(plain, `name = "sw"`, `name = "a"`, 1)}, []string{"sw", "."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			runRoot := filepath.Join(dir, "runs")
			args := []string{"run", "--run-root", runRoot}
			for _, f := range []string{"sw.toml", "a.toml", "b.toml", "one.toml"} { // a fixed order
				body, ok := c.recipes[f]
				if !ok {
					continue
				}
				path := filepath.Join(dir, f)
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				finishRuns(t, path, runRoot)
				args = append(args, path)
			}
			out, err := runZoo(t, "", args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(out, "finished earlier") || !strings.Contains(out, "top-1 %") {
				t.Errorf("zoo run did not read the finished runs and print the table:\n%s", out)
			}
			for _, w := range c.want {
				for _, f := range []string{"curves-loss.png", "curves-top1.png"} {
					p := filepath.Join(runRoot, w, f)
					checkPNG(t, p)
					if !strings.Contains(out, p) {
						t.Errorf("zoo run does not say it wrote %s:\n%s", p, out)
					}
				}
			}
			if n := strings.Count(out, "learning curves: "); n != len(c.want) {
				t.Errorf("%d plot messages, want %d:\n%s", n, len(c.want), out)
			}
		})
	}
}
