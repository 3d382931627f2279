package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/zoo-nn/zoo/report"
)

// Tables renders the results as titled tables, in this order: training
// throughput, inference, the same-weights check, the variant costs and
// the memory runs (each only when measured).
func (r *Results) Tables() []Titled {
	var out []Titled
	if t, ok := r.trainTable(); ok {
		out = append(out, Titled{"Training step (forward, loss, backward, optimizer)", t})
	}
	if t, ok := r.inferTable(); ok {
		out = append(out, Titled{"Inference", t})
	}
	if t, ok := r.checkTable(); ok {
		out = append(out, Titled{"Same weights, same batch (no dropout)", t})
	}
	if len(r.Variants) > 0 {
		out = append(out, Titled{"Residual variant cost (zoo), step time relative to post-ln", r.variantTable()})
	}
	if len(r.Memory) > 0 {
		out = append(out, Titled{"Memory flatness (zoo)", r.memoryTable()})
	}
	return out
}

// Titled is a table with a title.
type Titled struct {
	Title string
	Table report.Table
}

// Write prints the header lines and every table in format; "json"
// prints the whole Results as JSON instead.
func (r *Results) Write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	md := format == "markdown" || format == "md"
	fmt.Fprintln(w, r.summary())
	for _, t := range r.Tables() {
		fmt.Fprintln(w)
		if md {
			fmt.Fprintf(w, "**%s**\n\n", t.Title)
		} else {
			fmt.Fprintln(w, t.Title)
		}
		if err := t.Table.Write(w, format); err != nil {
			return err
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintln(w)
		for _, e := range r.Errors {
			fmt.Fprintln(w, "error:", e)
		}
	}
	return nil
}

func (r *Results) summary() string {
	var parts []string
	threads := fmt.Sprintf("threads %d (of %d CPUs)", r.Threads, r.CPUs)
	if r.BLAS > 0 && r.BLAS != r.Threads {
		threads = fmt.Sprintf("threads %d, OpenBLAS %d (of %d CPUs)", r.Threads, r.BLAS, r.CPUs)
	}
	parts = append(parts, threads)
	if r.Ceiling != nil {
		c := fmt.Sprintf("GEMM ceiling %.0f GFLOP/s (libtorch from zoo, %d² float32, median of %d", r.Ceiling.Zoo, r.Ceiling.N, r.Ceiling.Reps)
		if r.Ceiling.PyTorch > 0 {
			c += fmt.Sprintf("; torch.mm %.0f", r.Ceiling.PyTorch)
		}
		parts = append(parts, c+")")
	}
	if r.Reps > 0 {
		parts = append(parts, fmt.Sprintf("%d reps of %d steps after %d warm-up, alternating, medians", r.Reps, r.Steps, r.Warmup))
	}
	if r.Quick {
		parts = append(parts, "QUICK (smoke-test sizes)")
	}
	var env []string
	for _, k := range []string{"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT"} {
		if v, ok := r.Env[k]; ok {
			env = append(env, k+"="+v)
		}
	}
	if len(env) > 0 {
		parts = append(parts, "env "+strings.Join(env, " "))
	}
	return strings.Join(parts, "; ")
}

func (r *Results) hasPyTorch() bool {
	for _, c := range r.Cases {
		if c.PyTorch != nil {
			return true
		}
	}
	return false
}

func (r *Results) trainTable() (report.Table, bool) {
	py := r.hasPyTorch()
	h := []string{"model", "variant", "batch", "zoo"}
	if py {
		h = append(h, "PyTorch", "zoo/PyTorch")
	}
	h = append(h, "zoo GFLOP/s", "% of GEMM", "peak RSS MiB", "steady RSS MiB", "live tensors")
	t := report.Table{Header: h}
	found := false
	for _, c := range r.Cases {
		if c.Model == nil || len(c.Zoo.TrainSeconds) == 0 {
			continue
		}
		found = true
		unit := c.Model.TrainUnit + "/s"
		zr := c.Zoo.TrainRate()
		row := []string{c.Spec.Model, c.Spec.Label, batchText(c), rateText(zr, unit)}
		if py {
			if c.PyTorch != nil && len(c.PyTorch.TrainSeconds) > 0 {
				pr := c.PyTorch.TrainRate()
				row = append(row, rateText(pr, unit), ratioText(zr/pr))
			} else {
				row = append(row, "-", "-")
			}
		}
		step := c.Zoo.StepSeconds(r.Steps)
		gf := c.Model.TrainFLOPs / step / 1e9
		row = append(row, fmt.Sprintf("%.1f", gf), ceilingText(gf, r.Ceiling))
		row = append(row, pairText(c.Zoo.Peak, c.PyTorch, func(s *Side) int64 { return s.Peak }),
			pairText(c.Zoo.Steady, c.PyTorch, func(s *Side) int64 { return s.Steady }), liveText(c.Zoo))
		t.Rows = append(t.Rows, row)
	}
	return t, found
}

