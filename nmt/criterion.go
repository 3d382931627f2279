package nmt

import (
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// LabelSmoothedLoss is fairseq's label_smoothed_cross_entropy, summed
// over non-padding target tokens: with ε the smoothing and V the
// vocabulary size, each token costs
//
//	(1 - ε - ε/(V-1))·(-log p_y) + ε/(V-1)·Σ_v (-log p_v).
//
// That is exactly PyTorch's cross_entropy with label_smoothing ε·V/(V-1)
// (PyTorch spreads its α over all V classes, fairseq its ε over the V-1
// others), so the fused libtorch kernel computes it, backward included.
// logits is [B, T, V], target [B, T]; the result is a scalar the caller
// owns and frees. Training and evaluation use Model.ForwardLoss, which
// computes the same loss fused with the output projection.
func LabelSmoothedLoss(logits, target *ts.Tensor, epsilon float64, pad int64) (loss *ts.Tensor, err error) {
	defer torch.Recover(&err)
	shape := torch.Shape(logits)
	v := shape[len(shape)-1]
	alpha := smoothingAlpha(epsilon, v)
	flat := torch.Must(logits.View([]int64{-1, v}, false))
	tgt := torch.Must(target.View([]int64{-1}, false))
	defer torch.Free(flat, tgt)
	return torch.Must(flat.CrossEntropyLoss(tgt, ts.None, ts.ReductionSum, pad, alpha, false)), nil
}

// NLLLoss is the summed negative log-likelihood of the non-padding
// target tokens (the unsmoothed loss that perplexity is computed from).
func NLLLoss(logits, target *ts.Tensor, pad int64) (*ts.Tensor, error) {
	return LabelSmoothedLoss(logits, target, 0, pad)
}
