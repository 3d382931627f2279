package experiment

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/internal/sharedtest"
	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/train"
)

// TestShippedRecipesDecode loads every recipe in recipes/ strictly and
// validates it, so a misspelled key or bad value in a shipped recipe
// fails here rather than an hour into someone's run.
func TestShippedRecipesDecode(t *testing.T) {
	paths, err := filepath.Glob("../recipes/*.toml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no recipes found: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := LoadRecipes(path, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRecipeErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		sets []string
		want string
	}{
		{[]string{"residual=rskip"}, `did you mean "rskip-ln"`},
		{[]string{"residual_params.order=2.5"}, "want an integer, got 2.5"},
		{[]string{"train.max_tokenz=10"}, `unknown key "train.max_tokenz"`},
		{[]string{"model.preset=huge"}, "huge"},
		{[]string{"data.format=xml"}, `format = "xml"`},
		{[]string{"eval.checkpoint=first"}, "want best, last or average"},
		{[]string{"task=segmentation"}, `task = "segmentation"`},
		{[]string{"residual_params.order=1000000"}, "out of range: want int in [1, 64]"},
		{[]string{"train.schedule.lr=inf"}, "want a finite rate > 0"},
		{[]string{"train.schedule.warmup_lr=-1"}, "warmup_lr = -1"},
		{[]string{"eval.beam=0"}, "beam = 0"},
		{[]string{"eval.lenpen=nan"}, "lenpen = NaN"},
		{[]string{"train.keep_last=0"}, "keep_last >= 1"},
		{[]string{"name=../x"}, "path separators"},
		{[]string{"threads=-1"}, "threads = -1"},
		{[]string{"train.label_smoothing=nan"}, "label_smoothing = NaN"},
		{[]string{"train.clip_norm=nan"}, "clip_norm = NaN"},
		{[]string{"train.clip_norm=inf"}, "clip_norm = +Inf"},
		{[]string{"train.max_minutes=nan"}, "max_minutes = NaN"},
		{[]string{"train.max_minutes=inf"}, "max_minutes = +Inf"},
		{[]string{"train.adam.eps=nan"}, "adam eps = NaN"},
		{[]string{"train.adam.beta1=nan"}, "adam beta1 = NaN"},
		{[]string{"train.adam.weight_decay=nan"}, "adam weight_decay = NaN"},
		{[]string{"eval.max_len_a=inf"}, "max_len_a = +Inf"},
		{[]string{"model.dropout=nan"}, "dropout = NaN"},
		{[]string{`train.schedule.lr="fast"`}, `key train.schedule.lr: want a number, got a string ("fast")`},
		{[]string{"residual=5"}, "key residual: want a string, got a number (5)"},
		{[]string{"residual_params=3"}, "key residual_params: want a table, got a number (3)"},
		{[]string{"train.max_epochs=true"}, "key train.max_epochs: want an integer, got a boolean (true)"},
		{[]string{`task=["translation"]`}, "key task: want a string"},
	}
	if _, err := os.Stat(filepath.Join(sharedtest.Dir(), "data", "toy-deen")); err == nil {
		t.Setenv("ZOO_DATA", sharedData(t))
		cases = append(cases, struct {
			sets []string
			want string
		}{[]string{"data.max_len=1", "data.cache_dir=" + t.TempDir(), "run_dir=" + t.TempDir()}, "no sentence pairs left"})
	}
	for _, c := range cases {
		_, err := RunRecipe(context.Background(), "../recipes/toy-rsln.toml", Options{Overrides: c.sets})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "toy-rsln.toml") {
			t.Errorf("%v: error %v, want the recipe file and %q", c.sets, err, c.want)
		}
	}
}

// TestClassificationRecipeErrorsNameTheKey: the float keys of a
// classification recipe refuse NaN and ±Inf by name, and pad_crop may
// not reach the image side.
func TestClassificationRecipeErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		set, want string
	}{
		{"train.sgd.momentum=nan", "sgd momentum = NaN"},
		{"train.sgd.weight_decay=inf", "sgd weight_decay = +Inf"},
		{"train.label_smoothing=nan", "label_smoothing = NaN"},
		{"train.clip_norm=nan", "clip_norm = NaN"},
		{"train.max_minutes=nan", "max_minutes = NaN"},
		{"train.adam.eps=-inf", "adam eps = -Inf"},
		{"data.pad_crop=100", "pad_crop = 100: want less than the image side, 28 pixels"},
		{"data.pad_crop=28", "pad_crop = 28"},
	}
	for _, c := range cases {
		_, err := LoadRecipes("../recipes/fmnist-resnet20-plain.toml", Options{Overrides: []string{c.set}})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "fmnist-resnet20-plain.toml") {
			t.Errorf("%s: error %v, want the recipe file and %q", c.set, err, c.want)
		}
	}
	if _, err := LoadRecipes("../recipes/fmnist-resnet20-plain.toml", Options{Overrides: []string{"data.pad_crop=27"}}); err != nil {
		t.Errorf("pad_crop = 27 on 28×28 images: %v", err)
	}
}

