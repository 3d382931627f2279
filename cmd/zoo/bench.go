package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/bench"
	"github.com/zoo-nn/zoo/report"
	"github.com/zoo-nn/zoo/torch"
)

func init() { addCommand(newBenchCmd) }

type benchOptions struct {
	models, variants, variantModels string
	format, out                     string
	child, verbose                  bool
	opts                            bench.Options
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure training and inference speed and memory, optionally against PyTorch",
		Long: `Bench times zoo's training step (forward, loss, backward, optimizer) and
inference (beam search, or an evaluation pass) for each model and residual
variant, each case in fresh child processes, and reports medians over
repetitions, FLOP/s against the measured GEMM ceiling, and peak and
steady resident memory. With --compare-pytorch, the PyTorch reference of
bench/ runs the same models on the same weights and batches, alternating
with zoo, and the table gives the ratio zoo/PyTorch (above 1: zoo is
faster). docs/performance.md describes the method and the columns.`,
		Example: `  zoo bench --quick --models tiny,resnet8
  zoo bench --compare-pytorch
  zoo bench --compare-pytorch --models small --variants post-ln,rskip-ln:order=2 --reps 7
  zoo bench --check --models small,resnet20 --variants post-ln,pre-ln,rskip-ln
  zoo bench --variant-table --models small --variant-models small,resnet20
  zoo bench --memory --models resnet20 --updates 5000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.child {
				return bench.Serve(cmd.InOrStdin(), cmd.OutOrStdout())
			}
			if err := o.resolve(cmd); err != nil {
				return usageError{err}
			}
			return runBench(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.models, "models", strings.Join(bench.DefaultModels, ","), "models, comma-separated (--memory: resnet20): "+strings.Join(bench.ModelNames(), ", "))
	f.StringVar(&o.variants, "variants", "", "residual variants, e.g. post-ln,rskip-ln:order=2 (default: post-ln for Transformers, plain for ResNets)")
	f.BoolVar(&o.opts.ComparePyTorch, "compare-pytorch", false, "run the PyTorch reference of bench/ too, alternating with zoo")
	f.BoolVar(&o.opts.Check, "check", false, "only check that zoo and PyTorch agree on the same weights and batch (parameters, loss, gradient norm, loss after one update)")
	f.BoolVar(&o.opts.Memory, "memory", false, "memory-flatness run: train --updates updates through the data pipeline, sampling RSS and live tensors")
	f.IntVar(&o.opts.Updates, "updates", 5000, "updates of a --memory run (--quick: 60)")
	f.BoolVar(&o.opts.VariantTable, "variant-table", false, "also time every residual variant against post-ln (zoo only) on --variant-models")
	f.StringVar(&o.variantModels, "variant-models", "small,resnet20", "models of --variant-table")
	f.IntVar(&o.opts.Reps, "reps", 5, "timed repetitions per implementation (--quick: 2)")
	f.IntVar(&o.opts.Warmup, "warmup", 1, "untimed training steps before the repetitions")
	f.IntVar(&o.opts.Steps, "steps", 2, "training steps per repetition (--quick: 1)")
	f.BoolVar(&o.opts.Quick, "quick", false, "smoke-test sizes: small batches, 2 repetitions of 1 step, a 512² GEMM")
	f.IntVar(&o.opts.Batch, "batch", 0, "training batch: sentences or images (0: the model's default, 128)")
	f.IntVar(&o.opts.Length, "length", 0, "longest training sentence in tokens, EOS included (0: 32)")
	f.IntVar(&o.opts.InferBatch, "infer-batch", 0, "inference set: sentences or images (0: 32 sentences, 500 images)")
	f.IntVar(&o.opts.GEMMSize, "gemm-size", 0, "side of the GEMM ceiling's square matrices (0: 2048, --quick: 512)")
	f.Float64Var(&o.opts.Tolerance, "tolerance", 1e-4, "relative difference --check accepts")
	f.StringVar(&o.format, "format", "text", "table format: "+strings.Join(report.Formats, ", ")+" (json: all results)")
	f.StringVar(&o.out, "out", "", "also write all results as JSON to this file")
	f.StringVar(&o.opts.Python, "python", "/usr/bin/python3", "Python with Debian's python3-torch, for the PyTorch side")
	f.StringVar(&o.opts.PyTorchDir, "pytorch-dir", "", "folder holding bench.py (default: bench/ of the zoo checkout found from here)")
	f.BoolVar(&o.verbose, "verbose", false, "copy the children's stderr to stderr")
	f.BoolVar(&o.child, "child", false, "serve the benchmark protocol on stdin/stdout (used by zoo bench itself)")
	_ = f.MarkHidden("child")
	return cmd
}

// resolve checks the flags and fills o.opts; every error is a usage
// error.
func (o *benchOptions) resolve(cmd *cobra.Command) error {
	if !slices.Contains(report.Formats, o.format) {
		return fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(report.Formats, ", "))
	}
	if o.opts.Memory && !cmd.Flags().Changed("models") {
		o.models = "resnet20" // the default set would take hours
	}
	models, err := bench.ParseModels(o.models)
	if err != nil {
		return fmt.Errorf("--models: %w", err)
	}
	o.opts.Models = models
	if o.variants != "" {
		if o.opts.Variants, err = bench.ParseVariants(o.variants); err != nil {
			return fmt.Errorf("--variants: %w", err)
		}
	}
	if o.opts.VariantModels, err = bench.ParseModels(o.variantModels); err != nil {
		return fmt.Errorf("--variant-models: %w", err)
	}
	if o.opts.Quick {
		changed := cmd.Flags().Changed
		if !changed("reps") {
			o.opts.Reps = 2
		}
		if !changed("steps") {
			o.opts.Steps = 1
		}
		if !changed("updates") {
			o.opts.Updates = 60
		}
	}
	if !(o.opts.Tolerance > 0) || math.IsInf(o.opts.Tolerance, 0) {
		return fmt.Errorf("--tolerance %g: want a finite, positive relative difference", o.opts.Tolerance)
	}
	if o.out != "" {
		if err := checkWritable(o.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	d := torch.Describe() // --threads and --blas-threads, as the root applied them
	o.opts.Threads = d.IntraOpThreads
	if d.OpenBLASThreads > 0 {
		o.opts.BLASThreads = d.OpenBLASThreads
	}
	v := o.opts
	return v.Validate()
}

// checkWritable makes sure that a file can be written at path, so that
// a benchmark of many minutes does not fail at its very end: its folder
// exists and takes files, and path is no folder.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: folder %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("%s: %s is not a folder", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder; give a file name", path)
	}
	f, err := os.CreateTemp(dir, ".zoo-bench-check-*")
	if err != nil {
		return fmt.Errorf("%s: folder %s is not writable: %w", path, dir, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

func runBench(cmd *cobra.Command, o benchOptions) error {
	o.opts.Log = cmd.ErrOrStderr()
	if o.verbose {
		o.opts.ChildStderr = cmd.ErrOrStderr()
	}
	res, err := bench.Run(o.opts)
	if err != nil {
		return err
	}
	if o.out != "" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, append(raw, '\n'), 0o644); err != nil {
			return err
		}
	}
	if err := res.Write(cmd.OutOrStdout(), o.format); err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("bench: %d of the measurements failed (see above)", len(res.Errors))
	}
	return nil
}
