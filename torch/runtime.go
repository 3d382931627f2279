package torch

import (
	"fmt"
	"runtime"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
)

// Threads configures the CPU thread pools. libtorch 1.13 starts with half
// the cores for its intra-op pool on x86-64, and OpenBLAS (which runs the
// matrix multiplies) keeps its own pool that at::set_num_threads does not
// reach, so both are set together.
type Threads struct {
	// IntraOp is libtorch's intra-op thread count; 0 means one per core
	// (runtime.NumCPU()).
	IntraOp int `mapstructure:"threads"`
	// BLAS is OpenBLAS's thread count; 0 means the same as IntraOp.
	BLAS int `mapstructure:"blas_threads"`
}

// maxThreads bounds thread counts: more than this is a typo, and
// libtorch would try to start them all.
const maxThreads = 1024

// Apply sets the pools and returns the intra-op count it used.
func (t Threads) Apply() (int, error) {
	n, blas := t.IntraOp, t.BLAS
	if n < 0 || blas < 0 || n > maxThreads || blas > maxThreads {
		return 0, fmt.Errorf("threads = %d, blas_threads = %d: want 0 (default) or a count up to %d", n, blas, maxThreads)
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	if blas == 0 {
		blas = n
	}
	lib.ZooSetNumThreads(n)
	lib.ZooSetOpenBLASThreads(blas)
	return n, nil
}

// Info describes the runtime that zoo runs on.
type Info struct {
	LibtorchVersion string `json:"libtorch"`
	Device          string `json:"device"`
	IntraOpThreads  int    `json:"intra_op_threads"`
	InteropThreads  int    `json:"interop_threads"`
	OpenBLASThreads int    `json:"openblas_threads"` // -1: BLAS is not OpenBLAS
	CPUs            int    `json:"cpus"`
}

// Describe reads the runtime facts now in force.
func Describe() Info {
	return Info{
		LibtorchVersion: lib.ZooTorchVersion(),
		Device:          DeviceName(DefaultDevice()),
		IntraOpThreads:  lib.ZooGetNumThreads(),
		InteropThreads:  lib.ZooGetNumInteropThreads(),
		OpenBLASThreads: lib.ZooGetOpenBLASThreads(),
		CPUs:            runtime.NumCPU(),
	}
}

// DefaultDevice is the first CUDA device when one is usable, else the CPU.
func DefaultDevice() gotch.Device {
	if gotch.CUDA.IsAvailable() {
		return gotch.CudaBuilder(0)
	}
	return gotch.CPU
}

// ParseDevice maps "auto", "cpu", "cuda" or "cuda:N" to a device.
func ParseDevice(name string) (gotch.Device, error) {
	switch name {
	case "", "auto":
		return DefaultDevice(), nil
	case "cpu":
		return gotch.CPU, nil
	}
	var idx uint
	if name == "cuda" || func() bool { _, err := fmt.Sscanf(name, "cuda:%d", &idx); return err == nil }() {
		if !gotch.CUDA.IsAvailable() {
			return gotch.CPU, fmt.Errorf("device %q: no CUDA device is available (libtorch %s)", name, lib.ZooTorchVersion())
		}
		return gotch.CudaBuilder(idx), nil
	}
	return gotch.CPU, fmt.Errorf("device %q: want auto, cpu, cuda or cuda:N", name)
}

// DeviceName renders a device the way users write it.
func DeviceName(d gotch.Device) string {
	if d.IsCuda() {
		return fmt.Sprintf("cuda:%d", d.Value)
	}
	return "cpu"
}

// ManualSeed seeds libtorch's generators (weights init) and zoo's
// dropout stream (at step 0; see SeedDropout).
func ManualSeed(seed int64) {
	lib.ZooManualSeed(seed)
	SeedDropout(seed, 0)
}
