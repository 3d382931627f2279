package experiment

import (
	"fmt"
	"math"
	"strings"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/report"
)

// column is one figure of a comparison table.
type column struct {
	name   string
	format string // for one value; mean ± std uses it for both
	better int    // +1: higher is better, -1: lower is better, 0: not a score
	value  func(Outcome) float64
	show   func(float64) string // when set, writes a value instead of format
}

// cell writes one value of the column.
func (c column) cell(v float64) string {
	if c.show != nil {
		return c.show(v)
	}
	return fmt.Sprintf(c.format, v)
}

// taskColumns are a task's label columns (they identify a row) and
// figure columns.
type taskColumns struct {
	has     func(Outcome) bool
	labels  func(Outcome) []string
	headers []string
	figures []column
}

var translationColumns = taskColumns{
	has:     func(o Outcome) bool { return o.Translation != nil },
	headers: []string{"run", "residual", "params"},
	labels: func(o Outcome) []string {
		r := o.Translation
		group := o.Group
		if r.Diverged != "" {
			group += " (diverged)"
		}
		return []string{group, variantLabel(r.Residual, r.Params), fmt.Sprintf("%.2fM", float64(r.NumParams)/1e6)}
	},
	figures: []column{
		{"epochs", "%.0f", 0, func(o Outcome) float64 { return float64(o.Translation.Epochs) }, nil},
		{"updates", "%.0f", 0, func(o Outcome) float64 { return float64(o.Translation.Updates) }, nil},
		{"valid loss", "%.3f", -1, validated(func(o Outcome) float64 { return o.Translation.BestValidLoss }), nil},
		{"valid ppl", "", -1, validated(func(o Outcome) float64 { return o.Translation.BestValidPPL }), nmt.FormatPPL},
		{"test BLEU", "%.2f", +1, decoded(func(o Outcome) float64 { return o.Translation.TestBLEU }), nil},
		{"tok BLEU", "%.2f", +1, decoded(func(o Outcome) float64 { return o.Translation.TokBLEU }), nil},
		{"train min", "%.1f", 0, func(o Outcome) float64 { return o.Translation.TrainSeconds / 60 }, nil},
		{"tok/s", "%.0f", 0, func(o Outcome) float64 { return o.Translation.TokensPerSec }, nil},
	},
}

// classificationColumns report the last epoch's test figures: the best
// epoch's (in done.json) selects on the test set, so it is no fair column.
var classificationColumns = taskColumns{
	has:     func(o Outcome) bool { return o.Classification != nil },
	headers: []string{"run", "data", "model", "residual", "params"},
	labels: func(o Outcome) []string {
		r := o.Classification
		group := o.Group
		if r.Diverged != "" {
			group += " (diverged)"
		}
		return []string{group, r.Dataset, r.Model, variantLabel(r.Residual, r.Params), fmt.Sprintf("%.2fM", float64(r.NumParams)/1e6)}
	},
	figures: []column{
		{"epochs", "%.0f", 0, func(o Outcome) float64 { return float64(o.Classification.Epochs) }, nil},
		{"updates", "%.0f", 0, func(o Outcome) float64 { return float64(o.Classification.Updates) }, nil},
		{"test loss", "%.4f", -1, evaluated(func(o Outcome) float64 { return o.Classification.TestLoss }), nil},
		{"top-1 %", "%.2f", +1, evaluated(func(o Outcome) float64 { return o.Classification.TestTop1 }), nil},
		{"top-5 %", "%.2f", +1, evaluated(func(o Outcome) float64 { return o.Classification.TestTop5 }), nil},
		{"error %", "%.2f", -1, evaluated(func(o Outcome) float64 { return o.Classification.TestError }), nil},
		{"train min", "%.1f", 0, func(o Outcome) float64 { return o.Classification.TrainSeconds / 60 }, nil},
		{"img/s", "%.0f", 0, func(o Outcome) float64 { return o.Classification.ImagesPerSec }, nil},
	},
}

