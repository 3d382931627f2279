package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
)

func init() {
	addCommand(newTranslateCmd)
	addCommand(newAverageCmd)
}

type translateOptions struct {
	checkpoint, run, input, device string
	beam                           int
	lenpen                         float64
	greedy                         bool
}

func newTranslateCmd() *cobra.Command {
	var o translateOptions
	cmd := &cobra.Command{
		Use:   "translate --checkpoint RUN/checkpoint_best.pt [-i FILE]",
		Short: "Translate raw text (one sentence a line) with a trained run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return translate(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file, e.g. RUN/checkpoint_best.pt (required)")
	f.StringVar(&o.run, "run", "", "run folder with config.json, dict.txt and codes.bpe (default: the checkpoint's folder)")
	f.StringVarP(&o.input, "input", "i", "", "input file (default: standard input)")
	f.StringVar(&o.device, "device", "auto", "auto, cpu, cuda or cuda:N")
	f.IntVar(&o.beam, "beam", 0, "beam size (default: the run's eval.beam)")
	f.Float64Var(&o.lenpen, "lenpen", -1, "length penalty; -1 keeps the run's eval.lenpen")
	f.BoolVar(&o.greedy, "greedy", false, "greedy search instead of beam search")
	_ = cmd.MarkFlagRequired("checkpoint")
	return cmd
}

func translate(cmd *cobra.Command, o translateOptions) error {
	device, err := torch.ParseDevice(o.device)
	if err != nil {
		return usageError{err}
	}
	if o.beam < 0 || (o.lenpen < 0 && o.lenpen != -1) || math.IsNaN(o.lenpen) || math.IsInf(o.lenpen, 0) {
		return usageError{fmt.Errorf("--beam %d --lenpen %v: want a beam >= 1 (0: the run's) and a finite length penalty >= 0", o.beam, o.lenpen)}
	}
	if o.greedy && o.beam > 0 {
		return usageError{fmt.Errorf("--greedy and --beam %d: greedy search keeps one hypothesis; give one of them", o.beam)}
	}
	if err := train.CheckFile("checkpoint", o.checkpoint); err != nil {
		return fmt.Errorf("--checkpoint: %w (give RUN/checkpoint_best.pt, RUN/checkpoint_last.pt, ...)", err)
	}
	run := o.run
	if run == "" {
		run = filepath.Dir(o.checkpoint)
	}
	p, err := nmt.LoadPipeline(run, o.checkpoint, device)
	if err != nil {
		return err
	}
	if o.beam > 0 {
		p.Translator.Gen.Beam = o.beam
	}
	if o.lenpen >= 0 {
		p.Translator.Gen.LenPenalty = o.lenpen
	}
	p.Translator.Greedy = p.Translator.Greedy || o.greedy
	lines, err := readInput(cmd.InOrStdin(), o.input)
	if err != nil {
		return err
	}
	out, truncated, err := p.TranslateLines(lines)
	if err != nil {
		return err
	}
	if truncated > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "zoo: %d input lines were longer than the model's max_positions and were cut to fit\n", truncated)
	}
	w := bufio.NewWriter(cmd.OutOrStdout())
	for _, l := range out {
		fmt.Fprintln(w, l)
	}
	return w.Flush()
}

func readInput(stdin io.Reader, path string) ([]string, error) {
	if path != "" {
		lines, err := nmt.ReadLines(path)
		if err != nil {
			return nil, err
		}
		return lines, nil
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("standard input: %w", err)
	}
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

func newAverageCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "average -o OUT.pt CHECKPOINT.pt...",
		Short: "Average the model weights of checkpoints (fairseq's average_checkpoints)",
		Long: `Average writes a checkpoint whose weights are the element-wise mean of the
given checkpoints' (of one model). Given a run folder instead of files, it
averages that folder's last 5 epoch checkpoints.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			if st, err := os.Stat(args[0]); err == nil && st.IsDir() && len(args) == 1 {
				all := train.RunDir{Path: args[0]}.EpochCheckpoints()
				paths = all[max(0, len(all)-5):]
			}
			if len(paths) == 0 {
				return fmt.Errorf("average: no epoch checkpoints in %s", args[0])
			}
			for _, p := range paths {
				if filepath.Clean(p) == filepath.Clean(out) {
					return usageError{fmt.Errorf("average: -o %s is one of the inputs; write the average elsewhere", out)}
				}
			}
			if err := train.AverageCheckpoints(paths, out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "averaged %d checkpoints into %s\n", len(paths), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "output checkpoint (required)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}
