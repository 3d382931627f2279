package analysis

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zoo-nn/zoo/report"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// GradsFile is the name of the measurements file WriteGrads writes.
const GradsFile = "grads.json"

// SummaryTable is one row per variant, depth and checkpoint: the loss,
// the input-gradient norm at the first and the last block and their
// ratio (first/last: > 1 means the gradient grows on its way back to
// the input), the parameter-gradient norm of the first and last block,
// and a flag: "exploding" for a ratio above ExplodingRatio, "vanishing"
// below VanishingRatio, "non-finite" when a norm overflowed (inf) or is
// NaN. A run whose training stopped gets a row saying where.
func SummaryTable(rep *GradsReport) report.Table {
	t := report.Table{Header: []string{"variant", "depth", "step", "loss",
		"‖∂L/∂x‖ block 1", "‖∂L/∂x‖ last", "first/last", "‖∇θ‖ block 1", "‖∇θ‖ last", "flag"}}
	for _, r := range rep.Runs {
		for _, cp := range r.Checkpoints {
			first, last := cp.Blocks[0], cp.Blocks[len(cp.Blocks)-1]
			q := ratio(first.InputGrad, last.InputGrad)
			t.Rows = append(t.Rows, []string{r.Variant, fmt.Sprint(r.Depth), fmt.Sprint(cp.Step), Format(float64(cp.Loss)),
				Format(float64(first.InputGrad)), Format(float64(last.InputGrad)), Format(q),
				Format(float64(first.ParamGrad)), Format(float64(last.ParamGrad)), flag(cp, q)})
		}
		if r.Stopped != "" {
			t.Rows = append(t.Rows, []string{r.Variant, fmt.Sprint(r.Depth), fmt.Sprint(len(r.TrainLoss)),
				"-", "-", "-", "-", "-", "-", r.Stopped})
		}
	}
	return t
}

// flag marks a checkpoint whose norms overflowed or whose input-gradient
// ratio q is past the thresholds.
func flag(cp GradsCheckpoint, q float64) string {
	var bad []string
	finite := func(v train.JSONFloat) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
	nIn, nParam := 0, 0
	for _, b := range cp.Blocks {
		if !finite(b.InputGrad) {
			nIn++
		}
		if !finite(b.ParamGrad) {
			nParam++
		}
	}
	if !finite(cp.Loss) {
		bad = append(bad, "loss "+Format(float64(cp.Loss)))
	}
	if nIn > 0 {
		bad = append(bad, fmt.Sprintf("%d input-grad norms inf/nan", nIn))
	}
	if nParam > 0 {
		bad = append(bad, fmt.Sprintf("%d param-grad norms inf/nan", nParam))
	}
	switch {
	case len(bad) > 0:
		return "non-finite: " + strings.Join(bad, ", ")
	case q > ExplodingRatio:
		return fmt.Sprintf("exploding (> %g)", ExplodingRatio)
	case q < VanishingRatio:
		return fmt.Sprintf("vanishing (< %g)", VanishingRatio)
	}
	return ""
}

// WriteGrads writes rep into dir: grads.json (every number), summary.md
// (SummaryTable in Markdown) and, for every depth and checkpoint, two
// plots of the norms against the block index, one line per variant:
// grads-input-depthD.png (‖∂L/∂x_l‖) and grads-params-depthD.png (the
// block's parameter-gradient norm), with "-stepS" before ".png" for the
// checkpoints after training. It returns the files written and notes
// about what the plots could not show.
func WriteGrads(dir string, rep *GradsReport) (files, notes []string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("analysis: %w", err)
	}
	run := train.RunDir{Path: dir}
	if err := run.WriteJSON(GradsFile, rep); err != nil {
		return nil, nil, fmt.Errorf("analysis: %w", err)
	}
	files = append(files, run.File(GradsFile))
	var md strings.Builder
	fmt.Fprintf(&md, "# Gradient norms by block: %s on %s\n\n", modelTitle(rep), rep.Data)
	if err := SummaryTable(rep).Write(&md, "markdown"); err != nil {
		return files, nil, err
	}
	if err := run.WriteFile("summary.md", []byte(md.String())); err != nil {
		return files, nil, fmt.Errorf("analysis: %w", err)
	}
	files = append(files, run.File("summary.md"))
	for _, depth := range depthsOf(rep) {
		for _, step := range rep.Steps {
			for _, kind := range []string{"input", "params"} {
				name := fmt.Sprintf("grads-%s-depth%d", kind, depth)
				if step > 0 {
					name += fmt.Sprintf("-step%d", step)
				}
				name += ".png"
				png, drawn, perr := plotOf(rep, depth, step, kind)
				for label, n := range drawn.omitted {
					notes = append(notes, fmt.Sprintf("%s: %s: %d points inf/nan/0, not drawn", name, label, n))
				}
				if perr != nil {
					notes = append(notes, fmt.Sprintf("%s: not written: %v", name, perr))
					continue
				}
				if png == nil {
					continue
				}
				if err := run.WriteFile(name, png); err != nil {
					return files, notes, fmt.Errorf("analysis: %w", err)
				}
				files = append(files, run.File(name))
			}
		}
	}
	return files, notes, nil
}

