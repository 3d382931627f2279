package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// tinyModel is y = tanh(x·W) with a batch-norm-like buffer, enough to
// exercise parameters, buffers and optimizer state.
type tinyModel struct {
	vs     *nn.VarStore
	w, buf *ts.Tensor
	opt    *Adam
}

func newTinyModel(t *testing.T, seed int64) *tinyModel {
	t.Helper()
	torch.ManualSeed(seed)
	vs := nn.NewVarStore(gotch.CPU)
	m := &tinyModel{vs: vs}
	m.w = vs.Root().MustRandn("w", []int64{4, 3}, 0, 1)
	m.buf = vs.Root().MustZerosNoTrain("running", []int64{3})
	params, err := Params(vs)
	if err != nil {
		t.Fatal(err)
	}
	if m.opt, err = NewAdam(params, DefaultAdam()); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *tinyModel) step(x *ts.Tensor) {
	m.opt.ZeroGrad()
	y := torch.Must(torch.Must(x.Matmul(m.w, false)).Tanh(true))
	loss := torch.Must(torch.Must(y.Square(true)).Sum(gotch.Float, true))
	torch.Check(loss.Backward())
	m.opt.Step(0.05)
	torch.NoGrad(func() { torch.Check(m.buf.AddScalar_(ts.FloatScalar(1))) })
}

// TestResumeIsExact: 3 steps, checkpoint, a fresh model loads it and does
// 3 more steps; it must end bit-identical to 6 uninterrupted steps.
func TestResumeIsExact(t *testing.T) {
	x := torch.Must(ts.Randn([]int64{5, 4}, gotch.Float, gotch.CPU))
	straight := newTinyModel(t, 1)
	for i := 0; i < 6; i++ {
		straight.step(x)
	}

	first := newTinyModel(t, 1)
	for i := 0; i < 3; i++ {
		first.step(x)
	}
	path := filepath.Join(t.TempDir(), "checkpoint_last.pt")
	if err := SaveCheckpoint(path, first.vs, first.opt, Meta{Updates: first.opt.Steps(), Epoch: 1, Batch: 3}); err != nil {
		t.Fatal(err)
	}
	resumed := newTinyModel(t, 99) // different init: everything must come from the file
	meta, err := LoadCheckpoint(path, resumed.vs, resumed.opt)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Updates != 3 || meta.Epoch != 1 || meta.Batch != 3 {
		t.Fatalf("meta %+v", meta)
	}
	for i := 0; i < 3; i++ {
		resumed.step(x)
	}
	for _, pair := range [][2]*ts.Tensor{{straight.w, resumed.w}, {straight.buf, resumed.buf}} {
		a, b := pair[0].Float64Values(), pair[1].Float64Values()
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("value %d: resumed %v, uninterrupted %v", i, b[i], a[i])
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("checkpoint folder holds %d entries, want only the checkpoint (no temporaries)", len(entries))
	}
}

func TestLoadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	m := newTinyModel(t, 1)
	good := filepath.Join(dir, "good.pt")
	if err := SaveCheckpoint(good, m.vs, m.opt, Meta{}); err != nil {
		t.Fatal(err)
	}
	other := nn.NewVarStore(gotch.CPU)
	other.Root().MustZeros("w", []int64{2, 2})
	other.Root().MustZerosNoTrain("running", []int64{3})
	if _, err := LoadCheckpoint(good, other, nil); err == nil || !strings.Contains(err.Error(), "variable w has shape [4 3], the model wants [2 2]") {
		t.Errorf("shape mismatch: %v", err)
	}
	missing := nn.NewVarStore(gotch.CPU)
	missing.Root().MustZeros("v", []int64{4, 3})
	if _, err := LoadCheckpoint(good, missing, nil); err == nil || !strings.Contains(err.Error(), "variable v is missing") {
		t.Errorf("missing variable: %v", err)
	}
	if _, err := LoadCheckpoint(filepath.Join(dir, "nope.pt"), m.vs, nil); err == nil || !strings.Contains(err.Error(), "nope.pt does not exist") {
		t.Errorf("missing file: %v", err)
	}
	if st, err := os.Stat(good); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o644 {
		t.Errorf("checkpoint mode %v, want 0644", st.Mode().Perm())
	}
	torn := filepath.Join(dir, "torn.pt")
	raw, _ := os.ReadFile(good)
	os.WriteFile(torn, raw[:len(raw)/2], 0o644)
	if _, err := LoadCheckpoint(torn, m.vs, nil); err == nil || !strings.Contains(err.Error(), "torn.pt") {
		t.Errorf("torn file: %v", err)
	}
}

func TestAverageCheckpoints(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	var want []float64
	for i, seed := range []int64{1, 2, 3} {
		m := newTinyModel(t, seed)
		vals := m.w.Float64Values()
		if want == nil {
			want = make([]float64, len(vals))
		}
		for j, v := range vals {
			want[j] += v / 3
		}
		p := filepath.Join(dir, fmt.Sprintf("checkpoint%d.pt", i+1))
		if err := SaveCheckpoint(p, m.vs, m.opt, Meta{Updates: int64(10 * (i + 1))}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out := filepath.Join(dir, "averaged.pt")
	if err := AverageCheckpoints(paths, out); err != nil {
		t.Fatal(err)
	}
	m := newTinyModel(t, 9)
	meta, err := LoadCheckpoint(out, m.vs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Updates != 30 {
		t.Errorf("meta %+v: want the last checkpoint's", meta)
	}
	for j, v := range m.w.Float64Values() {
		if math.Abs(v-want[j]) > 1e-6 {
			t.Fatalf("w[%d] = %v, want the mean %v", j, v, want[j])
		}
	}
	other := nn.NewVarStore(gotch.CPU)
	other.Root().MustZeros("x", []int64{2})
	if err := SaveCheckpoint(filepath.Join(dir, "other.pt"), other, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := AverageCheckpoints([]string{paths[0], filepath.Join(dir, "other.pt")}, out); err == nil || !strings.Contains(err.Error(), "not the same model") {
		t.Errorf("averaging different models: %v", err)
	}
	missing := filepath.Join(dir, "missing.pt")
	if err := AverageCheckpoints([]string{paths[0], missing}, out); err == nil || err.Error() != "average: checkpoint "+missing+" does not exist" {
		t.Errorf("averaging a missing file: %v", err)
	}
}

func TestLoadCheckpointRefusesExtraVariables(t *testing.T) {
	m := newTinyModel(t, 1)
	path := filepath.Join(t.TempDir(), "big.pt")
	if err := SaveCheckpoint(path, m.vs, nil, Meta{}); err != nil {
		t.Fatal(err)
	}
	small := nn.NewVarStore(gotch.CPU)
	small.Root().MustZeros("w", []int64{4, 3})
	if _, err := LoadCheckpoint(path, small, nil); err == nil || !strings.Contains(err.Error(), "variable running is not in the model") {
		t.Errorf("a checkpoint with more variables than the model: %v", err)
	}
}
