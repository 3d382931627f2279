package nmt

import (
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// headLoss is the output projection and fairseq's label-smoothed loss
// (LabelSmoothedLoss) of the decoder output h [B, T, D] under the output
// matrix w [V, D], summed over the target tokens that are not pad. It
// returns the loss as a scalar tensor the caller owns, differentiable in
// h and w when grad mode is on, and the summed NLL.
//
// On the CPU (float32) it is fused: the [B·T, V] logits never enter the
// autograd graph. With P the softmax of the logits, the gradient of the
// summed loss with respect to the logits is G = P − (1−α)·onehot(y) − α/V
// on every token row (zero on pad rows), α = PyTorch's smoothing, so the
// gradients with respect to h and w are G·w and Gᵀ·h: the same two
// products autograd would run, computed here right after the forward
// product, from P overwritten in place. The α/V term is rank one and is
// added as a bias of those products instead of being subtracted from
// every element of P. What this saves against libtorch's
// cross_entropy is log_softmax forward and backward, the smoothing sum
// over [B·T, V] and its backward, and the zero-filled gradient buffers:
// every pass over the logits but the softmax (the row sums the smoothing
// needs come from h·Σ_v w_v). Off the CPU it runs the plain projection
// and cross_entropy.
func headLoss(h, w, target *ts.Tensor, epsilon float64, pad int64) (loss *ts.Tensor, nll float64) {
	if !fusable(h, w) {
		return unfusedHeadLoss(h, w, target, epsilon, pad)
	}
	vocab, dim := torch.Shape(w)[0], torch.Shape(w)[1]
	f := &fusedHead{w: w, alpha: smoothingAlpha(epsilon, vocab), pad: pad, vocab: int(vocab)}
	f.h2 = torch.Must(h.Reshape([]int64{-1, dim}, false))
	defer torch.Free(f.h2)
	f.tgt = tokenIDs(target, vocab, pad)
	if int64(len(f.tgt)) != torch.Shape(f.h2)[0] {
		torch.Errorf("head loss: %d targets for %d decoder positions", len(f.tgt), torch.Shape(f.h2)[0])
	}
	grad := torch.GradEnabled()
	needH, needW := grad && h.MustRequiresGrad(), grad && w.MustRequiresGrad()
	var gh, gw *ts.Tensor
	var smoothed float64
	torch.NoGrad(func() {
		f.colSum = torch.Must(w.SumDimIntlist([]int64{0}, true, gotch.Float, false))
		defer torch.Free(f.colSum)
		probs := f.rowLosses(&smoothed, &nll)
		defer torch.Free(probs)
		if needH || needW {
			f.logitGrads(probs)
			gh, gw = f.projectGrads(probs, needH, needW)
		}
	})
	return surrogateLoss(smoothed, f.h2, gh, w, gw), nll
}

// fusedHead holds one headLoss call's operands: h2 [N, D] (the decoder
// output, flattened), w [V, D], the targets, α, and Σ_v w_v [1, D].
type fusedHead struct {
	h2, w, colSum *ts.Tensor
	tgt           []int64
	alpha         float64
	pad           int64
	vocab         int
}

// fusable reports whether headLoss's fused path applies: float32
// contiguous CPU tensors.
func fusable(h, w *ts.Tensor) bool {
	for _, t := range []*ts.Tensor{h, w} {
		if _, ok := torch.Float32s(t); !ok {
			return false
		}
	}
	return true
}

func unfusedHeadLoss(h, w, target *ts.Tensor, epsilon float64, pad int64) (*ts.Tensor, float64) {
	logits := linear(h, w, nil)
	defer torch.Free(logits)
	loss, err := LabelSmoothedLoss(logits, target, epsilon, pad)
	torch.Check(err)
	var n *ts.Tensor
	torch.NoGrad(func() { n, err = NLLLoss(logits, target, pad) })
	torch.Check(err)
	return loss, torch.Float(n)
}

// smoothingAlpha is PyTorch's label_smoothing for fairseq's ε over V
// classes (LabelSmoothedLoss).
func smoothingAlpha(epsilon float64, vocab int64) float64 {
	if epsilon > 0 && vocab > 1 {
		return epsilon * float64(vocab) / float64(vocab-1)
	}
	return 0
}

// tokenIDs copies target's ids to Go and checks that each is pad or a
// word of the vocabulary.
func tokenIDs(target *ts.Tensor, vocab, pad int64) []int64 {
	t := torch.Must(target.ToDtype(gotch.Int64, false, false, false))
	defer torch.Free(t)
	ids := make([]int64, t.Numel())
	torch.Check(t.CopyData(ids, uint(len(ids))))
	for _, y := range ids {
		if y != pad && (y < 0 || y >= vocab) {
			torch.Errorf("head loss: target id %d outside the vocabulary [0, %d)", y, vocab)
		}
	}
	return ids
}

// rowLosses computes the logits h2·wᵀ and their softmax, which it
// returns, and adds the summed smoothed loss and NLL of the non-pad rows
// to *smoothed and *nll. Per row, with s the row's log-sum-exp
// (x_y − log P_y, exact from the softmax), the NLL is s − x_y and the
// smoothing term Σ_v −log P_v = V·s − Σ_v x_v; the loss is
// (1−α)·NLL + α/V·that, PyTorch's cross_entropy with label_smoothing α.
// Σ_v x_v is h·Σ_v w_v: one product with a vector instead of a pass over
// the [N, V] logits.
func (f *fusedHead) rowLosses(smoothed, nll *float64) *ts.Tensor {
	wT := torch.Must(f.w.T(false))
	logits := torch.Must(f.h2.Mm(wT, false))
	torch.Free(wT)
	defer torch.Free(logits)
	colSumT := torch.Must(f.colSum.T(false))
	sums := torch.Must(f.h2.Mm(colSumT, false))
	torch.Free(colSumT)
	defer torch.Free(sums)
	probs := torch.Must(logits.Softmax(1, gotch.Float, false))
	x, _ := torch.Float32s(logits)
	p, _ := torch.Float32s(probs)
	rowSum, _ := torch.Float32s(sums)
	v := f.vocab
	for r, y := range f.tgt {
		if y == f.pad {
			continue
		}
		row := x[r*v : (r+1)*v]
		s := logSumExp(row, p[r*v+int(y)], float64(row[y]))
		rowNLL := s - float64(row[y])
		*nll += rowNLL
		*smoothed += (1-f.alpha)*rowNLL + f.alpha/float64(v)*(float64(v)*s-float64(rowSum[r]))
	}
	return probs
}

// logSumExp returns a row's log-sum-exp from its target's probability py
// and logit xy, or, when py has underflowed (a logit far below the row's
// maximum, where log py would lose every digit), from the row itself.
func logSumExp(row []float32, py float32, xy float64) float64 {
	if py > 1e-30 {
		return xy - math.Log(float64(py))
	}
	top := math.Inf(-1)
	for _, v := range row {
		top = math.Max(top, float64(v))
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - top)
	}
	return top + math.Log(sum)
}

