package vision

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision/images"
)

// Trainer trains a Model on a training Set, evaluating on a test Set
// after every epoch and checkpointing into a run folder so that an
// interrupted run resumes where it was.
type Trainer struct {
	Model    *Model
	VS       *nn.VarStore
	Train    *images.Set
	Test     *images.Set
	Data     DataConfig
	Cfg      TrainConfig
	Run      train.RunDir
	Progress io.Writer // where the progress bar goes; nil hides it

	mean, std []float32
	params    []train.Param
	opt       train.Optimizer
	sched     train.Schedule
	sess      *train.Session
}

// stopAt, set by a test, runs after every update (to cancel a run at a
// chosen point).
var stopAt func(updates int64)

// EpochStats summarizes one epoch for the metrics log and the table.
type EpochStats struct {
	Epoch       int     `json:"epoch"`
	Updates     int64   `json:"updates"`
	TrainLoss   float64 `json:"train_loss"` // mean cross entropy (smoothed when label_smoothing > 0)
	TrainTop1   float64 `json:"train_top1"` // accuracy on the augmented training batches, in %
	TestLoss    float64 `json:"test_loss"`  // mean cross entropy, unsmoothed
	TestTop1    float64 `json:"test_top1"`  // in %
	TestTop5    float64 `json:"test_top5"`  // in %
	ImagesPerS  float64 `json:"train_images_per_s"`
	WaitPercent float64 `json:"data_wait_percent"` // share of the epoch's wall time spent waiting for batches
	Seconds     float64 `json:"epoch_seconds"`
	LR          float64 `json:"lr"` // at the epoch's last update
}

func (t *Trainer) setup() error {
	if err := t.Cfg.Validate(); err != nil {
		return err
	}
	if err := t.Data.CheckPadCrop(t.Train.H, t.Train.W); err != nil {
		return fmt.Errorf("[data] %w", err)
	}
	if t.Data.Normalize {
		t.mean, t.std = images.ChannelStats(t.Train)
		for i, s := range t.std {
			if s == 0 { // a constant channel: centre it, nothing to scale
				t.std[i] = 1
			}
		}
	}
	var err error
	if t.params, err = train.Params(t.VS); err != nil {
		return err
	}
	if t.opt, err = t.newOptimizer(); err != nil {
		return err
	}
	perEpoch := int64(images.NumBatches(t.Train.N, t.Cfg.BatchSize, false))
	if t.sched, err = t.Cfg.Schedule.InUpdates(perEpoch).Build(); err != nil {
		return err
	}
	if t.sess, err = train.OpenSession(t.Run, t.VS, t.opt, t.Cfg.Limits()); err != nil {
		return err
	}
	if note := t.sess.Fallback(); note != "" && t.Progress != nil {
		fmt.Fprintln(t.Progress, note)
	}
	return nil
}

func (t *Trainer) newOptimizer() (train.Optimizer, error) {
	if t.Cfg.Optimizer == "adam" {
		return train.NewAdam(t.params, t.Cfg.Adam)
	}
	return train.NewSGD(t.params, t.Cfg.SGD)
}

// Fit trains until a limit of the recipe is reached, or until ctx is
// cancelled (then the state is checkpointed and ctx's error returned).
// It returns the stats of the epochs it completed.
func (t *Trainer) Fit(ctx context.Context) (stats []EpochStats, err error) {
	if err := t.setup(); err != nil {
		return nil, err
	}
	defer t.sess.Close()
	return train.Epochs(t.sess, func() (EpochStats, error) { return t.epoch(ctx) })
}

func (t *Trainer) loaderConfig(augment bool) images.LoaderConfig {
	c := images.LoaderConfig{BatchSize: t.Cfg.BatchSize, Seed: t.Cfg.Seed, Mean: t.mean, Std: t.std, Workers: t.Data.Workers}
	if augment {
		c.Shuffle = true
		c.Augment = images.Augment{PadCrop: t.Data.PadCrop, Flip: t.Data.Flip}
	} else {
		c.BatchSize = t.Cfg.EvalBatchSize
	}
	return c
}

