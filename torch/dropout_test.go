package torch

import (
	"math"
	"slices"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// TestDropoutStatistics: the kept share is 1-p within 4 standard errors,
// every kept value is x scaled by 65536/(65536-round(65536p)), and the
// output's mean equals the input's within sampling error.
func TestDropoutStatistics(t *testing.T) {
	const n = 1 << 20
	for _, p := range []float64{0.05, 0.1, 0.3, 0.5, 0.9} {
		SeedDropout(7, 3)
		x := Must(ts.Ones([]int64{n}, gotch.Float, gotch.CPU))
		y := Must(Dropout(x, p))
		vals := floats(y)
		Free(x, y)
		cut := math.Round(p * 65536)
		scale := float64(float32(65536 / (65536 - cut)))
		kept, sum := 0, 0.0
		for _, v := range vals {
			switch v {
			case 0:
			case scale:
				kept++
			default:
				t.Fatalf("p=%g: value %g is neither 0 nor %g", p, v, scale)
			}
			sum += v
		}
		share, se := float64(kept)/n, math.Sqrt(p*(1-p)/n)
		if math.Abs(share-(1-p)) > 4*se {
			t.Errorf("p=%g: kept %.5f, want %.5f ± %.5f", p, share, 1-p, 4*se)
		}
		if mean := sum / n; math.Abs(mean-1) > 4*se*scale {
			t.Errorf("p=%g: mean %.5f, want 1", p, mean)
		}
	}
}

// TestDropoutStreamIsAFunctionOfSeedStepAndPosition: the masks depend on
// (seed, step) and the position in the stream, not on the worker count;
// a second draw of the same step differs from the first; another step or
// seed gives another mask.
func TestDropoutStreamIsAFunctionOfSeedStepAndPosition(t *testing.T) {
	draw := func(seed, step int64) ([]float64, []float64) {
		SeedDropout(seed, step)
		x := Must(ts.Ones([]int64{3, 50001}, gotch.Float, gotch.CPU))
		a, b := Must(Dropout(x, 0.2)), Must(Dropout(x, 0.2))
		defer Free(x, a, b)
		return floats(a), floats(b)
	}
	a1, b1 := draw(1, 10)
	a2, b2 := draw(1, 10)
	if !slices.Equal(a1, a2) || !slices.Equal(b1, b2) {
		t.Fatal("the same seed and step gave different masks")
	}
	if slices.Equal(a1, b1) {
		t.Error("two draws of one step are equal")
	}
	if c, _ := draw(1, 11); slices.Equal(a1, c) {
		t.Error("steps 10 and 11 gave the same mask")
	}
	if c, _ := draw(2, 10); slices.Equal(a1, c) {
		t.Error("seeds 1 and 2 gave the same mask")
	}
	for _, n := range []int{1, 3, 4, 5, 1 << 16, 1<<16 + 3} {
		one, many := make([]float32, n), make([]float32, n)
		groups := (n + 3) / 4
		fillMaskGroups(one, 0, groups, 19661, 1/0.7, 99, 5)
		per := max(groups/7, 1)
		for lo := 0; lo < groups; lo += per {
			fillMaskGroups(many, lo, min(lo+per, groups), 19661, 1/0.7, 99, 5)
		}
		if !slices.Equal(one, many) {
			t.Errorf("%d elements: one range and several differ", n)
		}
	}
}

// TestDropoutGradient: the gradient of sum(dropout(x)·c) is mask·c.
func TestDropoutGradient(t *testing.T) {
	err := Try(func() {
		x := Must(Must(ts.Randn([]int64{4, 1000}, gotch.Float, gotch.CPU)).SetRequiresGrad(true, true))
		c := Must(ts.Randn([]int64{4, 1000}, gotch.Float, gotch.CPU))
		y := Must(Dropout(x, 0.25))
		loss := Must(Must(y.Mul(c, false)).Sum(gotch.Float, true))
		grads, err := Grad(loss, []*ts.Tensor{x})
		Check(err)
		xv, yv, cv, g := floats(x), floats(y), floats(c), floats(grads[0])
		for i := range xv {
			mask := yv[i] / xv[i]
			if math.Abs(g[i]-mask*cv[i]) > 1e-4*(1+math.Abs(mask*cv[i])) {
				t.Fatalf("element %d: gradient %g, want %g", i, g[i], mask*cv[i])
			}
		}
		Free(x, c, y, loss, grads[0])
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDropoutEdges(t *testing.T) {
	x := Must(ts.Ones([]int64{5}, gotch.Float, gotch.CPU))
	defer Free(x)
	for _, p := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := Dropout(x, p); err == nil {
			t.Errorf("p=%g: no error", p)
		}
	}
	cases := []struct {
		p    float64
		want []float64
	}{
		{0, []float64{1, 1, 1, 1, 1}},
		{1, []float64{0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		y := Must(Dropout(x, c.p))
		if got := floats(y); !slices.Equal(got, c.want) {
			t.Errorf("p=%g: %v, want %v", c.p, got, c.want)
		}
		Free(y)
	}
	d := Must(ts.Ones([]int64{1000}, gotch.Double, gotch.CPU))
	defer Free(d)
	y := Must(Dropout(d, 0.5))
	if y.DType() != gotch.Double {
		t.Errorf("float64 input came back as %v", y.DType())
	}
	Free(y)
}

// BenchmarkDropout compares zoo's mask generator with libtorch's dropout
// on a small Transformer's activation (4096 tokens × 256).
func BenchmarkDropout(b *testing.B) {
	x := Must(ts.Randn([]int64{4096, 256}, gotch.Float, gotch.CPU))
	defer Free(x)
	run := func(b *testing.B, drop func() (*ts.Tensor, error)) {
		for i := 0; i < b.N; i++ {
			y, err := drop()
			if err != nil {
				b.Fatal(err)
			}
			Free(y)
		}
	}
	b.Run("zoo", func(b *testing.B) { run(b, func() (*ts.Tensor, error) { return Dropout(x, 0.1) }) })
	b.Run("libtorch", func(b *testing.B) { run(b, func() (*ts.Tensor, error) { return ts.Dropout(x, 0.1, true) }) })
}