// logitGrads turns the softmax probs into the loss's gradient with
// respect to the logits, less its rank-one α/V part (projectGrads adds
// that): P − (1−α)·onehot(y) on token rows, 0 on pad rows.
//
// Probabilities under 1e-30 become 0: in the products below they change
// no float32 sum, and as subnormal numbers they would slow the products
// down several times over (every multiply on one takes a microcode
// assist). Only rows that can hold one are scanned (mayUnderflow).
func (f *fusedHead) logitGrads(probs *ts.Tensor) {
	p, _ := torch.Float32s(probs)
	v := f.vocab
	scan := f.mayUnderflow(p)
	torch.ParallelFor(len(f.tgt), 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := p[r*v : (r+1)*v]
			if f.tgt[r] == f.pad {
				clear(row)
				continue
			}
			if scan[r] {
				for i, q := range row {
					if q < 1e-30 {
						row[i] = 0
					}
				}
			}
			row[f.tgt[r]] -= float32(1 - f.alpha)
		}
	})
}

// mayUnderflow marks the token rows where a probability may fall under
// 1e-30 = e^-69.1. A row's logits are h·w_v, so none lies below
// −‖h‖·max_v‖w_v‖, and every probability is at least
// exp(−‖h‖·max‖w_v‖ − s), s the row's log-sum-exp (from its target's
// probability and logit, as in rowLosses). Rows whose bound stays above
// e^-68 skip the scan: at initialization and in ordinary training, all.
func (f *fusedHead) mayUnderflow(p []float32) []bool {
	h, _ := torch.Float32s(f.h2)
	w, _ := torch.Float32s(f.w)
	d := len(h) / len(f.tgt)
	maxW := 0.0
	for i := 0; i < len(w); i += d {
		maxW = max(maxW, norm2(w[i:i+d]))
	}
	scan := make([]bool, len(f.tgt))
	for r, y := range f.tgt {
		if y == f.pad {
			continue
		}
		py := float64(p[r*f.vocab+int(y)])
		xy := dot(h[r*d:(r+1)*d], w[int(y)*d:(int(y)+1)*d])
		// s − x_y = −log P_y; the bound is ‖h‖·max‖w‖ + s < 68.
		s := xy - math.Log(py)
		scan[r] = py <= 1e-30 || norm2(h[r*d:(r+1)*d])*maxW+s >= 68
	}
	return scan
}

