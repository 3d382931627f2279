package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/experiment"
)

func init() { addCommand(newPlotCmd) }

func newPlotCmd() *cobra.Command {
	var outDir string
	cmd := &cobra.Command{
		Use:   "plot DIR...",
		Short: "Draw the learning curves of finished runs as PNG figures",
		Long: `Plot finds every finished run (a folder holding done.json) in and under
the folders given, as compare does, and draws their learning curves
against the epoch: one line per group of runs that differ only in their
seed (the mean, with the min..max band shaded), training dashed and
validation or test solid. Translation runs give curves-loss.png and
curves-valid-ppl.png; classification runs curves-loss.png and
curves-top1.png (with more than one task or data set, one set of
figures each, named curves-<data>-<quantity>.png). It prints the paths
it writes.`,
		Example: `  zoo plot runs/fmnist-sweep
  zoo plot runs/multi30k-post-ln runs/multi30k-rsln -o figures/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return plotRuns(cmd, args, outDir) },
	}
	cmd.Flags().StringVarP(&outDir, "output", "o", "", "write the figures into this folder (default: the first DIR)")
	return cmd
}

func plotRuns(cmd *cobra.Command, dirs []string, outDir string) error {
	outcomes, err := experiment.ReadOutcomes(cmd.ErrOrStderr(), dirs...)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if outDir == "" {
		outDir = dirs[0]
	}
	paths, err := experiment.PlotCurves(outcomes, outDir)
	for _, p := range paths {
		fmt.Fprintln(cmd.OutOrStdout(), p)
	}
	var skipped *experiment.SkippedRunsError
	if errors.As(err, &skipped) && len(paths) > 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "zoo: warning:", err)
		return nil
	}
	return err
}
