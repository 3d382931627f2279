package vision

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/vision/images"
)

// Eval is a model's score on a data set.
type Eval struct {
	Loss       float64 // mean cross entropy (unsmoothed)
	Top1, Top5 float64 // accuracy in %
	N          int
}

// Evaluate scores m on every image of s (no augmentation, batch
// statistics frozen, no autograd graph).
func Evaluate(m *Model, s *images.Set, c images.LoaderConfig) (ev Eval, err error) {
	defer torch.Recover(&err)
	c.Shuffle, c.DropLast, c.Augment = false, false, images.Augment{}
	loader := images.NewEpoch(s, c, 0, 0)
	defer loader.Close()
	var lossSum float64
	var top1, top5 int64
	torch.NoGrad(func() {
		for {
			b, ok := loader.Next()
			if !ok {
				return
			}
			l, c1, c5 := evalBatch(m, s, b)
			lossSum, top1, top5, ev.N = lossSum+l, top1+c1, top5+c5, ev.N+b.N
			b.Release()
		}
	})
	if ev.N > 0 {
		ev.Loss = lossSum / float64(ev.N)
		ev.Top1 = 100 * float64(top1) / float64(ev.N)
		ev.Top5 = 100 * float64(top5) / float64(ev.N)
	}
	return ev, nil
}

func evalBatch(m *Model, s *images.Set, b *images.Batch) (lossSum float64, top1, top5 int64) {
	x, y := batchTensors(s, b, m.Device())
	defer torch.Free(x, y)
	logits, err := m.Forward(x, false)
	torch.Check(err)
	defer torch.Free(logits)
	l := torch.Must(logits.CrossEntropyLoss(y, ts.None, ts.ReductionSum, -100, 0, false))
	defer torch.Free(l)
	return torch.Float(l), countTopK(logits, y, 1), countTopK(logits, y, 5)
}

// batchTensors copies a batch into tensors on device: images [N, C, H, W]
// float32 and labels [N] int64.
func batchTensors(s *images.Set, b *images.Batch, device gotch.Device) (x, y *ts.Tensor) {
	flat := torch.Must(ts.OfSlice(b.X[:b.N*s.C*s.H*s.W]))
	x = torch.Must(flat.View([]int64{int64(b.N), int64(s.C), int64(s.H), int64(s.W)}, true))
	y = torch.Must(ts.OfSlice(b.Y[:b.N]))
	if device != gotch.CPU {
		x = torch.Must(x.To(device, true))
		y = torch.Must(y.To(device, true))
	}
	return x, y
}

// countTopK counts the rows of logits [N, K] whose label y is among
// their k largest (k is capped at the number of classes).
func countTopK(logits, y *ts.Tensor, k int64) int64 {
	classes := torch.Shape(logits)[1]
	vals, idx, err := logits.Topk(min(k, classes), 1, true, false, false)
	torch.Check(err)
	torch.Free(vals)
	col := torch.Must(y.Unsqueeze(1, false))
	hit := torch.Must(idx.EqTensor(col, true))
	torch.Free(col)
	count := torch.Must(hit.Sum(gotch.Int64, true))
	defer torch.Free(count)
	return count.Int64Values()[0]
}
