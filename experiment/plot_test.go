package experiment

import (
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/vision"
)

// nmtCurve is a falling translation curve of n epochs; shift moves it.
func nmtCurve(n int, shift float64) []nmt.EpochStats {
	var c []nmt.EpochStats
	for e := 1; e <= n; e++ {
		l := 3 + 4*math.Exp(-float64(e)/3) + shift
		c = append(c, nmt.EpochStats{Epoch: e, Updates: int64(100 * e), TrainLoss: l + 0.3, ValidLoss: l, ValidPPL: math.Exp(l - 0.5)})
	}
	return c
}

func visionCurve(n int, shift float64) []vision.EpochStats {
	var c []vision.EpochStats
	for e := 1; e <= n; e++ {
		a := 90 - 40*math.Exp(-float64(e)/4) + shift
		c = append(c, vision.EpochStats{Epoch: e, Updates: int64(391 * e), TrainLoss: 2 * math.Exp(-float64(e)/5), TrainTop1: a + 5,
			TestLoss: 2.2 * math.Exp(-float64(e)/6), TestTop1: a})
	}
	return c
}

func translationOutcome(group string, residual string, curve []nmt.EpochStats) Outcome {
	return Outcome{Recipe: "runs/" + group, Group: group, Data: "multi30k de→en",
		Translation: &nmt.Result{Name: group, Residual: residual, Curve: curve}}
}

func classificationOutcome(group, residual string, params map[string]any, curve []vision.EpochStats) Outcome {
	return Outcome{Recipe: "runs/" + group, Group: group,
		Classification: &vision.Result{Name: group, Dataset: "CIFAR-10", Residual: residual, Params: params, Curve: curve}}
}

// checkPNGs decodes every file and checks it is a 6 x 4 inch figure at
// 150 dpi.
func checkPNGs(t *testing.T, paths []string) {
	t.Helper()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: not a PNG: %v", p, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 600 {
			t.Errorf("%s: %dx%d pixels, want 900x600", p, b.Dx(), b.Dy())
		}
		if st.Size() == 0 || st.Size() > 150_000 {
			t.Errorf("%s: %d bytes", p, st.Size())
		}
	}
}

