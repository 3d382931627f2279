package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// serveScript runs Serve on the given lines and returns its answers.
func serveScript(t *testing.T, lines ...string) []Response {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out bytes.Buffer
	if err := Serve(strings.NewReader(strings.Join(lines, "\n")+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	var resps []Response
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r Response
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("answer %q: %v", sc.Text(), err)
		}
		resps = append(resps, r)
	}
	return resps
}

func line(t *testing.T, r Request) string {
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestServeProtocol drives a zoo child's protocol in-process: errors
// answer OK false and leave the child usable, every command answers one
// line, quit ends the session.
func TestServeProtocol(t *testing.T) {
	spec, err := Spec{Model: TinyNMT, Vocab: 50, Batch: 3, Length: 6, InferBatch: 2, InferLength: 5, Beam: 2, MaxLenB: 4}.Defaults(true)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	resps := serveScript(t,
		line(t, Request{Cmd: "train"}),
		"{not json",
		line(t, Request{Cmd: "setup", Spec: &spec, Dir: dir}),
		line(t, Request{Cmd: "setup", Spec: &spec}),
		line(t, Request{Cmd: "train", Steps: 2}),
		line(t, Request{Cmd: "infer", Hyps: true}),
		line(t, Request{Cmd: "check"}),
		line(t, Request{Cmd: "stats"}),
		line(t, Request{Cmd: "gemm", N: 32, Reps: 2}),
		line(t, Request{Cmd: "nope"}),
		line(t, Request{Cmd: "quit"}),
		line(t, Request{Cmd: "stats"}), // never read
	)
	if len(resps) != 11 {
		t.Fatalf("%d answers, want 11: %+v", len(resps), resps)
	}
	wantErr := map[int]string{0: "train before setup", 1: "request", 3: "setup twice", 9: `unknown command "nope"`}
	for i, r := range resps {
		if want, bad := wantErr[i]; bad {
			if r.OK || !strings.Contains(r.Error, want) {
				t.Errorf("answer %d = %+v, want an error containing %q", i, r, want)
			}
		} else if !r.OK {
			t.Errorf("answer %d failed: %s", i, r.Error)
		}
	}
	setup := resps[2]
	if setup.Model == nil || setup.Model.NMT == nil || setup.Model.NMT.DModel != 64 || setup.Params != setup.Model.Params || setup.Info.Impl != "zoo" {
		t.Errorf("setup answer %+v", setup)
	}
	if setup.Model.TrainFLOPs <= 0 || setup.Model.TrainItems <= 0 || setup.Model.Optim.Name != "adam" {
		t.Errorf("setup model %+v", setup.Model)
	}
	if tr := resps[4]; len(tr.Seconds) != 2 || tr.Items[0] != setup.Model.TrainItems || !(tr.Loss > 0) {
		t.Errorf("train answer %+v", tr)
	}
	if inf := resps[5]; len(inf.Hyps) != 2 || len(inf.Hyps[0]) == 0 || inf.Items[0] != 2 {
		t.Errorf("infer answer %+v", inf)
	}
	if c := resps[6].Check; c == nil || c.Params != setup.Params || !(c.Loss > 0) || !(c.GradNorm > 0) || !(c.LossAfter > 0) {
		t.Errorf("check answer %+v", resps[6])
	}
	if s := resps[7]; s.RSS == nil || s.RSS.RSSKB <= 0 || s.Live == nil || *s.Live <= 0 {
		t.Errorf("stats answer %+v", s)
	}
	if g := resps[8]; !(g.GFLOPs > 0) {
		t.Errorf("gemm answer %+v", g)
	}
	// The export holds every variable and the batches, by name.
	idx, vals, err := ReadExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]ExportEntry{}
	for _, e := range idx.Tensors {
		names[e.Name] = e
	}
	for _, want := range []string{"encoder.embed_tokens.weight", "encoder.layers.0.self_attn.in_proj_weight",
		"decoder.layers.1.encoder_attn_residual.norm.bias", "batch:src", "batch:prev", "batch:target", "infer:src"} {
		if _, ok := names[want]; !ok {
			t.Errorf("export lacks %s", want)
		}
	}
	if e := names["batch:target"]; e.DType != "int64" || e.Shape[0] != 3 {
		t.Errorf("batch:target entry %+v", e)
	}
	for _, v := range vals["batch:src"] {
		if v < 1 || v >= 50 {
			t.Fatalf("batch:src holds %v: want token ids in [1, 50)", v)
		}
	}
}

