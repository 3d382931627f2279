package torch

import (
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

func floats(t *ts.Tensor) []float64 {
	d := Must(t.ToDtype(gotch.Double, false, false, false))
	defer Free(d)
	out := make([]float64, d.Numel())
	Check(d.CopyData(out, uint(len(out))))
	return out
}

// TestGrad checks Grad against backward's .grad for leaves and against
// the chain rule for an intermediate tensor used twice (as a residual
// block's input is: by the skip and by F), and that an input the root
// does not reach gets nil.
func TestGrad(t *testing.T) {
	err := Try(func() {
		// L = sum((h + h²)·c), h = w·x: dL/dh = (1 + 2h)·c, dL/dw = dL/dh·x.
		w := Must(Must(ts.OfSlice([]float32{0.5, -1, 2})).SetRequiresGrad(true, true))
		x := Must(ts.OfSlice([]float32{1, 2, -3}))
		c := Must(ts.OfSlice([]float32{1, -2, 0.5}))
		unused := Must(Must(ts.OfSlice([]float32{7})).SetRequiresGrad(true, true))
		h := Must(w.Mul(x, false))
		sq := Must(h.Square(false))
		sum := Must(h.Add(sq, false))
		loss := Must(Must(sum.Mul(c, false)).Sum(gotch.Float, true))
		grads, err := Grad(loss, []*ts.Tensor{w, h, unused})
		Check(err)
		if len(grads) != 3 || grads[2] != nil {
			t.Fatalf("grads %v: want three, the last nil", grads)
		}
		hv, xv, cv := floats(h), []float64{1, 2, -3}, []float64{1, -2, 0.5}
		dw, dh := floats(grads[0]), floats(grads[1])
		for i := range hv {
			wantH := (1 + 2*hv[i]) * cv[i]
			if math.Abs(dh[i]-wantH) > 1e-5 || math.Abs(dw[i]-wantH*xv[i]) > 1e-5 {
				t.Errorf("element %d: dL/dh %g (want %g), dL/dw %g (want %g)", i, dh[i], wantH, dw[i], wantH*xv[i])
			}
		}
		if g := Must(w.Grad(false)); g.MustDefined() {
			t.Error("Grad accumulated into w.grad")
		}
		Free(grads[0], grads[1], w, x, c, unused, h, sq, sum, loss)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGradErrors(t *testing.T) {
	x := Must(ts.OfSlice([]float32{1, 2}))
	defer Free(x)
	s := Must(x.Sum(gotch.Float, false))
	defer Free(s)
	if _, err := Grad(s, []*ts.Tensor{x}); err == nil || !strings.Contains(err.Error(), "requires_grad") && !strings.Contains(err.Error(), "set_requires_grad") {
		t.Errorf("input without requires_grad: error %v", err)
	}
	if _, err := Grad(s, []*ts.Tensor{nil}); err == nil || !strings.Contains(err.Error(), "input 0 is nil") {
		t.Errorf("nil input: error %v", err)
	}
	if g, err := Grad(s, nil); g != nil || err != nil {
		t.Errorf("no inputs: %v, %v", g, err)
	}
}
