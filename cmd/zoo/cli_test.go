package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runZoo runs the CLI in-process with args and returns stdout and the error.
func runZoo(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	// As main does: libtorch's thread settings (OpenMP's) and grad mode
	// are per OS thread, so the command must not move between threads.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

func TestListLayersTable(t *testing.T) {
	out, err := runZoo(t, "", "list", "layers")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"y = x + F(x)", "y = λ·x + F(x)", "y = LN(λ·x + F(x))", "y = LN(x + F(x))", "y = x + F(LN(x))",
		"f1 = LN(x + F(x)); fk = LN(x + f(k-1))", "order=2 shared_norm=false norm=layer eps=1e-05",
		"lambda=1", "Liu et al., COLING 2020",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("zoo list layers lacks %q:\n%s", want, out)
		}
	}
	for _, name := range []string{"plain", "scaled", "scaled-ln", "post-ln", "pre-ln", "rskip-ln"} {
		if !strings.Contains(out, "│ "+name+" ") {
			t.Errorf("zoo list layers has no row for %s", name)
		}
	}
}

func TestListLayersJSON(t *testing.T) {
	out, err := runZoo(t, "", "list", "layers", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []variantJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != 6 {
		t.Fatalf("%d variants, want 6", len(got))
	}
	for _, v := range got {
		if v.Name == "rskip-ln" {
			p := v.Params[0]
			if p.Name != "order" || p.Type != "int" || p.Default != float64(2) || p.Min == nil || *p.Min != 1 {
				t.Errorf("rskip-ln order param: %+v", p)
			}
			return
		}
	}
	t.Error("no rskip-ln in --json output")
}

func TestListLayersMarkdown(t *testing.T) {
	out, err := runZoo(t, "", "list", "layers", "--format", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "| name | formula |") || !strings.Contains(out, "| plain | y = x + F(x) |") {
		t.Errorf("markdown output:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []usageCase{
		{[]string{"list", "layres"}, `unknown command "layres" for "zoo list" (did you mean "layers"?)`},
		{[]string{"lst"}, `(did you mean "list"?)`},
		{[]string{"list", "layers", "--format", "xml"}, `format "xml": want one of text, markdown, csv, json`},
		{[]string{"--threads", "-2", "version"}, "--threads: threads = -2"},
		{[]string{"version", "--nope"}, "unknown flag: --nope"},
		{[]string{"version", "extra"}, `unknown command "extra"`},
		{[]string{"run"}, "requires at least 1 arg"},
		{[]string{"--threads", "100000", "version"}, "up to 1024"},
		{[]string{"run", "--format", "xml", "../../recipes/toy-rsln.toml"}, `--format "xml"`},
		{[]string{"list", "layers", "--json", "--format", "csv"}, "--json and --format"},
		{[]string{"translate", "--checkpoint", "x.pt", "--greedy", "--beam", "3"}, "--greedy and --beam 3"},
		{[]string{"completion", "bogus"}, `unknown shell "bogus" for "zoo completion"; known: bash, fish, powershell, zsh`},
		{[]string{"help", "bogus"}, `unknown help topic "bogus" for "zoo"`},
		{[]string{"help", "data", "bogus"}, `unknown help topic "bogus" for "zoo data"`},
		{[]string{"run", "--set", "train.lr", "../../recipes/toy-rsln.toml"}, `--set "train.lr": want key=value`},
		{[]string{"run", "--set", "train..x=1", "../../recipes/toy-rsln.toml"}, `--set "train..x=1": key "train..x": want dotted names`},
		{[]string{"run", "--set", "seeds=[1,", "../../recipes/toy-rsln.toml"}, `--set "seeds=[1,": value "[1," is not valid TOML`},
	}
	checkUsageErrors(t, cases)
}

// TestHelpAndCompletionStillWork: the stricter help and completion
// commands still serve what they know.
func TestHelpAndCompletionStillWork(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "run"}, "zoo run RECIPE.toml..."},
		{[]string{"help", "data", "get"}, "zoo data get"},
		{[]string{"help"}, "Available Commands"},
		{[]string{"completion"}, "Generate the autocompletion script"},
	} {
		out, err := runZoo(t, "", c.args...)
		if err != nil || !strings.Contains(out, c.want) {
			t.Errorf("%v: error %v, output lacks %q:\n%.300s", c.args, err, c.want, out)
		}
	}
}

// TestMissingFilesNamedPlainly: a checkpoint that does not exist is
// said to not exist, not to be "not a checkpoint file" or libtorch's
// "errno 2 on fopen".
func TestMissingFilesNamedPlainly(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.pt")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"translate", "--checkpoint", missing}, "--checkpoint: checkpoint " + missing + " does not exist"},
		{[]string{"translate", "--checkpoint", dir}, "is a folder, not a file"},
		{[]string{"average", "-o", filepath.Join(dir, "a.pt"), missing, missing + "2"}, "average: checkpoint " + missing + " does not exist"},
	}
	for _, c := range cases {
		_, err := runZoo(t, "", c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "errno") {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
		if exitCode(err) != 1 {
			t.Errorf("%v: exit %d, want 1", c.args, exitCode(err))
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := runZoo(t, "", "--threads", "1", "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v.Zoo != Version || !strings.HasPrefix(v.LibtorchVersion, "1.") && !strings.HasPrefix(v.LibtorchVersion, "2.") {
		t.Errorf("version %+v", v)
	}
	if v.IntraOpThreads != 1 || v.Device == "" {
		t.Errorf("--threads 1: intra-op %d, device %q", v.IntraOpThreads, v.Device)
	}
}

// usageCase is a command line that must fail as a usage error (exit 2)
// whose message contains want.
type usageCase struct {
	args []string
	want string
}

// checkUsageErrors runs every case and checks its error.
func checkUsageErrors(t *testing.T, cases []usageCase) {
	t.Helper()
	for _, c := range cases {
		_, err := runZoo(t, "", c.args...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%v: error %v, want a usage error (exit 2)", c.args, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %q lacks %q", c.args, err, c.want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{usageError{errors.New("--format x")}, 2},
		{errors.New(`required flag(s) "out" not set`), 2},
		{fmt.Errorf("interrupted at update 3 (state saved): %w", context.Canceled), 130},
		{errors.New("recipe r.toml: no such file"), 1},
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.err, got, c.want)
		}
	}
}