// evaluated makes a test figure NaN (shown as "-", never the best) for a
// run that was never evaluated: one that diverged in its first epoch.
func evaluated(value func(Outcome) float64) func(Outcome) float64 {
	return func(o Outcome) float64 {
		if o.Classification.Epochs == 0 {
			return math.NaN()
		}
		return value(o)
	}
}

// validated makes a validation figure NaN (shown as "-", never the best)
// for a translation run that never completed an epoch: one that diverged
// in its first (its best_valid_loss is -1).
func validated(value func(Outcome) float64) func(Outcome) float64 {
	return func(o Outcome) float64 {
		if o.Translation.Epochs == 0 {
			return math.NaN()
		}
		return value(o)
	}
}

// decoded makes a test figure NaN for a translation run that diverged:
// its test set was never decoded, and a 0 would read as a score.
func decoded(value func(Outcome) float64) func(Outcome) float64 {
	return func(o Outcome) float64 {
		if o.Translation.Diverged != "" {
			return math.NaN()
		}
		return value(o)
	}
}

// Tables are the comparison tables of outcomes, one per task present
// (translation first). Outcomes of one Group (runs that differ only in
// their seed) make one row: each figure as mean ± sample standard
// deviation, with n the number of runs. The best mean of each score
// column is marked "*".
func Tables(outcomes []Outcome) []report.Table {
	var out []report.Table
	for _, tc := range []taskColumns{translationColumns, classificationColumns} {
		if t := tc.table(outcomes); len(t.Rows) > 0 {
			out = append(out, t)
		}
	}
	return out
}

type row struct {
	labels []string
	runs   []Outcome
}

func (tc taskColumns) table(outcomes []Outcome) report.Table {
	var rows []*row
	index := map[string]*row{}
	for _, o := range outcomes {
		if !tc.has(o) {
			continue
		}
		if o.Group == "" {
			o.Group = o.name()
		}
		labels := tc.labels(o)
		key := strings.Join(labels, "\x00")
		if index[key] == nil {
			index[key] = &row{labels: labels}
			rows = append(rows, index[key])
		}
		index[key].runs = append(index[key].runs, o)
	}
	t := report.Table{Header: append(append(append([]string{}, tc.headers...), "n"), figureNames(tc.figures)...)}
	best := tc.bestMeans(rows)
	for _, r := range rows {
		cells := append(append([]string{}, r.labels...), fmt.Sprint(len(r.runs)))
		for i, c := range tc.figures {
			mean, std := meanStd(r.runs, c.value)
			cell := c.cell(mean)
			if math.IsNaN(mean) {
				cell = "-"
			} else if len(r.runs) > 1 {
				cell += " ± " + c.cell(std)
			}
			cells = append(cells, mark(cell, c.better != 0 && len(rows) > 1 && mean == best[i]))
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

func (tc taskColumns) bestMeans(rows []*row) []float64 {
	best := make([]float64, len(tc.figures))
	for i, c := range tc.figures {
		best[i] = math.NaN()
		for _, r := range rows {
			m, _ := meanStd(r.runs, c.value)
			if math.IsNaN(m) {
				continue
			}
			if math.IsNaN(best[i]) || float64(c.better)*(m-best[i]) > 0 {
				best[i] = m
			}
		}
	}
	return best
}

func figureNames(cs []column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

// meanStd is the mean and the sample standard deviation (n-1; 0 for
// one run) of value over runs.
func meanStd(runs []Outcome, value func(Outcome) float64) (mean, std float64) {
	for _, o := range runs {
		mean += value(o)
	}
	mean /= float64(len(runs))
	if len(runs) < 2 {
		return mean, 0
	}
	for _, o := range runs {
		d := value(o) - mean
		std += d * d
	}
	return mean, math.Sqrt(std / float64(len(runs)-1))
}

func (o Outcome) name() string {
	switch {
	case o.Translation != nil:
		return o.Translation.Name
	case o.Classification != nil:
		return o.Classification.Name
	}
	return o.Recipe
}

func mark(s string, best bool) string {
	if best {
		return s + " *"
	}
	return s
}

// variantLabel renders a variant and its parameters, e.g. "rskip-ln order=2".
func variantLabel(name string, params map[string]any) string { return layers.Label(name, params) }
