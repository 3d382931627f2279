// Package torch is zoo's thin glue over gotch: error handling that keeps
// model code readable, thread and seed settings, and version facts.
//
// Model code calls gotch's error-returning ops through Must, which panics
// with an *Error; the boundary of each public operation (a training step,
// a forward pass called from outside) recovers it with Recover and returns
// an ordinary error. gotch's own Must* functions are never used outside
// tests because they call log.Fatal, which skips every defer (no
// checkpoint, no clean message).
package torch

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
	"github.com/sugarme/gotch/ts"
)

// Error is a libtorch failure raised by Must and turned back into an
// error by Recover.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Must returns t, or panics with an *Error when err is not nil.
func Must(t *ts.Tensor, err error) *ts.Tensor {
	Check(err)
	return t
}

// Check panics with an *Error when err is not nil (as it is, when it is
// one already, so that a re-raised error is not wrapped twice).
func Check(err error) {
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) && e == err {
		panic(e)
	}
	panic(&Error{err})
}

// Recover turns a panic raised by Must or Check into *errp; any other
// panic goes on. Use it as `defer torch.Recover(&err)`.
func Recover(errp *error) {
	r := recover()
	if r == nil {
		return
	}
	if e, ok := r.(*Error); ok {
		*errp = e
		return
	}
	panic(r)
}

// Try runs fn and returns the libtorch error it raised, if any.
func Try(fn func()) (err error) {
	defer Recover(&err)
	fn()
	return nil
}

// Free drops each tensor that is not nil. Tensors in zoo's hot paths are
// freed this way, as soon as they are dead, rather than left to the GC.
func Free(tensors ...*ts.Tensor) {
	for _, t := range tensors {
		if t != nil {
			Check(t.Drop())
		}
	}
}

// Shape returns t's size, panicking with an *Error on failure.
func Shape(t *ts.Tensor) []int64 {
	s, err := t.Size()
	Check(err)
	return s
}

// Errorf wraps a non-libtorch condition found inside model code (a shape
// mismatch, say) so that Recover returns it like a libtorch error.
func Errorf(format string, args ...any) {
	panic(&Error{fmt.Errorf(format, args...)})
}

// NoGrad runs fn with gradient recording off. libtorch's grad mode is
// per OS thread, so the goroutine is pinned to its thread for the call;
// gotch's own ts.NoGrad is not, and a goroutine moved mid-call runs with
// grad mode on.
func NoGrad(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	prev := setGrad(false)
	defer setGrad(prev)
	fn()
}

// CopyInto overwrites dst's values with src's, outside the autograd graph.
func CopyInto(dst, src *ts.Tensor) {
	NoGrad(func() {
		// gotch's Copy_ log.Fatals on error; call the C entry point instead.
		lib.AtCopy_(lib.Ctensor(dst.Ctensor()), lib.Ctensor(src.Ctensor()))
		Check(ts.TorchErr())
	})
}

// GradEnabled reports whether libtorch records operations for autograd
// on this goroutine's OS thread: false inside NoGrad.
func GradEnabled() bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	on := setGrad(true)
	setGrad(on)
	return on
}

func setGrad(on bool) bool {
	prev, ok := lib.ZooGradSetEnabled(on)
	if !ok {
		Check(ts.TorchErr())
	}
	return prev
}

// Float reads a one-element tensor as float64 and frees it.
func Float(t *ts.Tensor) float64 {
	d := Must(t.ToDtype(gotch.Double, false, false, true))
	defer Free(d)
	if n := d.Numel(); n != 1 {
		Errorf("Float: tensor has %d elements, want 1", n)
	}
	v := make([]float64, 1)
	Check(d.CopyData(v, 1))
	return v[0]
}