// ReadGrads reads the grads.json that WriteGrads wrote into dir.
func ReadGrads(dir string) (*GradsReport, error) {
	var rep GradsReport
	if err := (train.RunDir{Path: dir}).ReadJSON(GradsFile, &rep); err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	if len(rep.Runs) == 0 {
		return nil, fmt.Errorf("analysis: %s holds no runs", filepath.Join(dir, GradsFile))
	}
	for _, r := range rep.Runs {
		for _, cp := range r.Checkpoints {
			if len(cp.Blocks) == 0 {
				return nil, fmt.Errorf("analysis: %s: %s depth %d step %d has no blocks", filepath.Join(dir, GradsFile), r.Variant, r.Depth, cp.Step)
			}
		}
	}
	return &rep, nil
}

// plotOf draws one depth's curves at one checkpoint; nil without error
// when no run reached that checkpoint.
func plotOf(rep *GradsReport, depth, step int, kind string) ([]byte, plotted, error) {
	var curves []curve
	style := map[string]int{} // by variant, in the report's order
	for _, r := range rep.Runs {
		if _, ok := style[r.Variant]; !ok {
			style[r.Variant] = len(style)
		}
	}
	for _, r := range rep.Runs {
		if r.Depth != depth {
			continue
		}
		if r.Stopped != "" && !slices.ContainsFunc(r.Checkpoints, func(cp GradsCheckpoint) bool { return cp.Step == step }) {
			curves = append(curves, curve{label: r.Variant, style: style[r.Variant], note: strings.TrimPrefix(r.Stopped, "training ")})
		}
		for _, cp := range r.Checkpoints {
			if cp.Step != step {
				continue
			}
			c := curve{label: r.Variant, style: style[r.Variant]}
			for _, b := range cp.Blocks {
				v := b.InputGrad
				if kind == "params" {
					v = b.ParamGrad
				}
				c.y = append(c.y, float64(v))
			}
			curves = append(curves, c)
		}
	}
	if len(curves) == 0 {
		return nil, plotted{}, nil
	}
	when := "at initialization"
	if step > 0 {
		when = fmt.Sprintf("after %d %s steps (lr %g)", step, rep.Optimizer, rep.LR)
	}
	what, y := "‖∂L/∂x_l‖, gradient w.r.t. the block input", "‖∂L/∂x_l‖ (log)"
	if kind == "params" {
		what, y = "‖∂L/∂θ_l‖, gradient of the block's parameters", "‖∂L/∂θ_l‖ (log)"
	}
	title := fmt.Sprintf("%s\n%s, depth %d, %s\n%s", what, modelTitle(rep), depth, when, rep.Data)
	x := fmt.Sprintf("block l (%s; 1 = input side)", rep.Blocks)
	if rep.Model == ModelTransformer {
		x = "encoder layer l (1 = input side)"
	}
	return gradPlot(title, x, y, curves)
}

func modelTitle(rep *GradsReport) string {
	switch {
	case rep.Model == ModelTransformer:
		return "Transformer (d 256, 1 decoder layer)"
	case rep.Arch == vision.ArchPreResNet:
		return "PreAct ResNet (shortcut B)"
	}
	return "ResNet (post-activation, shortcut A)"
}

func depthsOf(rep *GradsReport) []int {
	var out []int
	seen := map[int]bool{}
	for _, r := range rep.Runs {
		if !seen[r.Depth] {
			seen[r.Depth] = true
			out = append(out, r.Depth)
		}
	}
	return out
}
