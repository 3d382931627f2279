package bench

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// The export format: ExportIndex in tensors.json and the tensors' values
// one after another in tensors.bin, raw little-endian float32 or int64 in
// row-major order. It needs nothing but the standard libraries on either
// side (Python reads each tensor straight into its storage), and the
// JSON says exactly what is in the file.
const (
	exportFormat = "zoo-bench-tensors/1"
	indexFile    = "tensors.json"
	dataFile     = "tensors.bin"
)

// ExportIndex describes an export's tensors.
type ExportIndex struct {
	Format  string        `json:"format"`
	Tensors []ExportEntry `json:"tensors"`
}

// ExportEntry is one tensor of an export.
type ExportEntry struct {
	Name   string  `json:"name"`
	DType  string  `json:"dtype"` // "float32" or "int64"
	Shape  []int64 `json:"shape"`
	Offset int64   `json:"offset"` // in bytes, into tensors.bin
	Bytes  int64   `json:"nbytes"`
}

// exportChunk is the most elements copied to the host at once, so that
// exporting a large embedding does not double the process's memory.
const exportChunk = 1 << 20

// WriteExport writes the named tensors (CPU, float32 or int64) to dir.
func WriteExport(dir string, tensors []ts.NamedTensor) (err error) {
	defer torch.Recover(&err)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, dataFile))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	idx := ExportIndex{Format: exportFormat}
	var offset int64
	for _, nt := range tensors {
		e, err := writeTensor(w, nt, offset)
		if err != nil {
			return fmt.Errorf("export %s: %w", nt.Name, err)
		}
		idx.Tensors = append(idx.Tensors, e)
		offset += e.Bytes
	}
	if err := w.Flush(); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(idx, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, indexFile), raw, 0o644)
}

func writeTensor(w *bufio.Writer, nt ts.NamedTensor, offset int64) (ExportEntry, error) {
	t := nt.Tensor
	shape := torch.Shape(t)
	e := ExportEntry{Name: nt.Name, Shape: shape, Offset: offset}
	n := int64(1)
	for _, s := range shape {
		n *= s
	}
	var size int64
	switch t.DType() {
	case gotch.Float:
		e.DType, size = "float32", 4
	case gotch.Int64:
		e.DType, size = "int64", 8
	default:
		return e, fmt.Errorf("dtype %v: want float32 or int64", t.DType())
	}
	e.Bytes = n * size
	flat := torch.Must(t.Reshape([]int64{-1}, false))
	defer torch.Free(flat)
	buf := make([]byte, min(n, exportChunk)*size)
	f32 := make([]float32, min(n, exportChunk))
	i64 := make([]int64, min(n, exportChunk))
	for off := int64(0); off < n; off += exportChunk {
		k := min(exportChunk, n-off)
		part := torch.Must(flat.Narrow(0, off, k, false))
		if size == 4 {
			torch.Check(part.CopyData(f32[:k], uint(k)))
			for i, v := range f32[:k] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
		} else {
			torch.Check(part.CopyData(i64[:k], uint(k)))
			for i, v := range i64[:k] {
				binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
			}
		}
		torch.Free(part)
		if _, err := w.Write(buf[:k*size]); err != nil {
			return e, err
		}
	}
	return e, nil
}

// ReadExport reads an export back (for tests and tools): each tensor's
// values as float64, by name, with the index.
func ReadExport(dir string) (ExportIndex, map[string][]float64, error) {
	var idx ExportIndex
	raw, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		return idx, nil, err
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return idx, nil, fmt.Errorf("%s: %w", indexFile, err)
	}
	if idx.Format != exportFormat {
		return idx, nil, fmt.Errorf("%s: format %q, want %q", indexFile, idx.Format, exportFormat)
	}
	data, err := os.ReadFile(filepath.Join(dir, dataFile))
	if err != nil {
		return idx, nil, err
	}
	out := map[string][]float64{}
	for _, e := range idx.Tensors {
		if e.Offset < 0 || e.Offset+e.Bytes > int64(len(data)) {
			return idx, nil, fmt.Errorf("%s: tensor %s lies outside %s", indexFile, e.Name, dataFile)
		}
		b := data[e.Offset : e.Offset+e.Bytes]
		var vals []float64
		switch e.DType {
		case "float32":
			for i := 0; i+4 <= len(b); i += 4 {
				vals = append(vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
			}
		case "int64":
			for i := 0; i+8 <= len(b); i += 8 {
				vals = append(vals, float64(int64(binary.LittleEndian.Uint64(b[i:]))))
			}
		default:
			return idx, nil, fmt.Errorf("%s: tensor %s has dtype %q", indexFile, e.Name, e.DType)
		}
		out[e.Name] = vals
	}
	return idx, out, nil
}
