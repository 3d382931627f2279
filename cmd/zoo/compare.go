package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/experiment"
	"github.com/zoo-nn/zoo/report"
)

func init() { addCommand(newCompareCmd) }

type compareOptions struct {
	format string
	sort   string
	desc   bool
	where  []string
}

func newCompareCmd() *cobra.Command {
	var opts compareOptions
	cmd := &cobra.Command{
		Use:   "compare DIR...",
		Short: "Print the comparison table of finished runs, without training",
		Long: `Compare finds every finished run (a folder holding done.json) in and
under the folders given, and prints one table per task. Runs whose
configurations differ only in their seed make one row, each figure as
mean ± standard deviation over the n runs; the best mean of each score
column is marked with *.`,
		Example: `  zoo compare runs/fmnist-sweep
  zoo compare runs/ --sort "top-1 %" --desc --where residual=rskip-ln --format markdown`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return compareRuns(cmd, args, opts) },
	}
	cmd.Flags().StringVar(&opts.format, "format", "text", "table format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVar(&opts.sort, "sort", "", "order the rows by this column (its header, e.g. \"test BLEU\")")
	cmd.Flags().BoolVar(&opts.desc, "desc", false, "with --sort: largest first")
	cmd.Flags().StringArrayVar(&opts.where, "where", nil, "keep rows whose column starts with a value, e.g. --where residual=scaled (repeatable)")
	return cmd
}

func compareRuns(cmd *cobra.Command, dirs []string, opts compareOptions) error {
	if !slices.Contains(report.Formats, opts.format) {
		return usageError{fmt.Errorf("--format %q: want one of %s", opts.format, strings.Join(report.Formats, ", "))}
	}
	if opts.desc && opts.sort == "" {
		return usageError{fmt.Errorf("--desc needs --sort COLUMN")}
	}
	outcomes, err := experiment.ReadOutcomes(cmd.ErrOrStderr(), dirs...)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	for i, t := range experiment.Tables(outcomes) {
		if t, err = experiment.Select(t, opts.where); err != nil {
			return usageError{err}
		}
		if opts.sort != "" {
			if t, err = experiment.SortBy(t, opts.sort, opts.desc); err != nil {
				return usageError{err}
			}
		}
		if i > 0 {
			fmt.Fprintln(cmd.OutOrStdout())
		}
		if err := t.Write(cmd.OutOrStdout(), opts.format); err != nil {
			return err
		}
	}
	return nil
}