func names(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func TestPlotCurves(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	broken := nmtCurve(6, 0.2)
	broken[2].ValidLoss, broken[3].TrainLoss, broken[4].ValidPPL, broken[5].ValidPPL = nan, inf, inf, 0
	cases := []struct {
		name     string
		outcomes []Outcome
		want     []string
	}{
		{"translation: two groups, one of two seeds", []Outcome{
			translationOutcome("post-ln", "post-ln", nmtCurve(8, 0)),
			translationOutcome("rsln", "rskip-ln", nmtCurve(8, -0.2)),
			translationOutcome("rsln", "rskip-ln", nmtCurve(7, -0.1)),
		}, []string{"curves-loss.png", "curves-valid-ppl.png"}},
		{"classification: two groups, one of two seeds", []Outcome{
			classificationOutcome("plain", "plain", nil, visionCurve(30, 0)),
			classificationOutcome("scaled-2", "scaled", map[string]any{"lambda": 2.0}, visionCurve(30, 1)),
			classificationOutcome("scaled-2", "scaled", map[string]any{"lambda": 2.0}, visionCurve(30, -1)),
		}, []string{"curves-loss.png", "curves-top1.png"}},
		{"a group of a single epoch", []Outcome{
			translationOutcome("one", "post-ln", nmtCurve(1, 0)),
			translationOutcome("many", "pre-ln", nmtCurve(5, 0)),
		}, []string{"curves-loss.png", "curves-valid-ppl.png"}},
		{"only one epoch in all", []Outcome{
			classificationOutcome("one", "plain", nil, visionCurve(1, 0)),
		}, []string{"curves-loss.png", "curves-top1.png"}},
		{"NaN, Inf and a zero on the log scale", []Outcome{
			translationOutcome("broken", "post-ln", broken),
			translationOutcome("fine", "pre-ln", nmtCurve(6, 0)),
		}, []string{"curves-loss.png", "curves-valid-ppl.png"}},
		{"two tasks: one set of figures each", []Outcome{
			translationOutcome("post-ln", "post-ln", nmtCurve(4, 0)),
			classificationOutcome("plain", "plain", nil, visionCurve(4, 0)),
		}, []string{"curves-multi30k-de-en-loss.png", "curves-multi30k-de-en-valid-ppl.png", "curves-cifar-10-loss.png", "curves-cifar-10-top1.png"}},
		{"many groups: the legend goes under the plot", func() []Outcome {
			var many []Outcome
			for i, g := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
				many = append(many, classificationOutcome("variant-"+g, "scaled", map[string]any{"lambda": float64(i)}, visionCurve(12, float64(i))))
			}
			return many
		}(), []string{"curves-loss.png", "curves-top1.png"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new", "folder")
			paths, err := PlotCurves(c.outcomes, dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(paths); !reflect.DeepEqual(got, c.want) {
				t.Errorf("files %v, want %v", got, c.want)
			}
			for _, p := range paths {
				if filepath.Dir(p) != dir {
					t.Errorf("%s is not in %s", p, dir)
				}
			}
			checkPNGs(t, paths)
		})
	}
}

func TestPlotCurvesEmpty(t *testing.T) {
	dir := t.TempDir()
	empty := translationOutcome("empty", "post-ln", nil)
	allNaN := translationOutcome("nan", "post-ln", []nmt.EpochStats{{Epoch: 1, TrainLoss: math.NaN(), ValidLoss: math.NaN(), ValidNLL: math.NaN(), ValidPPL: math.NaN(), TokensPerS: math.NaN(), Seconds: math.NaN()}})
	if _, err := PlotCurves(nil, dir); err == nil || !strings.Contains(err.Error(), "no runs") {
		t.Errorf("no outcomes: error %v", err)
	}
	paths, err := PlotCurves([]Outcome{empty, allNaN}, dir)
	if err == nil || !strings.Contains(err.Error(), "no learning curve") || !strings.Contains(err.Error(), "runs/empty") || len(paths) != 0 {
		t.Errorf("only empty curves: paths %v, error %v", paths, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written for empty curves: %v", entries)
	}
	paths, err = PlotCurves([]Outcome{empty, translationOutcome("ok", "pre-ln", nmtCurve(3, 0))}, dir)
	var skipped *SkippedRunsError
	if !errors.As(err, &skipped) || !reflect.DeepEqual(skipped.Runs, []string{"runs/empty"}) || len(paths) != 2 {
		t.Errorf("one empty curve: paths %v, error %v", paths, err)
	}
	checkPNGs(t, paths)
}

func TestPlotCurvesUnwritableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := PlotCurves([]Outcome{translationOutcome("a", "post-ln", nmtCurve(3, 0))}, filepath.Join(file, "plots"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(file, "plots")) {
		t.Errorf("error %v, want one naming the folder", err)
	}
}

// An epoch stopped in (max_updates) and finished after an extension has
// two records: one point, the evaluation of the last and the training
// loss of both weighted by their updates.
func TestMergeSplitEpochs(t *testing.T) {
	o := translationOutcome("x", "post-ln", []nmt.EpochStats{
		{Epoch: 1, Updates: 10, TrainLoss: 6, ValidLoss: 5, ValidPPL: 100},
		{Epoch: 2, Updates: 13, TrainLoss: 4, ValidLoss: 4.5, ValidPPL: 80},
		{Epoch: 2, Updates: 20, TrainLoss: 2, ValidLoss: 4, ValidPPL: 50},
		{Epoch: 3, Updates: 30, TrainLoss: 1, ValidLoss: 3.5, ValidPPL: 30},
	})
	got := curveOf(o)
	if len(got) != 3 {
		t.Fatalf("%d points, want 3: %+v", len(got), got)
	}
	p := got[1]
	if p.epoch != 2 || p.updates != 20 || p.values["valid_loss"] != 4 || p.values["valid_ppl"] != 50 || math.Abs(p.values["train_loss"]-(3*4+7*2)/10.0) > 1e-12 {
		t.Errorf("merged epoch 2: %+v", p)
	}
}

func TestAggregateOverSeeds(t *testing.T) {
	g := &curveGroup{runs: [][]epochPoint{
		{{epoch: 1, values: map[string]float64{"m": 1}}, {epoch: 2, values: map[string]float64{"m": 4}}},
		{{epoch: 1, values: map[string]float64{"m": 3}}, {epoch: 2, values: map[string]float64{"m": math.NaN()}}, {epoch: 3, values: map[string]float64{"m": -1}}},
	}}
	want := []stat{{x: 1, mean: 2, lo: 1, hi: 3, n: 2}, {x: 2, mean: 4, lo: 4, hi: 4, n: 1}, {x: 3, mean: -1, lo: -1, hi: -1, n: 1}}
	if got := g.aggregate("m", false); !reflect.DeepEqual(got, want) {
		t.Errorf("linear: %+v, want %+v", got, want)
	}
	if got := g.aggregate("m", true); len(got) != 2 { // -1 has no logarithm
		t.Errorf("log: %+v", got)
	}
}

func TestTicks(t *testing.T) {
	labels := func(ticks []plot.Tick) []string {
		var out []string
		for _, t := range ticks {
			if t.Label != "" {
				out = append(out, t.Label)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		ticks  []plot.Tick
		labels string
	}{
		{"epochs 1..4", epochTicks{}.Ticks(1, 4), "1 2 3 4"},
		{"epochs 1..15", epochTicks{}.Ticks(1, 15), "2 4 6 8 10 12 14"},
		{"epochs 1..60", epochTicks{}.Ticks(1, 60), "10 20 30 40 50 60"},
		{"epochs 1..200", epochTicks{}.Ticks(1, 200), "50 100 150 200"},
		{"linear 2.6..7.2", linearTicks{}.Ticks(2.6, 7.2), "3 4 5 6 7"},
		{"linear 0.12..0.5", linearTicks{}.Ticks(0.12, 0.5), "0.2 0.3 0.4 0.5"},
		{"log 5.9..177", log10Ticks{}.Ticks(math.Log10(5.9), math.Log10(177)), "10 20 50 100"},
		{"log 5.9..9 (short: linear)", log10Ticks{}.Ticks(math.Log10(5.9), math.Log10(9)), "6 7 8 9"},
	}
	for _, c := range cases {
		if got := strings.Join(labels(c.ticks), " "); got != c.labels {
			t.Errorf("%s: labels %q, want %q", c.name, got, c.labels)
		}
	}
}

func TestTranslationData(t *testing.T) {
	cases := []struct{ train, src, tgt, want string }{
		{"multi30k:train", "de", "en", "multi30k de→en"},
		{"/data/iwslt14.tokenized.de-en/train", "de", "en", "iwslt14.tokenized.de-en de→en"},
		{"train", "en", "de", "train en→de"},
		{"wmt14:train", "", "", "wmt14"},
	}
	for _, c := range cases {
		if got := translationData(c.train, c.src, c.tgt); got != c.want {
			t.Errorf("translationData(%q, %q, %q) = %q, want %q", c.train, c.src, c.tgt, got, c.want)
		}
	}
}

// TestLossAxisTurnsLogForAnExplodedRun: a finite loss of 1e13 in one run
// puts the loss figure on a log axis; ordinary curves stay linear.
func TestLossAxisTurnsLogForAnExplodedRun(t *testing.T) {
	exploded := visionCurve(3, 0)
	exploded[2].TrainLoss, exploded[2].TestLoss = 1e13, 2e13
	cases := []struct {
		name     string
		outcomes []Outcome
		log      bool
	}{
		{"ordinary", []Outcome{classificationOutcome("plain", "plain", nil, visionCurve(3, 0))}, false},
		{"one exploded", []Outcome{classificationOutcome("plain", "plain", nil, visionCurve(3, 0)),
			classificationOutcome("scaled", "scaled", nil, exploded)}, true},
	}
	for _, c := range cases {
		sets, _ := curveSets(c.outcomes)
		p, _, ok, err := sets[0].plot(figuresOf("classification")[0])
		if err != nil || !ok {
			t.Fatalf("%s: ok %v, error %v", c.name, ok, err)
		}
		if got := strings.HasSuffix(p.Y.Label.Text, "(log scale)"); got != c.log {
			t.Errorf("%s: y label %q, want log scale %v", c.name, p.Y.Label.Text, c.log)
		}
	}
}