// TestExportRoundTrip: values come back exactly, across the chunk
// boundary of the writer.
func TestExportRoundTrip(t *testing.T) {
	n := exportChunk + 3
	f := make([]float32, n)
	for i := range f {
		f[i] = float32(i)*0.5 - 7
	}
	ft := torch.Must(ts.OfSlice(f))
	it := torch.Must(torch.Must(ts.OfSlice([]int64{-3, 0, 1 << 40, 5, 6, 7})).View([]int64{2, 3}, true))
	defer torch.Free(ft, it)
	dir := t.TempDir()
	if err := WriteExport(dir, []ts.NamedTensor{{Name: "f", Tensor: ft}, {Name: "i", Tensor: it}}); err != nil {
		t.Fatal(err)
	}
	idx, vals, err := ReadExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e := idx.Tensors[1]; e.Name != "i" || e.Offset != int64(4*n) || e.Bytes != 48 || e.Shape[0] != 2 || e.Shape[1] != 3 {
		t.Errorf("index entry %+v", e)
	}
	for i, v := range vals["f"] {
		if v != float64(f[i]) {
			t.Fatalf("f[%d] = %v, want %v", i, v, f[i])
		}
	}
	if got := vals["i"]; got[0] != -3 || got[2] != 1<<40 || got[5] != 7 {
		t.Errorf("i = %v", got)
	}
	bad := torch.Must(ts.OfSlice([]float64{1}))
	defer torch.Free(bad)
	if err := WriteExport(t.TempDir(), []ts.NamedTensor{{Name: "d", Tensor: bad}}); err == nil || !strings.Contains(err.Error(), "float32 or int64") {
		t.Errorf("float64 export: %v", err)
	}
}

// TestSuiteChildren runs the suite end to end with zoo children (this
// test binary serving the protocol): a Transformer and a ResNet, the
// variant table and the memory run, at smoke-test sizes.
func TestSuiteChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	defer func(v []string) { VariantTableVariants = v }(VariantTableVariants)
	VariantTableVariants = []string{"post-ln", "rskip-ln:order=2"}
	o := testOptions(t)
	o.Models = []string{TinyNMT, TinyResNet}
	o.VariantTable, o.VariantModels = true, []string{TinyNMT}
	o.GEMMSize, o.GEMMReps = 64, 1
	res, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 || len(res.Cases) != 2 {
		t.Fatalf("errors %v, %d cases", res.Errors, len(res.Cases))
	}
	for _, c := range res.Cases {
		z := c.Zoo
		if !(z.TrainRate() > 0) || !(z.InferRate() > 0) || z.Peak < z.Steady || z.Steady <= 0 || c.PyTorch != nil {
			t.Errorf("%s: %+v", c.Spec.Model, z)
		}
		if *z.LiveBefore != *z.LiveAfter {
			t.Errorf("%s: live tensors %d before the repetitions, %d after", c.Spec.Model, *z.LiveBefore, *z.LiveAfter)
		}
	}
	if !(res.Ceiling.Zoo > 0) {
		t.Errorf("ceiling %+v", res.Ceiling)
	}
	if len(res.Variants) != 2 || res.Variants[0].Variant != "post-ln" || res.Variants[0].Relative != 1 ||
		res.Variants[1].Variant != "rskip-ln:order=2" || !(res.Variants[1].Relative > 0) || res.Variants[0].StepSeconds != res.Variants[1].PostLN {
		t.Errorf("variant table %+v, %+v", res.Variants[0], res.Variants[len(res.Variants)-1])
	}

	o = testOptions(t)
	o.Models, o.Memory, o.Updates = []string{TinyNMT, TinyResNet}, true, 6
	res, err = Run(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Memory {
		if m.Error != "" || len(m.Samples) != 6 || m.Samples[5].Update != 6 || m.LiveGrowth != 0 || !(m.UpdatesPerS > 0) {
			t.Errorf("memory run %+v", m)
		}
	}

}

func TestChildEnv(t *testing.T) {
	env := childEnv([]string{"HOME=/h", "OMP_NUM_THREADS=7", "OMP_WAIT_POLICY=PASSIVE"}, 2, 3)
	want := []string{"HOME=/h", "OMP_WAIT_POLICY=PASSIVE", "OMP_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=3", "MKL_NUM_THREADS=2"}
	if strings.Join(env, " ") != strings.Join(want, " ") {
		t.Errorf("childEnv = %v, want %v", env, want)
	}
	if r := ReportedEnv(env); r["OMP_WAIT_POLICY"] != "PASSIVE" || r["OPENBLAS_NUM_THREADS"] != "3" || r["HOME"] != "" {
		t.Errorf("ReportedEnv = %v", r)
	}
	if _, err := FindPyTorchDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no bench.py") {
		t.Errorf("FindPyTorchDir(empty dir) = %v", err)
	}
	if d, err := FindPyTorchDir(""); err != nil || !strings.HasSuffix(d, "/bench") {
		t.Errorf("FindPyTorchDir from the checkout = %q, %v", d, err)
	}
}
