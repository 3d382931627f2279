package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// A checkpoint is one file in libtorch's archive format holding the
// model's variables ("model.<name>", parameters and buffers), the
// optimizer's state ("optim.<name>") and a JSON document of run state
// ("meta", stored as a uint8 tensor so that everything is one file and
// one rename makes it visible).
const (
	modelPrefix = "model."
	optimPrefix = "optim."
	metaName    = "meta"
)

// Meta is the run state saved with the weights.
type Meta struct {
	Updates int64          `json:"updates"` // optimizer steps taken
	Epoch   int            `json:"epoch"`   // epochs completed
	Batch   int            `json:"batch"`   // batches of the current epoch consumed
	Extra   map[string]any `json:"extra,omitempty"`
}

// SaveCheckpoint writes vs, opt's state (opt may be nil) and meta to
// path atomically: to a temporary file in the same folder, synced, then
// renamed over path, so a crash leaves the old checkpoint or the new one,
// never a torn file.
func SaveCheckpoint(path string, vs *nn.VarStore, opt Optimizer, meta Meta) (err error) {
	defer torch.Recover(&err)
	named, err := modelTensors(vs)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if opt != nil {
		for _, t := range opt.State() {
			named = append(named, ts.NamedTensor{Name: optimPrefix + t.Name, Tensor: t.Tensor})
		}
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("checkpoint %s: meta: %w", path, err)
	}
	metaT := torch.Must(ts.OfSlice(raw))
	defer torch.Free(metaT)
	named = append(named, ts.NamedTensor{Name: metaName, Tensor: metaT})
	if err := writeAtomic(path, func(tmp string) error { return ts.SaveMultiNew(named, tmp) }); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func modelTensors(vs *nn.VarStore) ([]ts.NamedTensor, error) {
	names := make([]string, 0, vs.Len())
	for name := range vs.Variables() {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]ts.NamedTensor, len(names))
	for i, name := range names {
		t, err := vs.Root().Get(name)
		if err != nil {
			return nil, err
		}
		out[i] = ts.NamedTensor{Name: modelPrefix + name, Tensor: t}
	}
	return out, nil
}

// fileMode is the mode of the files writeAtomic makes (os.CreateTemp's
// 0600 would keep a run's files from the other users who compare it).
const fileMode = 0o644

// writeAtomic has write produce a temporary file next to path, syncs it
// and renames it into place, with mode fileMode.
func writeAtomic(path string, write func(tmp string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp) // a no-op once renamed
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, fileMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncFile(dir)
}

// WriteFileAtomic writes data to path through a synced temporary file and
// a rename: readers see the old file or the new one, never a torn one.
func WriteFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(tmp string) error { return os.WriteFile(tmp, data, fileMode) })
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// LoadCheckpoint restores vs (every variable must be present with its
// shape) and opt's state (opt may be nil) from path, and returns the meta.
func LoadCheckpoint(path string, vs *nn.VarStore, opt Optimizer) (meta Meta, err error) {
	if err := CheckFile("checkpoint", path); err != nil {
		return meta, err
	}
	defer torch.Recover(&err)
	named, err := ts.LoadMultiWithDevice(path, vs.Device())
	if err != nil {
		return meta, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	byName := map[string]*ts.Tensor{}
	for _, n := range named {
		byName[n.Name] = n.Tensor
	}
	defer func() {
		for _, n := range named {
			torch.Free(n.Tensor)
		}
	}()
	if meta, err = readMeta(byName); err != nil {
		return meta, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := loadModel(byName, vs); err != nil {
		return meta, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if opt != nil {
		if err := opt.LoadState(stripPrefix(byName, optimPrefix), meta.Updates); err != nil {
			return meta, fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}
	return meta, nil
}

func readMeta(byName map[string]*ts.Tensor) (Meta, error) {
	var meta Meta
	t, ok := byName[metaName]
	if !ok {
		return meta, fmt.Errorf("no %q entry: not a zoo checkpoint", metaName)
	}
	cpu := torch.Must(t.To(gotch.CPU, false))
	defer torch.Free(cpu)
	raw := make([]uint8, cpu.Numel())
	if err := cpu.CopyDataUint8(raw, cpu.Numel()); err != nil {
		return meta, err
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return meta, fmt.Errorf("meta: %w", err)
	}
	return meta, nil
}

// loadModel checks that the checkpoint holds exactly the model's
// variables, with their shapes, before copying any: a mismatch leaves
// the model untouched.
func loadModel(byName map[string]*ts.Tensor, vs *nn.VarStore) error {
	model, err := modelTensors(vs)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, dst := range model {
		want[dst.Name] = true
		src, ok := byName[dst.Name]
		name := strings.TrimPrefix(dst.Name, modelPrefix)
		if !ok {
			return fmt.Errorf("variable %s is missing (the checkpoint is of another model or config)", name)
		}
		if got, want := torch.Shape(src), torch.Shape(dst.Tensor); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("variable %s has shape %v, the model wants %v", name, got, want)
		}
	}
	for name := range byName {
		if strings.HasPrefix(name, modelPrefix) && !want[name] {
			return fmt.Errorf("variable %s is not in the model (the checkpoint is of another model or config)", strings.TrimPrefix(name, modelPrefix))
		}
	}
	for _, dst := range model {
		torch.CopyInto(dst.Tensor, byName[dst.Name])
	}
	return nil
}

func stripPrefix(byName map[string]*ts.Tensor, prefix string) map[string]*ts.Tensor {
	out := map[string]*ts.Tensor{}
	for k, v := range byName {
		if strings.HasPrefix(k, prefix) {
			out[strings.TrimPrefix(k, prefix)] = v
		}
	}
	return out
}
