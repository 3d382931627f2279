package train

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// JSONFloat is a float64 that survives JSON when it is not finite: a
// gradient norm that overflowed is written as the string "inf" (or
// "-inf", "nan") instead of failing the whole record, as encoding/json
// does for a plain float64. Finite values are ordinary JSON numbers.
type JSONFloat float64

// MarshalJSON writes a number, or "inf", "-inf", "nan".
func (f JSONFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"nan"`), nil
	case math.IsInf(v, 1):
		return []byte(`"inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes (and null, as NaN).
func (f *JSONFloat) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch s {
	case `"nan"`, "null":
		*f = JSONFloat(math.NaN())
		return nil
	case `"inf"`, `"+inf"`:
		*f = JSONFloat(math.Inf(1))
		return nil
	case `"-inf"`:
		*f = JSONFloat(math.Inf(-1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("want a number or \"inf\", \"-inf\", \"nan\": %w", err)
	}
	*f = JSONFloat(v)
	return nil
}

// JSONFloats converts a slice for a JSON record.
func JSONFloats(vals []float64) []JSONFloat {
	out := make([]JSONFloat, len(vals))
	for i, v := range vals {
		out[i] = JSONFloat(v)
	}
	return out
}

// TensorNorms returns the L2 norm of each tensor, computed in float64
// (so that a float32 gradient of huge but finite values does not
// overflow while squaring) and read back to the host at once. A nil
// tensor has norm 0. The tensors stay the caller's.
func TensorNorms(tensors []*ts.Tensor) (norms []float64, err error) {
	defer torch.Recover(&err)
	norms = make([]float64, len(tensors))
	var parts []*ts.Tensor
	var at []int
	torch.NoGrad(func() {
		for i, t := range tensors {
			if t == nil {
				continue
			}
			d := torch.Must(t.ToDtype(gotch.Double, false, false, false))
			parts = append(parts, torch.Must(d.Norm(true)))
			at = append(at, i)
		}
	})
	if len(parts) == 0 {
		return norms, nil
	}
	all := torch.Must(ts.Stack(parts, 0))
	torch.Free(parts...)
	dev, err := all.Device()
	torch.Check(err)
	if dev != gotch.CPU {
		all = torch.Must(all.To(gotch.CPU, true))
	}
	defer torch.Free(all)
	vals := make([]float64, len(parts))
	torch.Check(all.CopyData(vals, uint(len(vals))))
	for j, i := range at {
		norms[i] = vals[j]
	}
	return norms, nil
}

// GroupNorms combines per-tensor norms into per-block norms: names[i]
// is the VarStore name of the tensor whose norm is norms[i], and a
// tensor belongs to the first block whose prefix its name starts with
// (end prefixes with "." so that "layers.1." does not take
// "layers.10.weight"). Each block's norm is that of all its tensors
// together, sqrt(Σ n_i²); total is that of every tensor, in a block or
// not. NaN and infinite norms propagate.
func GroupNorms(names []string, norms []float64, prefixes []string) (blocks []float64, total float64) {
	sq := make([]float64, len(prefixes))
	var all float64
	for i, name := range names {
		n2 := norms[i] * norms[i]
		all += n2
		for b, p := range prefixes {
			if strings.HasPrefix(name, p) {
				sq[b] += n2
				break
			}
		}
	}
	blocks = make([]float64, len(prefixes))
	for b, s := range sq {
		blocks[b] = math.Sqrt(s)
	}
	return blocks, math.Sqrt(all)
}

// BlockGradNorms returns the L2 norm of the gradients of each block's
// parameters together (blocks named by prefix, as GroupNorms groups
// them) and the norm of all the gradients, from the parameters' .grad
// (a parameter without one counts 0). Both tasks' trainers log these
// every grad_stats_every updates.
func BlockGradNorms(params []Param, prefixes []string) (blocks []float64, total float64, err error) {
	defer torch.Recover(&err)
	grads := make([]*ts.Tensor, len(params))
	names := make([]string, len(params))
	defer func() { torch.Free(grads...) }()
	for i, p := range params {
		names[i] = p.Name
		g := torch.Must(p.Tensor.Grad(false))
		if g.MustDefined() {
			grads[i] = g
		} else {
			torch.Free(g)
		}
	}
	norms, err := TensorNorms(grads)
	if err != nil {
		return nil, 0, err
	}
	blocks, total = GroupNorms(names, norms, prefixes)
	return blocks, total, nil
}

// GradStatsRecord is the metrics-log record of BlockGradNorms at an
// update: {"event": "grads", "updates": N, "blocks": [...], "block_names":
// [...], "total": T}; non-finite norms are written as "inf" or "nan".
func GradStatsRecord(updates int64, prefixes []string, blocks []float64, total float64) map[string]any {
	names := make([]string, len(prefixes))
	for i, p := range prefixes {
		names[i] = strings.TrimSuffix(p, ".")
	}
	return map[string]any{"event": "grads", "updates": updates, "blocks": JSONFloats(blocks),
		"block_names": names, "total": JSONFloat(total)}
}
