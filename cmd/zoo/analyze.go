package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zoo-nn/zoo/analysis"
	"github.com/zoo-nn/zoo/report"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/vision"
)

func init() { addCommand(newAnalyzeCmd) }

// defaultGradVariants are the paper's configurations: the plain and
// scaled skips without a norm, the scaled skip with LN, Post-LN, Pre-LN
// and rSkip+LN of order 2.
const defaultGradVariants = "plain;scaled:lambda=0.5;scaled:lambda=2;scaled-ln:lambda=2;post-ln;pre-ln;rskip-ln:order=2"

type gradsOptions struct {
	model, arch, variants, depths, steps string
	data, out, format, optimizer, device string
	replot                               string
	batches, batchSize, maxTokens        int
	lr, momentum                         float64
	seed                                 int64
}

func newAnalyzeCmd() *cobra.Command {
	analyze := groupCmd("analyze", "Analyse what the residual variants do to a network")
	var opts gradsOptions
	grads := &cobra.Command{
		Use:   "grads",
		Short: "Gradient norms per block by variant and depth, at initialization (and after training steps)",
		Long: `Grads builds, for every variant and depth, a seeded model at
initialization, runs forward and backward on real batches and records per
block the norm of the gradient with respect to the block's input x_l
(||dL/dx_l||) and with respect to the block's parameters; with --steps it
trains (fixed learning rate, no clipping) and measures again. The paper's
claim: y = λx + F(x) without a norm makes gradients explode (λ > 1) or
vanish (λ < 1) with depth; LN keeps them bounded.

--model transformer is nmt's Transformer (d 256, 4 heads, FFN 1024, no
dropout) with DEPTH encoder layers and 1 decoder layer on Multi30k
(label-smoothed loss); a block is one encoder layer (its two residual
joins). --model resnet is vision's CIFAR ResNet (--arch resnet or
preresnet, basic blocks, depth 6n+2) on --data (fmnist by default); a
block is one residual block.

The folder --out gets grads.json (every number), summary.md and, per
depth, grads-input-depthD.png and grads-params-depthD.png (log scale, one
line per variant; "-stepS" for the checkpoints after training). Norms
that overflow are reported as inf or nan and left out of the plots.`,
		Example: `  zoo analyze grads --model transformer --depths 6,12,24,48
  zoo analyze grads --model resnet --arch preresnet --depths 110 --batch-size 64
  zoo analyze grads --model resnet --depths 20 --variants "plain;scaled:lambda=2" --steps 50,200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.replot != "" {
				return replotGrads(cmd, opts)
			}
			for _, f := range []struct{ flag, model string }{
				{"arch", analysis.ModelResNet}, {"batch-size", analysis.ModelResNet}, {"max-tokens", analysis.ModelTransformer},
			} {
				if cmd.Flags().Changed(f.flag) && opts.model != f.model && opts.model != "" {
					return usageError{fmt.Errorf("--%s applies to --model %s only", f.flag, f.model)}
				}
			}
			return analyzeGrads(cmd, opts)
		},
	}
	f := grads.Flags()
	f.StringVar(&opts.model, "model", "", "transformer or resnet (required)")
	f.StringVar(&opts.arch, "arch", "", "resnet model: resnet (default) or preresnet")
	f.StringVar(&opts.variants, "variants", defaultGradVariants, `variants separated by ";", each NAME or NAME:KEY=VALUE,... (zoo list layers)`)
	f.StringVar(&opts.depths, "depths", "", "comma-separated depths (default: transformer 6,12,24,48 encoder layers; resnet 20,56,110)")
	f.StringVar(&opts.steps, "steps", "0", "training steps after which to measure again, comma-separated (0: initialization only)")
	f.StringVar(&opts.data, "data", "", "transformer: multi30k; resnet: fmnist (default), cifar10, cifar100, cifar10-jpg")
	f.IntVar(&opts.batches, "batches", 2, "real batches measured (their union is one loss)")
	f.IntVar(&opts.batchSize, "batch-size", 128, "resnet: images per batch")
	f.IntVar(&opts.maxTokens, "max-tokens", 2048, "transformer: padded tokens per batch at most")
	f.StringVar(&opts.optimizer, "optimizer", "", "for --steps: sgd or adam (default: adam for the transformer, sgd for the resnet)")
	f.Float64Var(&opts.lr, "lr", 0, "for --steps: fixed learning rate (default: 5e-4 for adam, 0.1 for sgd)")
	f.Float64Var(&opts.momentum, "momentum", 0, "for --steps with sgd: momentum (0: plain SGD)")
	f.Int64Var(&opts.seed, "seed", 1, "weights (the same for every variant of a depth) and batch order")
	f.StringVar(&opts.out, "out", "", "output folder (default runs/analyze-grads-MODEL, MODEL being transformer, resnet or preresnet)")
	f.StringVar(&opts.format, "format", "text", "summary table format: "+strings.Join(report.Formats, ", "))
	f.StringVar(&opts.device, "device", "auto", "auto, cpu, cuda or cuda:N")
	f.StringVar(&opts.replot, "replot", "", "measure nothing: read DIR/grads.json of an earlier run and write its table and plots again (into --out, default DIR; --variants and --depths pick a subset)")
	analyze.AddCommand(grads)
	return analyze
}

// gradsConfig turns the flags into the analysis request; every error is
// a usage error.
func gradsConfig(opts gradsOptions) (analysis.GradsConfig, error) {
	var c analysis.GradsConfig
	if opts.model == "" {
		return c, fmt.Errorf("--model: want one of %s", strings.Join(analysis.Models, ", "))
	}
	if !slices.Contains(analysis.Models, opts.model) {
		return c, fmt.Errorf("--model: model %q: want one of %s", opts.model, strings.Join(analysis.Models, ", "))
	}
	if !slices.Contains(report.Formats, opts.format) {
		return c, fmt.Errorf("--format %q: want one of %s", opts.format, strings.Join(report.Formats, ", "))
	}
	variants, err := analysis.ParseVariants(opts.variants)
	if err != nil {
		return c, fmt.Errorf("--variants: %w", err)
	}
	depths := opts.depths
	if depths == "" {
		depths = map[string]string{analysis.ModelTransformer: "6,12,24,48", analysis.ModelResNet: "20,56,110"}[opts.model]
	}
	ds, err := parseInts(depths)
	if err != nil {
		return c, fmt.Errorf("--depths: %w", err)
	}
	steps, err := parseInts(opts.steps)
	if err != nil {
		return c, fmt.Errorf("--steps: %w", err)
	}
	steps = slices.DeleteFunc(steps, func(s int) bool { return s == 0 })
	device, err := torch.ParseDevice(opts.device)
	if err != nil {
		return c, fmt.Errorf("--device: %w", err)
	}
	c = analysis.GradsConfig{Model: opts.model, Arch: opts.arch, Variants: variants, Depths: ds, Data: opts.data,
		Batches: opts.batches, BatchSize: opts.batchSize, MaxTokens: opts.maxTokens, Steps: steps,
		Optimizer: opts.optimizer, LR: opts.lr, Momentum: opts.momentum, Seed: opts.seed, Device: device}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// parseInts reads "6,12,24".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer (want a comma-separated list such as 6,12,24)", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q holds no numbers", s)
	}
	return out, nil
}

func analyzeGrads(cmd *cobra.Command, opts gradsOptions) error {
	c, err := gradsConfig(opts)
	if err != nil {
		return usageError{err}
	}
	out := opts.out
	if out == "" {
		name := c.Model
		if c.Model == analysis.ModelResNet && c.Arch == vision.ArchPreResNet {
			name = c.Arch
		}
		out = filepath.Join("runs", "analyze-grads-"+name)
	}
	c.Log = cmd.ErrOrStderr()
	start := time.Now()
	rep, err := analysis.RunGrads(c)
	if err != nil {
		return err
	}
	return writeGrads(cmd, rep, out, opts.format, start)
}

// replotGrads writes the table and plots of an earlier analysis again.
func replotGrads(cmd *cobra.Command, opts gradsOptions) error {
	var measuring []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if !slices.Contains([]string{"replot", "variants", "depths", "out", "format", "threads", "blas-threads"}, f.Name) {
			measuring = append(measuring, "--"+f.Name)
		}
	})
	if len(measuring) > 0 {
		return usageError{fmt.Errorf("--replot measures nothing: %s do not apply", strings.Join(measuring, ", "))}
	}
	if !slices.Contains(report.Formats, opts.format) {
		return usageError{fmt.Errorf("--format %q: want one of %s", opts.format, strings.Join(report.Formats, ", "))}
	}
	filter := cmd.Flags().Changed("variants") || cmd.Flags().Changed("depths")
	out := opts.out
	if out == "" {
		out = opts.replot
	}
	if filter && filepath.Clean(out) == filepath.Clean(opts.replot) {
		return usageError{fmt.Errorf("--replot with --variants or --depths keeps a subset: give another --out, so that %s stays whole", opts.replot)}
	}
	rep, err := analysis.ReadGrads(opts.replot)
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("variants") {
		vs, err := analysis.ParseVariants(opts.variants)
		if err != nil {
			return usageError{fmt.Errorf("--variants: %w", err)}
		}
		var labels []string
		for _, v := range vs {
			labels = append(labels, v.Label)
		}
		rep.Runs = slices.DeleteFunc(rep.Runs, func(r analysis.GradsRun) bool { return !slices.Contains(labels, r.Variant) })
	}
	if cmd.Flags().Changed("depths") {
		ds, err := parseInts(opts.depths)
		if err != nil {
			return usageError{fmt.Errorf("--depths: %w", err)}
		}
		rep.Runs = slices.DeleteFunc(rep.Runs, func(r analysis.GradsRun) bool { return !slices.Contains(ds, r.Depth) })
	}
	if len(rep.Runs) == 0 {
		return usageError{fmt.Errorf("--replot %s: no run of the variants and depths asked for", opts.replot)}
	}
	return writeGrads(cmd, rep, out, opts.format, time.Now())
}

// writeGrads writes the folder and prints the table and what was written.
func writeGrads(cmd *cobra.Command, rep *analysis.GradsReport, out, format string, start time.Time) error {
	files, notes, err := analysis.WriteGrads(out, rep)
	if err != nil {
		return err
	}
	if err := analysis.SummaryTable(rep).Write(cmd.OutOrStdout(), format); err != nil {
		return err
	}
	log := cmd.ErrOrStderr()
	for _, n := range notes {
		fmt.Fprintln(log, "note:", n)
	}
	fmt.Fprintf(log, "wrote %d files to %s in %.0f s: %s\n", len(files), out, time.Since(start).Seconds(),
		strings.Join(baseNames(files), ", "))
	return nil
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}
