package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/experiment"
	"github.com/zoo-nn/zoo/report"
)

func init() { addCommand(newRunCmd) }

type runOptions struct {
	sets    []string
	format  string
	runRoot string
}

func newRunCmd() *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run RECIPE.toml...",
		Short: "Train, decode and score each recipe, then print a comparison table",
		Long: `Run trains every recipe in turn (resuming any run folder that holds an
unfinished run, skipping finished ones), evaluates it and prints one table
comparing them. Ctrl-C saves the state; running again resumes.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRecipes(cmd, args, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.sets, "set", nil, "override a recipe key, e.g. --set train.max_epochs=2 (repeatable)")
	cmd.Flags().StringVar(&opts.format, "format", "text", "table format: "+strings.Join(report.Formats, ", "))
	cmd.Flags().StringVar(&opts.runRoot, "run-root", "", "put each run folder under this folder (as <run-root>/<name>) unless its recipe sets run_dir")
	return cmd
}

func runRecipes(cmd *cobra.Command, recipes []string, opts runOptions) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if ctx == nil {
		ctx = context.Background()
	}
	if !slices.Contains(report.Formats, opts.format) {
		return usageError{fmt.Errorf("--format %q: want one of %s", opts.format, strings.Join(report.Formats, ", "))}
	}
	for _, s := range opts.sets { // a malformed --set is a usage error (exit 2)
		if _, _, err := experiment.ParseOverride(s); err != nil {
			return usageError{err}
		}
	}
	dirs := map[string]string{}
	var loaded []experiment.Recipe
	for _, path := range recipes { // every recipe is checked before any trains
		rs, err := experiment.LoadRecipes(path, experiment.Options{Overrides: opts.sets, RunRoot: opts.runRoot})
		if err != nil {
			return err
		}
		for _, r := range rs {
			dir := r.Run().RunDir
			if other, dup := dirs[dir]; dup {
				return fmt.Errorf("recipes %s and %s would share the run folder %s: give them different names or run_dir", other, path, dir)
			}
			dirs[dir] = path
		}
		loaded = append(loaded, rs...)
	}
	v := currentVersion()
	env := experiment.Env{Zoo: v.Zoo, Commit: v.Commit, Go: runtime.Version(), Command: os.Args}
	out := cmd.ErrOrStderr()
	var outcomes []experiment.Outcome
	for _, r := range loaded {
		o, err := r.Execute(ctx, experiment.Options{Out: out, Env: env})
		if err != nil {
			return err
		}
		outcomes = append(outcomes, o)
	}
	for _, t := range experiment.Tables(outcomes) {
		fmt.Fprintln(cmd.OutOrStdout())
		if err := t.Write(cmd.OutOrStdout(), opts.format); err != nil {
			return usageError{fmt.Errorf("--format: %w", err)}
		}
	}
	writeRunPlots(out, loaded, outcomes, opts.runRoot)
	return nil
}

// writeRunPlots draws the learning curves of the runs just made: a
// sweep's into its sweep folder; all the runs together into the run
// root, or into the run's own folder when there is one run (unless
// they are one sweep's, already drawn). A failure is a warning: the
// runs are done.
func writeRunPlots(w io.Writer, loaded []experiment.Recipe, outcomes []experiment.Outcome, runRoot string) {
	type target struct {
		dir      string
		outcomes []experiment.Outcome
	}
	var targets []target
	sweeps := map[string]int{} // sweep folder -> index in targets
	allSweep := true
	for i, r := range loaded[:len(outcomes)] {
		if r.SweepDir == "" {
			allSweep = false
			continue
		}
		k, ok := sweeps[r.SweepDir]
		if !ok {
			k = len(targets)
			sweeps[r.SweepDir] = k
			targets = append(targets, target{dir: r.SweepDir})
		}
		targets[k].outcomes = append(targets[k].outcomes, outcomes[i])
	}
	switch {
	case allSweep && len(sweeps) == 1:
	case len(outcomes) == 1:
		targets = append(targets, target{loaded[0].Run().RunDir, outcomes})
	default:
		if runRoot == "" {
			runRoot = "runs"
		}
		targets = append(targets, target{runRoot, outcomes})
	}
	for _, t := range targets {
		paths, err := experiment.PlotCurves(t.outcomes, t.dir)
		if len(paths) > 0 {
			fmt.Fprintf(w, "learning curves: %s\n", strings.Join(paths, ", "))
		}
		if err != nil {
			fmt.Fprintf(w, "zoo: warning: %v\n", err)
		}
	}
}
