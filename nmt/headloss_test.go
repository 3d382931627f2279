package nmt

import (
	"math"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
)

// lossAndGrads is one way of computing a batch's loss: the smoothed loss,
// the NLL and every trainable variable's gradient after backward.
type lossAndGrads struct {
	loss, nll float64
	grads     map[string][]float64
}

// TestForwardLossMatchesForwardAndCrossEntropy checks the fused output
// projection and loss against the plain path (logits from Forward,
// libtorch's cross_entropy): values and every gradient, with and without
// smoothing, tied and untied output matrices, a final norm, pad rows.
func TestForwardLossMatchesForwardAndCrossEntropy(t *testing.T) {
	cases := []struct {
		name    string
		variant string
		tied    bool
		epsilon float64
	}{
		{"tied smoothed", "post-ln", true, 0.1},
		{"untied smoothed", "post-ln", false, 0.1},
		{"untied unsmoothed", "post-ln", false, 0},
		{"final norm smoothed", "pre-ln", true, 0.2},
	}
	src := [][]int64{{5, 6, 7, 8, tEOS}, {9, 10, tEOS, tPad, tPad}, {4, 5, 6, tEOS, tPad}}
	prev := [][]int64{{tEOS, 4, 5, 6}, {tEOS, 7, tPad, tPad}, {tEOS, 8, 9, tPad}}
	target := [][]int64{{4, 5, 6, tEOS}, {7, tEOS, tPad, tPad}, {8, 9, tEOS, tPad}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig(c.variant)
			cfg.ShareDecoderInputOutputEmbed = c.tied
			m, vs := newModel(t, cfg, 3)
			fused := runLoss(t, vs, func() (*ts.Tensor, float64) {
				l, n, err := m.ForwardLoss(tokens(t, src), tokens(t, prev), tokens(t, target), c.epsilon, false)
				if err != nil {
					t.Fatal(err)
				}
				return l, n
			})
			plain := runLoss(t, vs, func() (*ts.Tensor, float64) {
				logits := torch.Must(m.Forward(tokens(t, src), tokens(t, prev), false))
				defer torch.Free(logits)
				l, err := LabelSmoothedLoss(logits, tokens(t, target), c.epsilon, tPad)
				if err != nil {
					t.Fatal(err)
				}
				var n *ts.Tensor
				torch.NoGrad(func() { n, err = NLLLoss(logits, tokens(t, target), tPad) })
				if err != nil {
					t.Fatal(err)
				}
				return l, torch.Float(n)
			})
			if d := math.Abs(fused.loss - plain.loss); d > 1e-5*plain.loss {
				t.Errorf("loss %.7g, plain path %.7g", fused.loss, plain.loss)
			}
			if d := math.Abs(fused.nll - plain.nll); d > 1e-5*plain.nll {
				t.Errorf("nll %.7g, plain path %.7g", fused.nll, plain.nll)
			}
			for name, want := range plain.grads {
				got := fused.grads[name]
				if d, scale := maxAbsDiff(got, want), maxAbs(want); d > 1e-5*scale+1e-7 {
					t.Errorf("gradient of %s differs by %.3g (largest entry %.3g)", name, d, scale)
				}
			}
		})
	}
}

