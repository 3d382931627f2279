package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// sampleResults is a hand-made result: zoo does 2 steps of 4,000 tokens
// in 2 s a repetition (4,000 tok/s), PyTorch in 2.5 s (3,200 tok/s).
func sampleResults() *Results {
	live0, live1 := 120, 120
	ok := true
	return &Results{
		Threads: 2, CPUs: 2, Reps: 3, Steps: 2, Warmup: 1,
		Ceiling: &Ceiling{N: 2048, Reps: 5, Zoo: 160, PyTorch: 158},
		Env:     map[string]string{"OMP_WAIT_POLICY": "PASSIVE"},
		Cases: []*Case{{
			Spec:  Spec{Model: "small", Label: "post-ln"},
			Model: &ModelDesc{Kind: KindTranslation, TrainFLOPs: 80e9, TrainItems: 4000, TrainUnit: "tok", InferItems: 32, InferUnit: "sent", BatchShape: "128x32", Generate: &GenerateDesc{Beam: 5}},
			Zoo: &Side{TrainSeconds: []float64{2, 2.2, 1.9}, TrainItems: []float64{8000, 8000, 8000}, InferSeconds: []float64{1, 1}, InferItems: 32,
				Peak: 2048 * 1024, Steady: 1024 * 1024, LiveBefore: &live0, LiveAfter: &live1,
				Check: &CheckResult{Params: 7, Loss: 9.1, GradNorm: 1.5, LossAfter: 9}},
			PyTorch: &Side{TrainSeconds: []float64{2.5, 2.5, 2.6}, TrainItems: []float64{8000, 8000, 8000}, InferSeconds: []float64{2, 2}, InferItems: 32,
				Peak: 1900 * 1024, Steady: 1000 * 1024, Check: &CheckResult{Params: 7, Loss: 9.1, GradNorm: 1.5, LossAfter: 9}},
			SameHyps: 31, Sentences: 32, CheckOK: &ok, CheckNote: "max rel diff 0",
		}},
		Variants: []*VariantCost{{Model: "small", Variant: "post-ln", StepSeconds: 1, PostLN: 1, Relative: 1},
			{Model: "small", Variant: "rskip-ln:order=2", StepSeconds: 1.1, PostLN: 1, Relative: 1.1}},
		Memory: []*MemoryResult{{Model: "resnet20", Variant: "plain", Batch: 128, Updates: 5000, GrowthPercent: 0.5, DataWaitPercent: 0.2, UpdatesPerS: 3,
			Samples: []MemorySample{{Update: 500, RSS: RSS{RSSKB: 1000 * 1024}, Live: 60}, {Update: 5000, RSS: RSS{RSSKB: 1005 * 1024}, Live: 60}}}},
	}
}

func TestTables(t *testing.T) {
	r := sampleResults()
	tables := r.Tables()
	if len(tables) != 5 {
		t.Fatalf("%d tables, want training, inference, check, variants, memory", len(tables))
	}
	train := tables[0].Table
	row := train.Rows[0]
	cell := func(col string) string {
		for i, h := range train.Header {
			if h == col {
				return row[i]
			}
		}
		t.Fatalf("no column %q in %v", col, train.Header)
		return ""
	}
	// Medians: zoo 8000/2 = 4000 tok/s, PyTorch 8000/2.5 = 3200.
	for col, want := range map[string]string{
		"zoo": "4000 tok/s", "PyTorch": "3200 tok/s", "zoo/PyTorch": "1.25",
		// median step 1 s: 80 GFLOP/s, half of the 160 ceiling
		"zoo GFLOP/s": "80.0", "% of GEMM": "50%",
		"peak RSS MiB": "2048 / 1900", "steady RSS MiB": "1024 / 1000", "live tensors": "120 → 120",
		"batch": "128x32 (4000 tok)",
	} {
		if got := cell(col); got != want {
			t.Errorf("training %s = %q, want %q", col, got, want)
		}
	}
	infer := tables[1].Table.Rows[0]
	if !strings.Contains(strings.Join(infer, "|"), "32.0 sent/s|16.0 sent/s|2.00|31/32") {
		t.Errorf("inference row %v", infer)
	}
	if v := tables[3].Table.Rows[1]; v[4] != "1.100" {
		t.Errorf("variant row %v", v)
	}
	if m := tables[4].Table.Rows[0]; m[7] != "+0.50" || m[8] != "60 → 60" {
		t.Errorf("memory row %v", m)
	}
}

func TestWriteFormats(t *testing.T) {
	r := sampleResults()
	var md bytes.Buffer
	if err := r.Write(&md, "markdown"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GEMM ceiling 160 GFLOP/s", "torch.mm 158", "**Training step", "| small | post-ln | 128x32 (4000 tok) | 4000 tok/s | 3200 tok/s | 1.25 |", "OMP_WAIT_POLICY=PASSIVE"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	var js bytes.Buffer
	if err := r.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Cases[0].Zoo.TrainRate() != 4000 {
		t.Errorf("json round trip: %v, %+v", err, back.Cases)
	}
	r.Errors = []string{"base post-ln: boom"}
	var txt bytes.Buffer
	if err := r.Write(&txt, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "error: base post-ln: boom") || !strings.Contains(txt.String(), "│ small") {
		t.Errorf("text output:\n%s", txt.String())
	}
	if err := r.Write(&txt, "xml"); err == nil {
		t.Error("format xml accepted")
	}
}

func TestCompareChecks(t *testing.T) {
	a := CheckResult{Params: 10, Loss: 2, GradNorm: 1, LossAfter: 1.9}
	if ok, note := CompareChecks(a, a, 1e-4); !ok {
		t.Errorf("equal results rejected: %s", note)
	}
	b := a
	b.Loss = 2.0001 // rel 5e-5
	if ok, _ := CompareChecks(a, b, 1e-4); !ok {
		t.Error("5e-5 rejected at 1e-4")
	}
	b.Loss, b.Params = 2.01, 11
	ok, note := CompareChecks(a, b, 1e-4)
	if ok || !strings.Contains(note, "parameters 10 vs 11") || !strings.Contains(note, "loss 2 vs 2.01") {
		t.Errorf("different results: %v %s", ok, note)
	}
	if s, n := sameHyps([][]int64{{1, 2}, {3}}, [][]int64{{1, 2}, {4}, {5}}); s != 1 || n != 3 {
		t.Errorf("sameHyps = %d/%d", s, n)
	}
}
