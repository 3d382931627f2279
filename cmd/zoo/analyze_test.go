package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/analysis"
	"github.com/zoo-nn/zoo/dataset"
)

func TestAnalyzeGradsUsageErrors(t *testing.T) {
	cases := []usageCase{
		{[]string{"analyze", "grads"}, "--model: want one of transformer, resnet"},
		{[]string{"analyze", "grads", "--model", "lstm"}, `model "lstm": want one of transformer, resnet`},
		{[]string{"analyze", "grads", "--model", "resnet", "--depths", "21"},
			"resnet depth 21: vision config: depth = 21: basic blocks need depth = 6n+2 with n >= 1 (8, 14, 20, 26, ...; the papers use 20, 32, 44, 56, 110)"},
		{[]string{"analyze", "grads", "--model", "resnet", "--depths", "20,x"}, `--depths: "x" is not an integer`},
		{[]string{"analyze", "grads", "--model", "transformer", "--variants", "plain;scaled:lamda=2"},
			`--variants: variant spec "scaled:lamda=2": residual variant "scaled": unknown parameter "lamda"; allowed: lambda`},
		{[]string{"analyze", "grads", "--model", "transformer", "--variants", "rskip"},
			`unknown residual variant "rskip" (did you mean "rskip-ln"`},
		{[]string{"analyze", "grads", "--model", "transformer", "--arch", "preresnet"}, "--arch applies to --model resnet only"},
		{[]string{"analyze", "grads", "--model", "resnet", "--max-tokens", "100"}, "--max-tokens applies to --model transformer only"},
		{[]string{"analyze", "grads", "--model", "resnet", "--data", "mnist"}, `data "mnist": the resnet analysis reads one of fmnist, cifar10, cifar100, cifar10-jpg`},
		{[]string{"analyze", "grads", "--model", "transformer", "--steps", "10,5"}, "want ascending step counts"},
		{[]string{"analyze", "grads", "--model", "resnet", "--format", "xml"}, `--format "xml"`},
		{[]string{"analyze", "grads", "--model", "resnet", "--optimizer", "rmsprop"}, `optimizer "rmsprop": want one of sgd, adam`},
		{[]string{"analyze", "grads", "--replot", "somewhere", "--model", "resnet", "--seed", "2"}, "--replot measures nothing: --model, --seed do not apply"},
		{[]string{"analyze", "grad"}, `unknown command "grad" for "zoo analyze" (did you mean "grads"?)`},
	}
	checkUsageErrors(t, cases)
}

// TestAnalyzeGradsFashionMNIST runs the command on real Fashion-MNIST
// batches (a depth-8 ResNet, two variants, one checkpoint after a
// training step) and checks its table and files. Skipped when the data
// set is not installed.
func TestAnalyzeGradsFashionMNIST(t *testing.T) {
	if _, err := dataset.Path("fmnist", "train-images-idx3-ubyte.gz"); err != nil {
		t.Skipf("fmnist not available: %v", err)
	}
	out := t.TempDir()
	stdout, err := runZoo(t, "", "--threads", "1", "analyze", "grads", "--model", "resnet", "--depths", "8",
		"--variants", "plain;scaled:lambda=2", "--batches", "1", "--batch-size", "16", "--steps", "1",
		"--out", out, "--format", "csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if !strings.Contains(stdout, "variant,depth,step,loss,") || !strings.Contains(stdout, "\nscaled:lambda=2,8,1,") {
		t.Errorf("summary table:\n%s", stdout)
	}
	for _, f := range []string{"grads.json", "summary.md", "grads-input-depth8.png", "grads-params-depth8.png", "grads-input-depth8-step1.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "grads.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep analysis.GradsReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Model != "resnet" || rep.Arch != "resnet" || len(rep.Runs) != 2 || rep.Runs[0].NumBlocks != 3 ||
		!strings.HasPrefix(rep.Data, "fmnist train (60000 images of 1x28x28)") || rep.Measured != 16 {
		t.Errorf("grads.json: %+v", rep)
	}
	again := t.TempDir()
	replotted, err := runZoo(t, "", "analyze", "grads", "--replot", out, "--out", again, "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := csvRows(replotted), csvRows(stdout); len(a) != 5 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("--replot table differs:\n%s\nwant\n%s", a, b)
	}
	if _, err := os.Stat(filepath.Join(again, "grads-input-depth8-step1.png")); err != nil {
		t.Errorf("--replot: %v", err)
	}
	sub := t.TempDir()
	picked, err := runZoo(t, "", "analyze", "grads", "--replot", out, "--variants", "scaled:lambda=2", "--out", sub, "--format", "csv")
	if err != nil || len(csvRows(picked)) != 3 || !strings.Contains(picked, "\nscaled:lambda=2,8,0,") {
		t.Errorf("--replot --variants: %v\n%s", err, picked)
	}
	if _, err := runZoo(t, "", "analyze", "grads", "--replot", out, "--depths", "8"); err == nil || !strings.Contains(err.Error(), "give another --out") {
		t.Errorf("--replot --depths into the same folder: error %v", err)
	}
	if _, err := runZoo(t, "", "analyze", "grads", "--replot", t.TempDir()); err == nil || !strings.Contains(err.Error(), "grads.json") {
		t.Errorf("--replot of an empty folder: error %v", err)
	}
}

// csvRows picks the summary table's lines (header and rows) out of the
// command's output, which also holds its log.
func csvRows(out string) []string {
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "variant,") || strings.Count(l, ",") == 9 && !strings.Contains(l, " ") {
			rows = append(rows, l)
		}
	}
	return rows
}
