package experiment

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/nmt"
)

// TestRunDirIsOneSpelling: however --run-root or run_dir names a folder
// (relative, absolute, with ./ or a trailing /), the recipe's run folder
// is the same absolute, clean path, so that a finished run is found again
// and two recipes cannot share a folder unnoticed.
func TestRunDirIsOneSpelling(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	plain := strings.Split(sweepRecipe, "[sweep.grid]")[0]
	path := writeFile(t, dir, "dj.toml", plain)
	want := filepath.Join(dir, "runs", "dj", "sw")
	cases := []struct {
		name string
		opts Options
	}{
		{"relative run root", Options{RunRoot: "runs/dj"}},
		{"absolute run root", Options{RunRoot: filepath.Join(dir, "runs", "dj")}},
		{"dotted run root", Options{RunRoot: "./runs/x/../dj/"}},
		{"relative run_dir", Options{Overrides: []string{"run_dir=runs/dj/sw"}}},
		{"absolute run_dir with a trailing slash", Options{Overrides: []string{"run_dir=" + want + "/"}}},
	}
	for _, c := range cases {
		r, err := LoadRecipe(path, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := r.Run().RunDir; got != want {
			t.Errorf("%s: run folder %q, want %q", c.name, got, want)
		}
	}
}

// TestTranslationTableMarksDiverged: a diverged translation run is a row
// of its own, labelled "(diverged)", whose figures it never measured are
// "-" rather than 0 (or -1), and never marked best.
func TestTranslationTableMarksDiverged(t *testing.T) {
	ok := nmt.Result{Name: "a", Residual: "pre-ln", Epochs: 2, Updates: 20, BestValidLoss: 4, BestValidPPL: 30, TestBLEU: 1.5, TokBLEU: 2}
	early := nmt.Result{Name: "b", Residual: "scaled", Updates: 3, BestValidLoss: -1, Diverged: "gradient norm is NaN: training diverged"}
	late := nmt.Result{Name: "c", Residual: "scaled", Epochs: 1, Updates: 12, BestValidLoss: 5, BestValidPPL: 60, Diverged: "gradient norm is NaN: training diverged"}
	tables := Tables([]Outcome{{Group: "a", Translation: &ok}, {Group: "b", Translation: &early}, {Group: "c", Translation: &late}})
	if len(tables) != 1 || len(tables[0].Rows) != 3 {
		t.Fatalf("tables %+v", tables)
	}
	col := map[string]int{}
	for i, h := range tables[0].Header {
		col[h] = i
	}
	cases := []struct {
		row                         int
		label, valid, bleu, tokBLEU string
	}{
		{0, "a", "4.000 *", "1.50 *", "2.00 *"},
		{1, "b (diverged)", "-", "-", "-"},
		{2, "c (diverged)", "5.000", "-", "-"},
	}
	for _, c := range cases {
		r := tables[0].Rows[c.row]
		got := []string{r[col["run"]], r[col["valid loss"]], r[col["test BLEU"]], r[col["tok BLEU"]]}
		if want := []string{c.label, c.valid, c.bleu, c.tokBLEU}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d: %q, want %q", c.row, got, want)
		}
	}
	if v := decoded(func(o Outcome) float64 { return o.Translation.TestBLEU })(Outcome{Translation: &late}); !math.IsNaN(v) {
		t.Errorf("test BLEU of a diverged run: %v, want NaN", v)
	}
}