// runLoss computes a loss with fn, runs backward and collects the values
// and gradients, leaving the gradients zeroed.
func runLoss(t *testing.T, vs *nn.VarStore, fn func() (*ts.Tensor, float64)) lossAndGrads {
	t.Helper()
	loss, nll := fn()
	torch.Check(loss.Backward())
	out := lossAndGrads{loss: torch.Float(loss), nll: nll, grads: map[string][]float64{}}
	params, err := train.Params(vs) // pointers that keep the variables alive
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range params {
		g := torch.Must(p.Tensor.Grad(false))
		if g.MustDefined() {
			out.grads[p.Name] = values(g)
			torch.NoGrad(func() { torch.Check(g.Zero_()) })
		}
		torch.Free(g)
	}
	if len(out.grads) == 0 {
		t.Fatal("no gradients")
	}
	return out
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// TestHeadLossUnderflowAndNoGrad: a target whose probability underflows
// float32 still gets its finite loss (libtorch's log_softmax gets it
// too), a pad row costs nothing, and without grad mode the result is a
// plain value.
func TestHeadLossUnderflowAndNoGrad(t *testing.T) {
	h := floatTensor(t, []float32{1, 0, 0, 1}, []int64{1, 2, 2})
	w := floatTensor(t, []float32{0, 0, -200, 0, 5, 3}, []int64{3, 2}) // logits [0, -200, 5] and [0, 0, 3]
	defer torch.Free(h, w)
	target := int64Tensor([]int64{1, 0}, []int64{1, 2}, gotch.CPU)
	defer torch.Free(target)
	const pad = 0
	for _, eps := range []float64{0, 0.1} {
		var loss *ts.Tensor
		var nll float64
		torch.NoGrad(func() { loss, nll = headLoss(h, w, target, eps, pad) })
		if loss.MustRequiresGrad() {
			t.Errorf("eps %g: loss requires grad in no-grad mode", eps)
		}
		got := torch.Float(loss)
		logits := linear(h, w, nil)
		want := torch.Float(torch.Must(LabelSmoothedLoss(logits, target, eps, pad)))
		torch.Free(logits)
		if math.IsInf(got, 0) || math.Abs(got-want) > 1e-5*want {
			t.Errorf("eps %g: loss %.7g, libtorch %.7g", eps, got, want)
		}
		// The token row's NLL is its log-sum-exp less its logit, -200.
		wantNLL := math.Log(math.Exp(0)+math.Exp(-200)+math.Exp(5)) + 200
		if math.Abs(nll-wantNLL) > 1e-5*wantNLL {
			t.Errorf("eps %g: nll %.7g, want %.7g", eps, nll, wantNLL)
		}
	}
}

// TestForwardLossRejectsOutOfVocabularyTargets: an id past the
// vocabulary is a clear error, not a read past the logits.
func TestForwardLossRejectsOutOfVocabularyTargets(t *testing.T) {
	m, _ := newModel(t, tinyConfig("post-ln"), 1)
	src, prev := tokens(t, [][]int64{{5, tEOS}}), tokens(t, [][]int64{{tEOS, 4}})
	bad := tokens(t, [][]int64{{4, m.cfg.TgtVocab}})
	defer torch.Free(src, prev, bad)
	_, _, err := m.ForwardLoss(src, prev, bad, 0.1, true)
	if err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Fatalf("err = %v, want an out-of-vocabulary error", err)
	}
}

func floatTensor(t *testing.T, vals []float32, shape []int64) *ts.Tensor {
	t.Helper()
	x := torch.Must(ts.OfSlice(vals))
	return torch.Must(x.View(shape, true))
}

// TestHeadLossGradientsWithUnderflowingEntries: where a row's logits
// spread wider than float32's exponent range, the flushed gradient still
// equals libtorch's, and so does the loss.
func TestHeadLossGradientsWithUnderflowingEntries(t *testing.T) {
	for _, tgt := range []int64{0, 1, 2} {
		grads := func(fused bool) (loss float64, gh, gw []float64) {
			h := leaf(t, []float32{1, 0, 0, 1}, []int64{1, 2, 2})
			w := leaf(t, []float32{0, 0, -95, 0, 5, 3}, []int64{3, 2}) // e^-100: subnormal
			target := int64Tensor([]int64{tgt, 0}, []int64{1, 2}, gotch.CPU)
			defer torch.Free(h, w, target)
			var l *ts.Tensor
			if fused {
				l, _ = headLoss(h, w, target, 0.1, 3)
			} else {
				logits := linear(h, w, nil)
				l = torch.Must(LabelSmoothedLoss(logits, target, 0.1, 3))
				torch.Free(logits)
			}
			torch.Check(l.Backward())
			return torch.Float(l), values(torch.Must(h.Grad(false))), values(torch.Must(w.Grad(false)))
		}
		l1, gh1, gw1 := grads(true)
		l2, gh2, gw2 := grads(false)
		if math.Abs(l1-l2) > 1e-5*l2 || maxAbsDiff(gh1, gh2) > 1e-5 || maxAbsDiff(gw1, gw2) > 1e-5 {
			t.Errorf("target %d: fused loss %g grads %v %v; libtorch %g %v %v", tgt, l1, gh1, gw1, l2, gh2, gw2)
		}
	}
}

// leaf is a float32 tensor that requires grad.
func leaf(t *testing.T, vals []float32, shape []int64) *ts.Tensor {
	t.Helper()
	return torch.Must(floatTensor(t, vals, shape).SetRequiresGrad(true, true))
}
