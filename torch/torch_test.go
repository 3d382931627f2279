package torch

import (
	"errors"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func TestRecoverTurnsPanicsIntoErrors(t *testing.T) {
	err := Try(func() {
		x := Must(ts.Ones([]int64{2, 3}, gotch.Float, gotch.CPU))
		// A shape mismatch inside libtorch must come back as an error, not
		// kill the process as gotch's Must* functions do.
		Must(x.Matmul(x, true))
	})
	var e *Error
	if err == nil || !errors.As(err, &e) || strings.Contains(err.Error(), "goroutine") {
		t.Fatalf("error %v: want a libtorch error without a stack trace", err)
	}
	again := Try(func() { Check(err) })
	if again.Error() != err.Error() {
		t.Errorf("re-raised error changed: %q -> %q", err, again)
	}
	defer func() {
		if r := recover(); r != "not ours" {
			t.Errorf("a foreign panic was swallowed: %v", r)
		}
	}()
	_ = Try(func() { panic("not ours") })
}

func TestThreadsBounds(t *testing.T) {
	for _, bad := range []Threads{{IntraOp: -1}, {IntraOp: 5000}, {BLAS: -2}} {
		if _, err := bad.Apply(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	n, err := Threads{IntraOp: 1}.Apply()
	if err != nil || n != 1 || Describe().IntraOpThreads != 1 {
		t.Errorf("threads 1: n %d, err %v, in force %d", n, err, Describe().IntraOpThreads)
	}
	if _, err := (Threads{}).Apply(); err != nil {
		t.Fatal(err)
	}
}

func TestParseDevice(t *testing.T) {
	if d, err := ParseDevice("cpu"); err != nil || DeviceName(d) != "cpu" {
		t.Errorf("cpu: %v %v", d, err)
	}
	if _, err := ParseDevice("tpu"); err == nil || !strings.Contains(err.Error(), "want auto, cpu, cuda or cuda:N") {
		t.Errorf("tpu: %v", err)
	}
}

func TestNoGradRestoresGradMode(t *testing.T) {
	NoGrad(func() {
		x := Must(ts.Ones([]int64{2}, gotch.Float, gotch.CPU))
		x = Must(x.SetRequiresGrad(true, true))
		y := Must(x.MulScalar(ts.FloatScalar(2), false))
		if Must(y.Grad(false)).MustDefined() || mustRequiresGrad(y) {
			t.Error("an op under NoGrad recorded a gradient")
		}
	})
	x := Must(ts.Ones([]int64{2}, gotch.Float, gotch.CPU))
	x = Must(x.SetRequiresGrad(true, true))
	if y := Must(x.MulScalar(ts.FloatScalar(2), false)); !mustRequiresGrad(y) {
		t.Error("grad mode stayed off after NoGrad")
	}
}

func mustRequiresGrad(t *ts.Tensor) bool {
	r, err := t.RequiresGrad()
	Check(err)
	return r
}
