// Command zoo trains, compares and analyses residual-connection variants.
//
// Each subcommand lives in its own file and registers itself with
// addCommand from an init function; this file only builds the root and
// maps errors to exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/registry"
	"github.com/zoo-nn/zoo/torch"
)

// commandFactories holds one constructor per subcommand, filled by init
// functions so that adding a command never edits this file.
var commandFactories []func() *cobra.Command

func addCommand(f func() *cobra.Command) { commandFactories = append(commandFactories, f) }

// usageError marks errors caused by how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// groupCmd is a command that only holds subcommands: run bare it prints
// its help, and an unknown subcommand is a usage error with suggestions
// (cobra alone would print the help and exit 0).
func groupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE:  runGroup,
	}
}

// runGroup is the RunE of a command that only holds subcommands.
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return unknownCommand(cmd, args[0], "command")
}

// unknownCommand is the usage error for name, not a subcommand of cmd.
func unknownCommand(cmd *cobra.Command, name, what string) error {
	msg := fmt.Sprintf("unknown %s %q for %q", what, name, cmd.CommandPath())
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if s := registry.Closest(name, names, 1); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usageError{fmt.Errorf("%s; known: %s", msg, strings.Join(names, ", "))}
}

// newHelpCmd replaces cobra's help command, which prints the root's help
// and exits 0 for a topic it does not know.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help prints the help of any command: zoo help [path to command].",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				parent := target
				if parent == nil {
					parent = c.Root()
				}
				name := strings.Join(args, " ")
				if len(rest) > 0 {
					name = rest[0]
				}
				return unknownCommand(parent, name, "help topic")
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// fixCompletionCmd makes cobra's completion command, which only holds a
// subcommand per shell, refuse an unknown shell (cobra would print its
// help and exit 0).
func fixCompletionCmd(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" && !c.Runnable() {
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return cmd.Help()
				}
				return unknownCommand(cmd, args[0], "shell")
			}
		}
	}
}

func newRootCmd() *cobra.Command {
	root := groupCmd("zoo", "Residual connections and normalization, compared by name")
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	var threads torch.Threads
	root.PersistentFlags().IntVar(&threads.IntraOp, "threads", 0,
		"intra-op threads for libtorch and OpenBLAS (0 = one per core)")
	root.PersistentFlags().IntVar(&threads.BLAS, "blas-threads", 0,
		"OpenBLAS threads, when they should differ from --threads (0 = same)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if _, err := threads.Apply(); err != nil {
			return usageError{fmt.Errorf("--threads: %w", err)}
		}
		return nil
	}
	for _, f := range commandFactories {
		root.AddCommand(f())
	}
	root.SetHelpCommand(newHelpCmd())
	fixCompletionCmd(root)
	markArgErrors(root)
	return root
}

// markArgErrors makes argument-count errors usage errors (exit 2), as
// flag errors are, throughout the command tree.
func markArgErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markArgErrors(sub)
	}
}

// libtorch keeps grad mode and the last error per OS thread, so every
// call into it must come from one thread: the main goroutine is pinned to
// the main thread, and libtorch is only called from it.
func init() { runtime.LockOSThread() }

func main() {
	reexecTuned()
	err := newRootCmd().Execute()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "zoo:", err)
	os.Exit(exitCode(err))
}

// exitCode is 2 for a usage error, 130 for a run stopped by Ctrl-C or
// SIGTERM after saving its state (as shells report an interrupted
// command, so scripts can tell it from a failure), 1 otherwise.
func exitCode(err error) int {
	var u usageError
	switch {
	// cobra reports missing required flags as a plain error.
	case errors.As(err, &u) || strings.HasPrefix(err.Error(), "required flag"):
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}