func sharedData(t *testing.T) string {
	t.Helper()
	sharedtest.Path(t, "data/toy-deen")
	return sharedtest.Path(t, "data")
}

// TestToyRecipeEndToEnd runs the toy recipe for real (train, checkpoint,
// decode, score), then extends it by one epoch: the run resumes from its
// checkpoint instead of starting over, and a third call with nothing new
// to do trains nothing.
func TestToyRecipeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	t.Setenv("ZOO_DATA", sharedData(t))
	dir := t.TempDir()
	base := []string{"run_dir=" + filepath.Join(dir, "run"), "data.cache_dir=" + filepath.Join(dir, "prep"), "train.max_epochs=2"}
	var log bytes.Buffer
	o, err := runOne(t, "../recipes/toy-rsln.toml", Options{Overrides: base, Out: &log})
	if err != nil {
		t.Fatal(err)
	}
	r := o.Translation
	if r.Epochs != 2 || r.Updates == 0 || r.BLEUSignature == "" || !strings.Contains(r.BLEUSignature, "tok:13a") {
		t.Fatalf("result %+v", r)
	}
	run := train.RunDir{Path: filepath.Join(dir, "run")}
	for _, f := range []string{"test.hyp", "test.bpe", "dict.txt", "codes.bpe", train.DoneFile, train.EnvFile, train.RecipeFile, train.ConfigFile, "checkpoint_avg.pt"} {
		if !run.Exists(f) {
			t.Errorf("run folder lacks %s", f)
		}
	}
	more := append(append([]string{}, base[:2]...), "train.max_epochs=3")
	o2, err := runOne(t, "../recipes/toy-rsln.toml", Options{Overrides: more, Out: &log})
	if err != nil {
		t.Fatal(err)
	}
	if o2.Translation.Epochs != 3 || o2.Translation.Updates <= r.Updates || len(o2.Translation.Curve) != 3 {
		t.Fatalf("extended run: %+v", o2.Translation)
	}
	if !strings.Contains(log.String(), "resuming") {
		t.Errorf("the extended run did not resume:\n%s", log.String())
	}
	log.Reset()
	if _, err := RunRecipe(context.Background(), "../recipes/toy-rsln.toml", Options{Overrides: more, Out: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "finished earlier") {
		t.Errorf("a finished run trained again:\n%s", log.String())
	}
	other := append(append([]string{}, base...), "model.d_model=32")
	if _, err := RunRecipe(context.Background(), "../recipes/toy-rsln.toml", Options{Overrides: other}); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("a different model in the same run folder: %v", err)
	}
}

// writeSlice writes lines [lo, hi) of src to dst.
func writeSlice(t *testing.T, src, dst string, lo, hi int) {
	t.Helper()
	lines, err := nmt.ReadLines(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte(strings.Join(lines[lo:hi], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWMT14RecipeTrains runs the paper's WMT14 recipe (transformer base,
// 32k joint BPE, update_freq 6) for a few updates on real newstest text
// laid out as the recipe expects WMT14's training data, so the recipe
// is known to start and train on data of its format.
func TestWMT14RecipeTrains(t *testing.T) {
	if testing.Short() {
		t.Skip("trains transformer base")
	}
	wmt := filepath.Join(sharedData(t), "wmt14")
	dir := t.TempDir()
	for _, lang := range []string{"en", "de"} {
		writeSlice(t, filepath.Join(wmt, "newstest2013."+lang), filepath.Join(dir, "train."+lang), 0, 400)
		writeSlice(t, filepath.Join(wmt, "newstest2013."+lang), filepath.Join(dir, "valid."+lang), 400, 440)
		writeSlice(t, filepath.Join(wmt, "newstest2014."+lang), filepath.Join(dir, "test."+lang), 0, 8)
	}
	sets := []string{
		"run_dir=" + filepath.Join(dir, "run"), "data.cache_dir=" + filepath.Join(dir, "prep"),
		"data.train=" + filepath.Join(dir, "train"), "data.valid=" + filepath.Join(dir, "valid"), "data.test=" + filepath.Join(dir, "test"),
		"train.max_tokens=600", "train.max_updates=2", "eval.max_len_b=3", "eval.max_len_a=0",
	}
	var log bytes.Buffer
	o, err := runOne(t, "../recipes/wmt14-rsln.toml", Options{Overrides: sets, Out: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	r := o.Translation
	if r.Updates != 2 || r.NumParams < 40e6 || r.Residual != "rskip-ln" || !strings.Contains(r.BLEUSignature, "tok:13a") {
		t.Fatalf("result %+v", r)
	}
}

// runOne runs a recipe that declares no sweep.
func runOne(t *testing.T, path string, opts Options) (Outcome, error) {
	t.Helper()
	os, err := RunRecipe(context.Background(), path, opts)
	if err != nil {
		return Outcome{}, err
	}
	if len(os) != 1 {
		t.Fatalf("%s: %d outcomes, want 1", path, len(os))
	}
	return os[0], nil
}
