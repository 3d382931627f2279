package torch

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// ParallelFor calls fn on consecutive ranges [lo, hi) covering [0, n),
// one goroutine per core, or once on the whole range when n is under
// grain (starting goroutines would cost more than they save). zoo's own
// element-wise kernels (dropout masks, fused optimizer steps) run this
// way between libtorch ops, when libtorch's threads are idle.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < grain || workers < 2 {
		fn(0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// Float32s returns t's elements as a Go slice sharing t's memory, when t
// is a contiguous float32 tensor on the CPU; ok is false otherwise. The
// slice is valid while t is alive, and writes bypass autograd.
func Float32s(t *ts.Tensor) (vals []float32, ok bool) {
	if t.DType() != gotch.Float {
		return nil, false
	}
	if dev, err := t.Device(); err != nil || dev.IsCuda() {
		return nil, false
	}
	if c, err := t.IsContiguous(); err != nil || !c {
		return nil, false
	}
	n := int(t.Numel())
	if n == 0 {
		return []float32{}, true
	}
	ptr, err := t.DataPtr()
	if err != nil || ptr == nil {
		return nil, false
	}
	return unsafe.Slice((*float32)(ptr), n), true
}
