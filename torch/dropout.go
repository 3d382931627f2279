package torch

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// Dropout on the CPU draws its masks here instead of through libtorch's
// bernoulli_, which in the libtorch 1.13 CPU build (no MKL) draws
// serially, about 8 ns an element (a small Transformer's step has 15
// dropouts of a million elements). A counter-based generator (SplitMix64
// at key + counter) fills the mask on every core, and makes the stream a
// pure function of (seed, step, position): a resumed run draws the same
// masks as an uninterrupted one without saving generator state, and the
// worker count does not matter. BenchmarkDropout compares the two
// (docs/performance.md has the figures).
//
// Each 64-bit draw gives four 16-bit uniforms; an element is kept when
// its uniform is at least t = round(p·65536), and kept elements are scaled
// by 65536/(65536-t) so the output's expectation equals the input exactly
// (the keep probability is p rounded to 1/65536).
var dropoutStream struct {
	key     atomic.Uint64
	counter atomic.Uint64
}

// SeedDropout starts the dropout stream of (seed, step): trainers call it
// before each update so that the masks of update n do not depend on how
// the run got there.
func SeedDropout(seed, step int64) {
	dropoutStream.key.Store(splitmix64(uint64(seed)*golden ^ splitmix64(uint64(step))))
	dropoutStream.counter.Store(0)
}

// Dropout returns x with each element zeroed with probability p and the
// rest scaled to keep the expectation, differentiable in x. It does not
// consume x. p must lie in [0, 1]; p = 0 returns a shallow copy of x.
// Tensors off the CPU use libtorch's dropout.
func Dropout(x *ts.Tensor, p float64) (*ts.Tensor, error) {
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("dropout probability %g is not in [0, 1]", p)
	}
	if p == 0 {
		return x.ShallowClone()
	}
	if dev, err := x.Device(); err != nil || dev.IsCuda() || x.DType() != gotch.Float {
		return ts.Dropout(x, p, true)
	}
	shape, err := x.Size()
	if err != nil {
		return nil, err
	}
	mask, err := ts.Empty(shape, gotch.Float, gotch.CPU)
	if err != nil {
		return nil, err
	}
	defer Free(mask)
	vals, ok := Float32s(mask)
	if !ok {
		return nil, fmt.Errorf("dropout: cannot write the mask's memory")
	}
	groups := uint64(len(vals)+3) / 4
	start := dropoutStream.counter.Add(groups) - groups
	fillDropoutMask(vals, p, dropoutStream.key.Load(), start)
	return x.Mul(mask, false)
}

// fillDropoutMask writes the mask of the stream (key, first draw start)
// into dst; the values depend only on the stream and the position.
func fillDropoutMask(dst []float32, p float64, key, start uint64) {
	cut := uint64(math.Round(p * 65536))
	var scale float32
	if cut < 65536 {
		scale = float32(65536 / float64(65536-cut))
	}
	// 8192 groups: 32k elements, below which one goroutine is faster.
	ParallelFor((len(dst)+3)/4, 8192, func(lo, hi int) {
		fillMaskGroups(dst, lo, hi, cut, scale, key, start)
	})
}

// fillMaskGroups fills the elements of groups [lo, hi), four per draw.
func fillMaskGroups(dst []float32, lo, hi int, cut uint64, scale float32, key, start uint64) {
	for g := lo; g < hi; g++ {
		r := splitmix64(key + (start+uint64(g))*golden)
		end := min(4*g+4, len(dst))
		for i := 4 * g; i < end; i++ {
			if r&0xffff >= cut {
				dst[i] = scale
			} else {
				dst[i] = 0
			}
			r >>= 16
		}
	}
}

// golden is splitmix64's increment, 2^64 divided by the golden ratio.
const golden = 0x9e3779b97f4a7c15

// splitmix64 is one step of Steele, Lea and Flood's SplitMix64 from state
// z: the draws at states key + n·golden, n = 0, 1, ..., are its sequence.
func splitmix64(z uint64) uint64 {
	z += golden
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
