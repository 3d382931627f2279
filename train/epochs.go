package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
)

// EpochCheckpoint names the checkpoint kept at the end of epoch.
func EpochCheckpoint(epoch int) string { return fmt.Sprintf("checkpoint%d.pt", epoch) }

// EpochCheckpoints lists the run's epoch checkpoints, oldest first.
func (r RunDir) EpochCheckpoints() []string {
	matches, _ := filepath.Glob(r.File("checkpoint[0-9]*.pt"))
	epochOf := func(p string) int {
		var e int
		fmt.Sscanf(filepath.Base(p), "checkpoint%d.pt", &e)
		return e
	}
	sort.Slice(matches, func(i, j int) bool { return epochOf(matches[i]) < epochOf(matches[j]) })
	return matches
}

// KeepEpoch saves the state just written to LastCheckpoint as the
// best checkpoint (when improved) and as epoch's checkpoint, keeping
// the newest keep of those (0: none).
func (r RunDir) KeepEpoch(epoch int, improved bool, keep int) error {
	if improved {
		if err := CopyFileAtomic(r.File(LastCheckpoint), r.File(BestCheckpoint)); err != nil {
			return err
		}
	}
	if keep == 0 {
		return nil
	}
	if err := CopyFileAtomic(r.File(LastCheckpoint), r.File(EpochCheckpoint(epoch))); err != nil {
		return err
	}
	all := r.EpochCheckpoints()
	for len(all) > keep {
		if err := os.Remove(all[0]); err != nil {
			return err
		}
		all = all[1:]
	}
	return nil
}

// Finished reports whether the folder holds a completed run whose
// resolved config is exactly config, but for its run_dir: the folder is
// this one however it was named (runs/x, ./runs/x, /abs/runs/x) or
// wherever it was moved, and a finished run must not be trained or
// decoded again because its path was typed another way.
func (r RunDir) Finished(config any) bool {
	if !r.Exists(DoneFile) {
		return false
	}
	old, err := os.ReadFile(r.File(ConfigFile))
	if err != nil {
		return false
	}
	now, err := json.Marshal(config)
	if err != nil {
		return false
	}
	a, errA := withoutRunDir(old)
	b, errB := withoutRunDir(now)
	return errA == nil && errB == nil && reflect.DeepEqual(a, b)
}

// withoutRunDir decodes a config's JSON less its RunDir key (RunConfig's
// run_dir, at the top level as recipes embed RunConfig).
func withoutRunDir(raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "RunDir")
	return m, nil
}

// CopyFileAtomic copies src to dst through a temporary file and a
// rename, so dst is always whole.
func CopyFileAtomic(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return WriteFileAtomic(dst, data)
}

// StructMap turns a JSON-tagged struct into a map, for a metrics record.
func StructMap(v any) map[string]any {
	raw, _ := json.Marshal(v)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}