func norm2(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// projectGrads returns the gradients G·w (for h2, when needH) and Gᵀ·h2
// (for w, when needW), G being grads less α/V on token rows: the bias
// −α/V·mask·(1ᵀw) and −α/V·(maskᵀh2) puts that part back.
func (f *fusedHead) projectGrads(grads *ts.Tensor, needH, needW bool) (gh, gw *ts.Tensor) {
	mask := tokenMask(f.tgt, f.pad)
	defer torch.Free(mask)
	shift := ts.FloatScalar(-f.alpha / float64(f.vocab))
	defer func() { torch.Check(shift.Drop()) }()
	if needH {
		bias := torch.Must(torch.Must(mask.Mul(f.colSum, false)).MulScalar(shift, true))
		gh = torch.Must(bias.Addmm(grads, f.w, true))
	}
	if needW {
		maskRow := torch.Must(mask.T(false))
		bias := torch.Must(torch.Must(maskRow.Mm(f.h2, false)).MulScalar(shift, true))
		torch.Free(maskRow)
		gT := torch.Must(grads.T(false))
		gw = torch.Must(bias.Addmm(gT, f.h2, true))
		torch.Free(gT)
	}
	return gh, gw
}

// tokenMask is a [N, 1] float32 column: 1 on token rows, 0 on pad rows.
func tokenMask(tgt []int64, pad int64) *ts.Tensor {
	vals := make([]float32, len(tgt))
	for i, y := range tgt {
		if y != pad {
			vals[i] = 1
		}
	}
	m := torch.Must(ts.OfSlice(vals))
	return torch.Must(m.View([]int64{int64(len(vals)), 1}, true))
}

// surrogateLoss returns a scalar tensor whose value is value and whose
// gradients with respect to h2 and w are gh and gw (nil: none): value
// + Σ h2⊙gh + Σ w⊙gw − (the same, detached). It frees gh and gw (the
// graph keeps what backward needs).
func surrogateLoss(value float64, h2, gh, w, gw *ts.Tensor) *ts.Tensor {
	v := ts.FloatScalar(value)
	defer func() { torch.Check(v.Drop()) }()
	var s *ts.Tensor
	for _, pair := range [][2]*ts.Tensor{{h2, gh}, {w, gw}} {
		if pair[1] == nil {
			continue
		}
		term := torch.Must(torch.Must(pair[0].Mul(pair[1], false)).Sum(gotch.Float, true))
		torch.Free(pair[1])
		if s == nil {
			s = term
		} else {
			s = torch.Must(s.Add(term, true))
			torch.Free(term)
		}
	}
	if s == nil {
		one := torch.Must(ts.OfSlice([]float32{float32(value)}))
		return torch.Must(one.Squeeze(true))
	}
	fixed := torch.Must(s.Detach(false))
	out := torch.Must(s.Sub(fixed, true))
	torch.Free(fixed)
	return torch.Must(out.AddScalar(v, true))
}