// epoch runs (the rest of) one epoch, evaluates and checkpoints.
func (t *Trainer) epoch(ctx context.Context) (EpochStats, error) {
	epoch := t.sess.Meta.Epoch + 1
	loader := images.NewEpoch(t.Train, t.loaderConfig(true), epoch, t.sess.Meta.Batch)
	defer loader.Close()
	start := time.Now()
	bar := train.NewProgress(t.Progress, int64(loader.Len()-t.sess.Meta.Batch), fmt.Sprintf("epoch %d", epoch), "img")
	var lossSum float64
	var seen, correct int64
	partial := false
	for {
		if err := ctx.Err(); err != nil {
			bar.Finish()
			return EpochStats{}, t.sess.Interrupt(err)
		}
		if t.sess.OutOfBudget() {
			partial = true
			break
		}
		b, ok := loader.Next()
		if !ok {
			break
		}
		l, c, err := t.update(b)
		n, last := int64(b.N), b.Index == loader.Len()-1
		b.Release()
		if err != nil {
			return EpochStats{}, fmt.Errorf("epoch %d update %d: %w", epoch, t.sess.Meta.Updates+1, err)
		}
		lossSum, seen, correct = lossSum+l*float64(n), seen+n, correct+c
		t.sess.Meta.Batch++
		if stopAt != nil {
			stopAt(t.sess.Meta.Updates)
		}
		bar.StepWith(n, lossSum/float64(seen), t.sched.LR(t.sess.Meta.Updates), fmt.Sprintf("acc %.1f%%", 100*float64(correct)/float64(seen)))
		if err := t.sess.MaybeSave(t.Cfg.SaveEvery, last); err != nil {
			return EpochStats{}, err
		}
	}
	bar.Finish()
	took := time.Since(start)
	s := EpochStats{Epoch: epoch, Updates: t.sess.Meta.Updates, TrainLoss: lossSum / float64(max(seen, 1)),
		TrainTop1: 100 * float64(correct) / float64(max(seen, 1)), ImagesPerS: bar.PerSecond(), Seconds: took.Seconds(),
		WaitPercent: 100 * loader.Waited().Seconds() / math.Max(took.Seconds(), 1e-9), LR: t.sched.LR(t.sess.Meta.Updates)}
	return t.endEpoch(s, partial)
}

// update takes one optimizer step on a batch and returns the batch's
// mean loss and its number of correct top-1 predictions.
func (t *Trainer) update(b *images.Batch) (loss float64, correct int64, err error) {
	defer torch.Recover(&err)
	x, y := batchTensors(t.Train, b, t.Model.Device())
	defer torch.Free(x, y)
	t.opt.ZeroGrad()
	logits, err := t.Model.Forward(x, true)
	torch.Check(err)
	defer torch.Free(logits)
	l := torch.Must(logits.CrossEntropyLoss(y, ts.None, ts.ReductionMean, -100, t.Cfg.LabelSmoothing, false))
	defer torch.Free(l)
	torch.Check(l.Backward())
	loss = torch.Float(l)
	torch.Check(t.sess.LogGradStats(t.Cfg.GradStatsEvery, t.sess.Meta.Updates+1, t.params, t.Model.BlockPrefixes()))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("loss is %v: %w", loss, train.ErrDiverged)
	}
	norm := train.ClipGradNorm(t.params, t.Cfg.ClipNorm)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return 0, 0, fmt.Errorf("gradient norm is %v (loss %.4g): %w", norm, loss, train.ErrDiverged)
	}
	t.sess.Meta.Updates++
	t.opt.Step(t.sched.LR(t.sess.Meta.Updates))
	return loss, countTopK(logits, y, 1), nil
}

// endEpoch evaluates on the test set and checkpoints. The best
// checkpoint is the one with the lowest test error: with no held-out
// split, that choice is test-set selection, so tables report the last
// epoch's accuracy and give the best only as extra information.
func (t *Trainer) endEpoch(s EpochStats, partial bool) (EpochStats, error) {
	ev, err := Evaluate(t.Model, t.Test, t.loaderConfig(false))
	if err != nil {
		return s, fmt.Errorf("epoch %d: test: %w", s.Epoch, err)
	}
	s.TestLoss, s.TestTop1, s.TestTop5 = ev.Loss, ev.Top1, ev.Top5
	if _, err := t.sess.EndEpoch(s.Epoch, partial, 100-ev.Top1, t.Cfg.KeepLast, s); err != nil {
		return s, err
	}
	if t.Progress != nil {
		fmt.Fprintf(t.Progress, "epoch %d: %d updates, train loss %.3f (acc %.2f%%), test loss %.3f, top-1 %.2f%%, top-5 %.2f%%, %.0f img/s, data wait %.1f%%, %.0f s\n",
			s.Epoch, s.Updates, s.TrainLoss, s.TrainTop1, s.TestLoss, s.TestTop1, s.TestTop5, s.ImagesPerS, s.WaitPercent, s.Seconds)
	}
	return s, nil
}