func (r *Results) inferTable() (report.Table, bool) {
	py := r.hasPyTorch()
	h := []string{"model", "variant", "set", "zoo"}
	if py {
		h = append(h, "PyTorch", "zoo/PyTorch", "same hypotheses")
	}
	h = append(h, "zoo GFLOP/s")
	t := report.Table{Header: h}
	found := false
	for _, c := range r.Cases {
		if c.Model == nil || len(c.Zoo.InferSeconds) == 0 {
			continue
		}
		found = true
		unit := c.Model.InferUnit + "/s"
		zr := c.Zoo.InferRate()
		row := []string{c.Spec.Model, c.Spec.Label, inferSetText(c), rateText(zr, unit)}
		if py {
			if c.PyTorch != nil && len(c.PyTorch.InferSeconds) > 0 {
				pr := c.PyTorch.InferRate()
				same := "-"
				if c.Sentences > 0 {
					same = fmt.Sprintf("%d/%d", c.SameHyps, c.Sentences)
				}
				row = append(row, rateText(pr, unit), ratioText(zr/pr), same)
			} else {
				row = append(row, "-", "-", "-")
			}
		}
		gf := "-" // beam search: the work depends on when hypotheses end
		if c.Model.InferFLOPs > 0 {
			gf = fmt.Sprintf("%.1f", c.Model.InferFLOPs*zr/c.Model.InferItems/1e9)
		}
		t.Rows = append(t.Rows, append(row, gf))
	}
	return t, found
}

func (r *Results) checkTable() (report.Table, bool) {
	t := report.Table{Header: []string{"model", "variant", "params zoo", "params PyTorch", "loss zoo", "loss PyTorch",
		"grad norm zoo", "grad norm PyTorch", "loss after step zoo", "loss after step PyTorch", "verdict"}}
	found := false
	for _, c := range r.Cases {
		if c.Zoo == nil || c.PyTorch == nil || c.Zoo.Check == nil || c.PyTorch.Check == nil {
			continue
		}
		found = true
		z, p := c.Zoo.Check, c.PyTorch.Check
		verdict := "ok (" + c.CheckNote + ")"
		if c.CheckOK != nil && !*c.CheckOK {
			verdict = "DIFFERENT: " + c.CheckNote
		}
		t.Rows = append(t.Rows, []string{c.Spec.Model, c.Spec.Label, fmt.Sprint(z.Params), fmt.Sprint(p.Params),
			fmt.Sprintf("%.7g", z.Loss), fmt.Sprintf("%.7g", p.Loss), fmt.Sprintf("%.7g", z.GradNorm), fmt.Sprintf("%.7g", p.GradNorm),
			fmt.Sprintf("%.7g", z.LossAfter), fmt.Sprintf("%.7g", p.LossAfter), verdict})
	}
	return t, found
}

func (r *Results) variantTable() report.Table {
	t := report.Table{Header: []string{"model", "variant", "step s", "post-ln step s", "relative to post-ln", "peak RSS MiB"}}
	for _, v := range r.Variants {
		if v.Error != "" {
			t.Rows = append(t.Rows, []string{v.Model, v.Variant, "error", "-", "-", "-"})
			continue
		}
		t.Rows = append(t.Rows, []string{v.Model, v.Variant, fmt.Sprintf("%.3f", v.StepSeconds), fmt.Sprintf("%.3f", v.PostLN),
			fmt.Sprintf("%.3f", v.Relative), MiB(v.PeakRSSKB)})
	}
	return t
}

func (r *Results) memoryTable() report.Table {
	t := report.Table{Header: []string{"model", "variant", "batch", "updates", "first sample", "RSS MiB there", "RSS MiB at end",
		"RSS growth %", "live tensors (first → end)", "data wait %", "updates/s"}}
	for _, m := range r.Memory {
		if m.Error != "" || len(m.Samples) == 0 {
			t.Rows = append(t.Rows, []string{m.Model, m.Variant, fmt.Sprint(m.Batch), fmt.Sprint(m.Updates), "error", "-", "-", "-", "-", "-", "-"})
			continue
		}
		first, last := m.Samples[0], m.Samples[len(m.Samples)-1]
		t.Rows = append(t.Rows, []string{m.Model, m.Variant, fmt.Sprint(m.Batch), fmt.Sprint(m.Updates), fmt.Sprint(first.Update),
			MiB(first.RSS.RSSKB), MiB(last.RSS.RSSKB), fmt.Sprintf("%+.2f", m.GrowthPercent),
			fmt.Sprintf("%d → %d", first.Live, last.Live), fmt.Sprintf("%.1f", m.DataWaitPercent), fmt.Sprintf("%.2f", m.UpdatesPerS)})
	}
	return t
}

func batchText(c *Case) string {
	if c.Model.Kind == KindTranslation {
		return fmt.Sprintf("%s (%.0f tok)", c.Model.BatchShape, c.Model.TrainItems)
	}
	return c.Model.BatchShape
}

func inferSetText(c *Case) string {
	if g := c.Model.Generate; g != nil {
		return fmt.Sprintf("%.0f sent, beam %d", c.Model.InferItems, g.Beam)
	}
	return fmt.Sprintf("%.0f img, eval", c.Model.InferItems)
}

// rateText formats a rate with three significant digits or more.
func rateText(r float64, unit string) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "-"
	}
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f %s", r, unit)
	case r >= 10:
		return fmt.Sprintf("%.1f %s", r, unit)
	}
	return fmt.Sprintf("%.2f %s", r, unit)
}

func ratioText(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2f", x)
}

func ceilingText(gf float64, c *Ceiling) string {
	if c == nil || c.Zoo <= 0 || math.IsNaN(gf) {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*gf/c.Zoo)
}

// pairText is "zoo / PyTorch" in MiB, or zoo's alone.
func pairText(zoo int64, py *Side, get func(*Side) int64) string {
	if py == nil {
		return MiB(zoo)
	}
	return MiB(zoo) + " / " + MiB(get(py))
}

func liveText(s *Side) string {
	if s.LiveBefore == nil || s.LiveAfter == nil {
		return "-"
	}
	return fmt.Sprintf("%d → %d", *s.LiveBefore, *s.LiveAfter)
}
