package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/bench"
)

func TestBenchUsageErrors(t *testing.T) {
	checkUsageErrors(t, []usageCase{
		{[]string{"bench", "--models", "smal"}, `--models: unknown model "smal" (did you mean "small"?); known: `},
		{[]string{"bench", "--models", "resnet21"}, "preresnet164, resnet110, resnet20"},
		{[]string{"bench", "--variants", "rskip-ln:order=x"}, `--variants: variant spec "rskip-ln:order=x"`},
		{[]string{"bench", "--variants", "post-lm"}, `unknown residual variant "post-lm"`},
		{[]string{"bench", "--variants", "order=2"}, "a parameter without a variant"},
		{[]string{"bench", "--reps", "0"}, "--reps 0: want at least 1 repetition"},
		{[]string{"bench", "--steps", "0"}, "--steps 0"},
		{[]string{"bench", "--warmup", "-1"}, "--warmup -1"},
		{[]string{"bench", "--format", "xml"}, `--format "xml"`},
		{[]string{"bench", "--memory", "--compare-pytorch"}, "--memory runs zoo alone"},
		{[]string{"bench", "--memory", "--updates", "0"}, "--updates 0"},
		{[]string{"bench", "--check", "--variant-table"}, "--check and --variant-table"},
		{[]string{"bench", "--tolerance", "0"}, "--tolerance 0"},
		{[]string{"bench", "--variant-models", "nope"}, "--variant-models: unknown model"},
		{[]string{"bench", "extra"}, `unknown command "extra"`},
		{[]string{"bench", "--reps", "x"}, `invalid argument "x"`},
		{[]string{"bench", "--gemm-size", "-5"}, "--gemm-size -5"},
		{[]string{"bench", "--length", "1"}, "--length 1: want at least 2 tokens"},
		{[]string{"bench", "--tolerance", "nan"}, "--tolerance NaN"},
		{[]string{"bench", "--out", "/no-such-folder-zoo/x.json"}, "--out: /no-such-folder-zoo/x.json: folder /no-such-folder-zoo does not exist"},
		{[]string{"bench", "--out", t.TempDir()}, "is a folder; give a file name"},
	})
}

// TestBenchChild speaks the child protocol through the CLI.
func TestBenchChild(t *testing.T) {
	spec := bench.Spec{Model: bench.TinyResNet, Batch: 2, InferBatch: 2, Image: 8}
	setup, _ := json.Marshal(bench.Request{Cmd: "setup", Spec: &spec})
	in := string(setup) + "\n" + `{"cmd":"train","steps":1}` + "\n" + `{"cmd":"stats"}` + "\n" + `{"cmd":"quit"}` + "\n"
	out, err := runZoo(t, in, "--threads", "1", "bench", "--child")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d answers, want 4:\n%s", len(lines), out)
	}
	for i, l := range lines {
		var r bench.Response
		if err := json.Unmarshal([]byte(l), &r); err != nil || !r.OK {
			t.Errorf("answer %d: %v %s", i, err, l)
		}
		if i == 0 && (r.Model == nil || r.Model.Kind != bench.KindClassification || r.Info.Threads != 1) {
			t.Errorf("setup answer %s", l)
		}
	}
}
