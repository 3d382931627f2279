package experiment

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sweepRecipe = `
task = "classification"
name = "sw"
residual = "plain"

[data]
dataset = "fmnist"
limit_train = 48
limit_test = 20

[model]
preset = "resnet20"
depth = 8
width = 4

[train]
batch_size = 16
max_updates = 2

[train.schedule]
name = "fixed"
lr = 0.05

[sweep.grid]
train.seed = [1, 2]

[[sweep.points]]
name = "plain"

[[sweep.points]]
name = "scaled-2"
residual = "scaled"
residual_params.lambda = 2
`

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSweepExpansion(t *testing.T) {
	path := writeFile(t, t.TempDir(), "sw.toml", sweepRecipe)
	rs, err := LoadRecipes(path, Options{RunRoot: "/tmp/root"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		c := r.Classification
		got = append(got, strings.Join([]string{c.Name, r.Group, c.RunDir, variantLabel(c.Residual, c.ResidualParams)}, "|"))
	}
	want := []string{
		"plain_seed=1|plain|/tmp/root/sw/plain_seed=1|plain",
		"plain_seed=2|plain|/tmp/root/sw/plain_seed=2|plain",
		"scaled-2_seed=1|scaled-2|/tmp/root/sw/scaled-2_seed=1|scaled lambda=2",
		"scaled-2_seed=2|scaled-2|/tmp/root/sw/scaled-2_seed=2|scaled lambda=2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("combinations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, r := range rs {
		if seed := r.Classification.Train.Seed; seed != int64(1+i%2) {
			t.Errorf("%s: seed %d", r.Classification.Name, seed)
		}
	}
	if _, err := LoadRecipes(path, Options{Overrides: []string{"train.seed=3"}}); err == nil || !strings.Contains(err.Error(), "the sweep varies train.seed") {
		t.Errorf("--set of a swept key: error %v", err)
	}
}

func TestSweepErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[sweep]\nseeds = [1]\n", `unknown key "sweep.seeds"; [sweep] takes: grid, points`},
		{"[sweep.grid]\ntrain.seed = 1\n", "sweep.grid.train.seed = 1: want a non-empty list"},
		{"[sweep.grid]\ntrain.seed = []\n", "want a non-empty list"},
		{"[[sweep.points]]\nname = \"a\"\n[[sweep.points]]\nname = \"a\"\n", `two sweep points are named "a"`},
		{"[[sweep.points]]\nname = \"a/b\"\n", "without path separators"},
		{"[[sweep.points]]\nname = \"x\"\nresidual = \"nope\"\n", "sweep combination x"},
	}
	base := strings.Split(sweepRecipe, "[sweep.grid]")[0]
	for _, c := range cases {
		path := writeFile(t, t.TempDir(), "bad.toml", base+c.body)
		_, err := LoadRecipes(path, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bad.toml") {
			t.Errorf("%q: error %v, want the file and %q", c.body, err, c.want)
		}
	}
}

// TestSweepRunsResumesAndAggregates runs a 2 x 2 sweep (two variants,
// two seeds) on a slice of Fashion-MNIST, then runs it again (nothing
// trains: every combination is finished), and checks the table: one row
// per variant, n = 2, and that the same recipe and seed give identical
// metrics.
func TestSweepRunsResumesAndAggregates(t *testing.T) {
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"); err != nil {
		t.Skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "sw.toml", sweepRecipe)
	root := filepath.Join(dir, "runs")
	var log bytes.Buffer
	first, err := RunRecipe(context.Background(), path, Options{RunRoot: root, Out: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	log.Reset()
	again, err := RunRecipe(context.Background(), path, Options{RunRoot: root, Out: &log})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "finished earlier"); n != 4 {
		t.Errorf("second run: %d combinations skipped, want 4:\n%s", n, log.String())
	}
	if !reflect.DeepEqual(first[0].Classification.Curve[0].TestLoss, again[0].Classification.Curve[0].TestLoss) {
		t.Errorf("the skipped run reports other figures")
	}
	// the same recipe and seed in another folder: identical metrics
	rep, err := RunRecipe(context.Background(), path, Options{RunRoot: filepath.Join(dir, "again")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		a, b := first[i].Classification.Curve, rep[i].Classification.Curve
		if len(a) != len(b) || a[0].TestLoss != b[0].TestLoss || a[0].TrainLoss != b[0].TrainLoss || a[0].TestTop1 != b[0].TestTop1 {
			t.Errorf("%s: a second run of the same recipe and seed differs: %+v vs %+v", first[i].Classification.Name, a, b)
		}
	}
	if first[0].Classification.TestLoss == first[1].Classification.TestLoss {
		t.Errorf("seeds 1 and 2 gave the same test loss: the seed is not applied")
	}
	tables := Tables(first)
	if len(tables) != 1 || len(tables[0].Rows) != 2 {
		t.Fatalf("tables %+v", tables)
	}
	for _, r := range tables[0].Rows {
		if r[5] != "2" || !strings.Contains(r[8], " ± ") {
			t.Errorf("row %v: want n = 2 and mean ± std cells", r)
		}
	}
	read, err := ReadOutcomes(io.Discard, filepath.Join(root, "sw"))
	if err != nil {
		t.Fatal(err)
	}
	if ct := Tables(read); len(ct) != 1 || !reflect.DeepEqual(ct[0].Rows, tables[0].Rows) {
		t.Errorf("compare's table differs from run's:\n%v\n%v", ct, tables)
	}

	// A damaged run folder is skipped with a warning that names it.
	done, _ := filepath.Glob(filepath.Join(root, "sw", "*", "done.json"))
	if len(done) < 2 {
		t.Fatalf("finished runs %v, want several", done)
	}
	if err := os.WriteFile(done[1], []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn strings.Builder
	read, err = ReadOutcomes(&warn, filepath.Join(root, "sw"))
	if err != nil || len(read) != len(done)-1 || !strings.Contains(warn.String(), filepath.Dir(done[1])) {
		t.Errorf("with one damaged run: %d outcomes, error %v, warning %q", len(read), err, warn.String())
	}
	for _, d := range done {
		if err := os.WriteFile(d, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ReadOutcomes(io.Discard, filepath.Join(root, "sw")); err == nil {
		t.Error("no readable run: no error")
	}
}
