package bench

import (
	"errors"
	"testing"
)

const testPython = "/usr/bin/python3"

// runOrSkip runs the suite, skipping the test where python3-torch is not
// installed (CI).
func runOrSkip(t *testing.T, o Options) *Results {
	t.Helper()
	res, err := Run(o)
	if errors.Is(err, ErrNoPyTorch) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	return res
}

// TestPyTorchAgrees runs bench.py beside zoo on the same weights and
// batch: the parameter counts are equal and the loss, the gradient norm
// and the loss after one update agree to 1e-4, and beam search returns
// the same hypotheses.
func TestPyTorchAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python")
	}
	o := testOptions(t)
	o.ComparePyTorch, o.Python = true, testPython
	o.Models = []string{TinyNMT, TinyResNet}
	o.GEMMSize, o.GEMMReps = 64, 1
	vs, err := ParseVariants("rskip-ln:order=2")
	if err != nil {
		t.Fatal(err)
	}
	o.Variants = vs
	res := runOrSkip(t, o)
	for _, c := range res.Cases {
		if c.CheckOK == nil || !*c.CheckOK {
			t.Errorf("%s %s: %s", c.Spec.Model, c.Spec.Label, c.CheckNote)
		}
		t.Logf("%s %s: params %d, loss %.7g vs %.7g, grad norm %.7g vs %.7g (%s)", c.Spec.Model, c.Spec.Label,
			c.Zoo.Check.Params, c.Zoo.Check.Loss, c.PyTorch.Check.Loss, c.Zoo.Check.GradNorm, c.PyTorch.Check.GradNorm, c.CheckNote)
		if !(c.PyTorch.TrainRate() > 0) || !(c.PyTorch.InferRate() > 0) || c.PyTorch.Peak <= 0 || c.PyTorch.Params != c.Zoo.Params {
			t.Errorf("%s: PyTorch side %+v", c.Spec.Model, c.PyTorch)
		}
		if c.PyTorch.Info.Threads != 1 {
			t.Errorf("PyTorch runs %d threads, want 1", c.PyTorch.Info.Threads)
		}
	}
	if c := res.Cases[0]; c.Sentences == 0 || c.SameHyps != c.Sentences {
		t.Errorf("beam search: %d of %d hypotheses the same", c.SameHyps, c.Sentences)
	}
	if !(res.Ceiling.PyTorch > 0) {
		t.Errorf("ceiling %+v", res.Ceiling)
	}

	// --check alone.
	o = testOptions(t)
	o.Check, o.Python, o.Models = true, testPython, []string{TinyNMT}
	o.Variants, _ = ParseVariants("pre-ln")
	res = runOrSkip(t, o)
	if c := res.Cases[0]; c.CheckOK == nil || !*c.CheckOK || len(c.Zoo.TrainSeconds) > 0 {
		t.Errorf("check: %+v", c)
	}
}
