package train

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// AverageCheckpoints writes to out a checkpoint whose model variables
// are the element-wise mean of those in paths (fairseq's
// average_checkpoints.py; buffers such as batch-norm statistics are
// averaged too). The optimizer state is not carried over: an averaged
// model is for evaluation. The meta is the last checkpoint's, with the
// sources recorded.
func AverageCheckpoints(paths []string, out string) (err error) {
	if len(paths) == 0 {
		return fmt.Errorf("average: no checkpoints given")
	}
	for _, p := range paths {
		if err := CheckFile("checkpoint", p); err != nil {
			return fmt.Errorf("average: %w", err)
		}
	}
	defer torch.Recover(&err)
	sums := map[string]*ts.Tensor{}
	dtypes := map[string]gotch.DType{} // each variable's own, restored after averaging in float64
	var names []string
	var meta Meta
	for i, p := range paths {
		named, err := ts.LoadMultiWithDevice(p, gotch.CPU)
		if err != nil {
			return fmt.Errorf("average: %s: %w", p, err)
		}
		byName := map[string]*ts.Tensor{}
		for _, n := range named {
			byName[n.Name] = n.Tensor
		}
		if meta, err = readMeta(byName); err != nil {
			return fmt.Errorf("average: %s: %w", p, err)
		}
		if i == 0 {
			names = modelNames(byName)
			for _, n := range names {
				dtypes[n] = byName[n].DType()
			}
		}
		if err := accumulate(sums, byName, names, p); err != nil {
			return err
		}
		for _, n := range named {
			torch.Free(n.Tensor)
		}
	}
	return writeAverage(out, sums, dtypes, names, len(paths), meta, paths)
}

func modelNames(byName map[string]*ts.Tensor) []string {
	var names []string
	for n := range byName {
		if strings.HasPrefix(n, modelPrefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func accumulate(sums, byName map[string]*ts.Tensor, names []string, path string) error {
	if got := len(modelNames(byName)); got != len(names) {
		return fmt.Errorf("average: %s has %d model variables, the first checkpoint %d: not the same model", path, got, len(names))
	}
	for _, n := range names {
		t, ok := byName[n]
		if !ok {
			return fmt.Errorf("average: %s lacks %s: not the same model", path, strings.TrimPrefix(n, modelPrefix))
		}
		d := torch.Must(t.ToDtype(gotch.Double, false, false, false))
		if s, ok := sums[n]; ok {
			if fmt.Sprint(torch.Shape(s)) != fmt.Sprint(torch.Shape(d)) {
				return fmt.Errorf("average: %s: %s has shape %v, the first checkpoint %v", path, strings.TrimPrefix(n, modelPrefix), torch.Shape(d), torch.Shape(s))
			}
			torch.Check(s.Add_(d))
			torch.Free(d)
		} else {
			sums[n] = d
		}
	}
	return nil
}

func writeAverage(out string, sums map[string]*ts.Tensor, dtypes map[string]gotch.DType, names []string, n int, meta Meta, paths []string) error {
	var named []ts.NamedTensor
	for _, name := range names {
		mulScalar(sums[name], 1/float64(n))
		named = append(named, ts.NamedTensor{Name: name, Tensor: torch.Must(sums[name].ToDtype(dtypes[name], false, false, true))})
	}
	if meta.Extra == nil {
		meta.Extra = map[string]any{}
	}
	meta.Extra["averaged_from"] = paths
	raw, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	metaT := torch.Must(ts.OfSlice(raw))
	named = append(named, ts.NamedTensor{Name: metaName, Tensor: metaT})
	defer func() {
		for _, t := range named {
			torch.Free(t.Tensor)
		}
	}()
	if err := writeAtomic(out, func(tmp string) error { return ts.SaveMultiNew(named, tmp) }); err != nil {
		return fmt.Errorf("average: %w", err)
	}
	return nil
}
