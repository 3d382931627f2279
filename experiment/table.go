package experiment

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zoo-nn/zoo/report"
	"github.com/zoo-nn/zoo/vision"
)

// TranslationTable compares translation outcomes, one row each. The best
// value of each score column is marked with "*".
func TranslationTable(outcomes []Outcome) report.Table {
	t := report.Table{Header: []string{"run", "residual", "params", "epochs", "updates",
		"valid loss", "valid ppl", "test BLEU", "tok BLEU", "train min", "tok/s"}}
	var rows []Outcome
	for _, o := range outcomes {
		if o.Translation != nil {
			rows = append(rows, o)
		}
	}
	bestLoss, bestBLEU, bestTok := 1e300, -1.0, -1.0
	for _, o := range rows {
		r := o.Translation
		bestLoss, bestBLEU, bestTok = min(bestLoss, r.BestValidLoss), max(bestBLEU, r.TestBLEU), max(bestTok, r.TokBLEU)
	}
	for _, o := range rows {
		r := o.Translation
		t.Rows = append(t.Rows, []string{
			r.Name, variantLabel(r.Residual, r.Params), fmt.Sprintf("%.2fM", float64(r.NumParams)/1e6),
			fmt.Sprint(r.Epochs), fmt.Sprint(r.Updates),
			mark(fmt.Sprintf("%.3f", r.BestValidLoss), r.BestValidLoss == bestLoss && len(rows) > 1),
			fmt.Sprintf("%.2f", r.BestValidPPL),
			mark(fmt.Sprintf("%.2f", r.TestBLEU), r.TestBLEU == bestBLEU && len(rows) > 1),
			mark(fmt.Sprintf("%.2f", r.TokBLEU), r.TokBLEU == bestTok && len(rows) > 1),
			fmt.Sprintf("%.1f", r.TrainSeconds/60), fmt.Sprintf("%.0f", r.TokensPerSec),
		})
	}
	return t
}

// ClassificationTable compares classification outcomes, one row each:
// the last epoch's test accuracy (the best epoch's is in done.json; it
// selects on the test set, so it is not a fair column). The best value
// of each score column is marked with "*".
func ClassificationTable(outcomes []Outcome) report.Table {
	t := report.Table{Header: []string{"run", "data", "model", "residual", "params", "epochs", "updates",
		"test loss", "top-1 %", "top-5 %", "error %", "train min", "img/s"}}
	var rows []*vision.Result
	for _, o := range outcomes {
		if o.Classification != nil {
			rows = append(rows, o.Classification)
		}
	}
	bestLoss, bestTop1, bestTop5 := 1e300, -1.0, -1.0
	for _, r := range rows {
		bestLoss, bestTop1, bestTop5 = min(bestLoss, r.TestLoss), max(bestTop1, r.TestTop1), max(bestTop5, r.TestTop5)
	}
	many := len(rows) > 1
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{
			r.Name, r.Dataset, r.Model, variantLabel(r.Residual, r.Params), fmt.Sprintf("%.2fM", float64(r.NumParams)/1e6),
			fmt.Sprint(r.Epochs), fmt.Sprint(r.Updates),
			mark(fmt.Sprintf("%.4f", r.TestLoss), many && r.TestLoss == bestLoss),
			mark(fmt.Sprintf("%.2f", r.TestTop1), many && r.TestTop1 == bestTop1),
			mark(fmt.Sprintf("%.2f", r.TestTop5), many && r.TestTop5 == bestTop5),
			mark(fmt.Sprintf("%.2f", r.TestError), many && r.TestTop1 == bestTop1),
			fmt.Sprintf("%.1f", r.TrainSeconds/60), fmt.Sprintf("%.0f", r.ImagesPerSec),
		})
	}
	return t
}

// Tables are the comparison tables of outcomes, one per task present,
// translation first.
func Tables(outcomes []Outcome) []report.Table {
	var out []report.Table
	for _, t := range []report.Table{TranslationTable(outcomes), ClassificationTable(outcomes)} {
		if len(t.Rows) > 0 {
			out = append(out, t)
		}
	}
	return out
}

func mark(s string, best bool) string {
	if best {
		return s + " *"
	}
	return s
}

// variantLabel renders a variant and its parameters, e.g. "rskip-ln order=2".
func variantLabel(name string, params map[string]any) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{name}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, params[k]))
	}
	return strings.Join(parts, " ")
}
