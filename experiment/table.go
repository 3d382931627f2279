package experiment

import (
	"fmt"
	"math"
	"strings"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/report"
)

// column is one figure of a comparison table.
type column struct {
	name   string
	format string // for one value; mean ± std uses it for both
	better int    // +1: higher is better, -1: lower is better, 0: not a score
	value  func(Outcome) float64
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
		return []string{o.Group, variantLabel(r.Residual, r.Params), fmt.Sprintf("%.2fM", float64(r.NumParams)/1e6)}
	},
	figures: []column{
		{"epochs", "%.0f", 0, func(o Outcome) float64 { return float64(o.Translation.Epochs) }},
		{"updates", "%.0f", 0, func(o Outcome) float64 { return float64(o.Translation.Updates) }},
		{"valid loss", "%.3f", -1, func(o Outcome) float64 { return o.Translation.BestValidLoss }},
		{"valid ppl", "%.2f", -1, func(o Outcome) float64 { return o.Translation.BestValidPPL }},
		{"test BLEU", "%.2f", +1, func(o Outcome) float64 { return o.Translation.TestBLEU }},
		{"tok BLEU", "%.2f", +1, func(o Outcome) float64 { return o.Translation.TokBLEU }},
		{"train min", "%.1f", 0, func(o Outcome) float64 { return o.Translation.TrainSeconds / 60 }},
		{"tok/s", "%.0f", 0, func(o Outcome) float64 { return o.Translation.TokensPerSec }},
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
		{"epochs", "%.0f", 0, func(o Outcome) float64 { return float64(o.Classification.Epochs) }},
		{"updates", "%.0f", 0, func(o Outcome) float64 { return float64(o.Classification.Updates) }},
		{"test loss", "%.4f", -1, evaluated(func(o Outcome) float64 { return o.Classification.TestLoss })},
		{"top-1 %", "%.2f", +1, evaluated(func(o Outcome) float64 { return o.Classification.TestTop1 })},
		{"top-5 %", "%.2f", +1, evaluated(func(o Outcome) float64 { return o.Classification.TestTop5 })},
		{"error %", "%.2f", -1, evaluated(func(o Outcome) float64 { return o.Classification.TestError })},
		{"train min", "%.1f", 0, func(o Outcome) float64 { return o.Classification.TrainSeconds / 60 }},
		{"img/s", "%.0f", 0, func(o Outcome) float64 { return o.Classification.ImagesPerSec }},
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
			cell := fmt.Sprintf(c.format, mean)
			if math.IsNaN(mean) {
				cell = "-"
			} else if len(r.runs) > 1 {
				cell += " ± " + fmt.Sprintf(c.format, std)
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
