package nmt

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
)

// TrainConfig is the [train] section of a translation recipe.
type TrainConfig struct {
	Batching       `mapstructure:",squash"`
	UpdateFreq     int                  `mapstructure:"update_freq"`     // batches accumulated per update (fairseq's update_freq), default 1
	MaxEpochs      int                  `mapstructure:"max_epochs"`      // stop after this many epochs (0: no limit), default 0
	MaxUpdates     int64                `mapstructure:"max_updates"`     // stop after this many updates (0: no limit), default 0
	MaxMinutes     float64              `mapstructure:"max_minutes"`     // stop once this much training time (all sessions of the run together) has passed (0: no limit), default 0
	ClipNorm       float64              `mapstructure:"clip_norm"`       // gradient norm clip (0: off), default 0
	LabelSmoothing float64              `mapstructure:"label_smoothing"` // ε of the label-smoothed loss, default 0.1
	Seed           int64                `mapstructure:"seed"`            // weights, dropout and batch order, default 1
	SaveEvery      int64                `mapstructure:"save_every"`      // also checkpoint every N updates mid-epoch (0: epoch ends only), default 0
	KeepLast       int                  `mapstructure:"keep_last"`       // epoch checkpoints kept for averaging, default 5
	Adam           train.AdamConfig     `mapstructure:"adam"`            // [train.adam]
	Schedule       train.ScheduleConfig `mapstructure:"schedule"`        // [train.schedule]
	// GradStatsEvery logs, every N updates, the gradient norm of each
	// layer's parameters (encoder.layers.K, then decoder.layers.K) and
	// of all parameters, as the optimizer receives them (normalized by
	// the target tokens, before clipping): a metrics.jsonl record
	// {"event": "grads", "updates", "blocks", "block_names", "total"}.
	// 0 (the default) is off. It only observes, so like max_epochs it is
	// left out of the run's identity (and out of config.json when 0).
	GradStatsEvery int64 `mapstructure:"grad_stats_every" json:",omitempty"`
}

// DefaultTrainConfig is fairseq's WMT recipe at a CPU-sized batch.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Batching:       Batching{MaxTokens: 4096},
		UpdateFreq:     1,
		LabelSmoothing: 0.1,
		Seed:           1,
		KeepLast:       5,
		Adam:           train.DefaultAdam(),
		Schedule:       train.ScheduleConfig{Name: "inverse_sqrt", LR: 7e-4, Warmup: 4000, WarmupLR: 1e-7},
	}
}

// Validate reports every out-of-range value.
func (c TrainConfig) Validate() error {
	if err := c.Batching.Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := train.CheckLimits(c.Limits()); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	switch {
	case c.UpdateFreq < 1:
		return fmt.Errorf("train: update_freq = %d, want >= 1", c.UpdateFreq)
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1):
		return fmt.Errorf("train: label_smoothing = %g, want in [0, 1)", c.LabelSmoothing)
	case !train.Finite(c.ClipNorm) || c.ClipNorm < 0:
		return fmt.Errorf("train: clip_norm = %g, want a finite value >= 0 (0: off)", c.ClipNorm)
	case c.KeepLast < 0:
		return fmt.Errorf("train: keep_last = %d, want >= 0", c.KeepLast)
	case c.GradStatsEvery < 0:
		return fmt.Errorf("train: grad_stats_every = %d, want >= 0 (0 = off)", c.GradStatsEvery)
	}
	if err := c.Adam.Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if _, err := c.Schedule.Build(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// Trainer trains a Model on a Corpus, checkpointing into a run folder
// so that an interrupted run resumes where it was.
type Trainer struct {
	Model    *Model
	VS       *nn.VarStore
	Corpus   *Corpus
	Cfg      TrainConfig
	Run      train.RunDir
	Progress io.Writer // where the progress bar goes; nil hides it

	opt    *train.Adam
	params []train.Param
	sched  train.Schedule
	sess   *train.Session

	afterUpdate func(updates int64) // test hook
}

// EpochStats summarizes one epoch for the metrics log and the table.
type EpochStats struct {
	Epoch      int     `json:"epoch"`
	Updates    int64   `json:"updates"`
	TrainLoss  float64 `json:"train_loss"` // label-smoothed, nats per target token
	ValidLoss  float64 `json:"valid_loss"`
	ValidNLL   float64 `json:"valid_nll"`
	ValidPPL   float64 `json:"valid_ppl"`
	TokensPerS float64 `json:"train_tokens_per_s"` // target tokens
	Seconds    float64 `json:"epoch_seconds"`
}

func (t *Trainer) setup() error {
	if err := t.Cfg.Validate(); err != nil {
		return err
	}
	var err error
	if t.params, err = train.Params(t.VS); err != nil {
		return err
	}
	if t.opt, err = train.NewAdam(t.params, t.Cfg.Adam); err != nil {
		return err
	}
	if t.sched, err = t.Cfg.Schedule.Build(); err != nil {
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

// Limits are the run's stopping conditions.
func (c TrainConfig) Limits() train.Limits {
	return train.Limits{MaxEpochs: c.MaxEpochs, MaxUpdates: c.MaxUpdates, MaxMinutes: c.MaxMinutes}
}

// Fit trains until max_epochs or max_updates, or until ctx is cancelled
// (then the state is checkpointed and ctx's error returned). It returns
// the stats of the epochs it completed.
func (t *Trainer) Fit(ctx context.Context) (stats []EpochStats, err error) {
	if err := t.setup(); err != nil {
		return nil, err
	}
	defer t.sess.Close()
	return train.Epochs(t.sess, func() (EpochStats, error) { return t.epoch(ctx) })
}

// epoch runs (the rest of) one epoch, validates and checkpoints.
func (t *Trainer) epoch(ctx context.Context) (EpochStats, error) {
	epoch := t.sess.Meta.Epoch + 1
	plan, err := t.Cfg.Plan(t.Corpus.Train, true, t.Cfg.Seed*1000003+int64(epoch))
	if err != nil {
		return EpochStats{}, fmt.Errorf("epoch %d: %w", epoch, err)
	}
	start := time.Now()
	groups := groupBatches(plan[t.sess.Meta.Batch:], t.Cfg.UpdateFreq)
	bar := train.NewProgress(t.Progress, int64(len(groups)), fmt.Sprintf("epoch %d", epoch), "tok")
	var lossSum float64
	var tokens int64
	partial := false
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			bar.Finish()
			return EpochStats{}, t.sess.Interrupt(err)
		}
		if t.sess.OutOfBudget() {
			partial = true // stop mid-epoch, but validate and save as at an epoch's end
			break
		}
		l, n, err := t.update(g)
		if err != nil {
			return EpochStats{}, fmt.Errorf("epoch %d update %d: %w", epoch, t.sess.Meta.Updates+1, err)
		}
		lossSum, tokens = lossSum+l, tokens+n
		t.sess.Meta.Batch += len(g)
		if t.afterUpdate != nil {
			t.afterUpdate(t.sess.Meta.Updates)
		}
		bar.Step(n, l/float64(n), t.sched.LR(t.sess.Meta.Updates))
		if err := t.sess.MaybeSave(t.Cfg.SaveEvery, gi == len(groups)-1); err != nil {
			return EpochStats{}, err
		}
	}
	bar.Finish()
	return t.endEpoch(epoch, partial, lossSum, tokens, bar.PerSecond(), time.Since(start))
}

func groupBatches(plan [][]int, size int) [][][]int {
	var out [][][]int
	for i := 0; i < len(plan); i += size {
		out = append(out, plan[i:min(i+size, len(plan))])
	}
	return out
}

// update accumulates the gradients of a group of batches, normalizes
// them by the group's target tokens (fairseq's sample_size), clips and
// steps. It returns the summed smoothed loss and the token count.
func (t *Trainer) update(group [][]int) (loss float64, tokens int64, err error) {
	defer torch.Recover(&err)
	t.opt.ZeroGrad()
	// The masks of update n depend on (seed, n) only: a resumed run
	// drops out exactly what an uninterrupted one would.
	torch.SeedDropout(t.Cfg.Seed, t.sess.Meta.Updates+1)
	for _, idx := range group {
		l, n := t.backward(idx)
		loss, tokens = loss+l, tokens+n
	}
	train.ScaleGrads(t.params, 1/float64(tokens))
	torch.Check(t.sess.LogGradStats(t.Cfg.GradStatsEvery, t.sess.Meta.Updates+1, t.params, t.Model.BlockPrefixes()))
	norm := train.ClipGradNorm(t.params, t.Cfg.ClipNorm)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return 0, 0, fmt.Errorf("gradient norm is %v (loss %.4g): %w", norm, loss/float64(tokens), train.ErrDiverged)
	}
	t.sess.Meta.Updates++
	t.opt.Step(t.sched.LR(t.sess.Meta.Updates))
	return loss, tokens, nil
}

func (t *Trainer) backward(idx []int) (float64, int64) {
	b, err := Collate(t.Corpus.Train, idx, t.Model.cfg.PaddingIdx, t.Model.cfg.EOSIdx, t.Model.Device())
	torch.Check(err)
	defer b.Free()
	loss, _, err := t.Model.ForwardLoss(b.Src, b.Prev, b.Target, t.Cfg.LabelSmoothing, true)
	torch.Check(err)
	torch.Check(loss.Backward())
	return torch.Float(loss), b.TgtTokens
}

// endEpoch validates and checkpoints. A partial epoch (max_updates
// reached inside it) keeps its position, so that a run extended later
// goes on with the rest of the epoch.
func (t *Trainer) endEpoch(epoch int, partial bool, lossSum float64, tokens int64, rate float64, took time.Duration) (EpochStats, error) {
	v, err := Evaluate(t.Model, t.Corpus.Valid, t.Cfg.Batching, t.Cfg.LabelSmoothing)
	if err != nil {
		return EpochStats{}, fmt.Errorf("epoch %d: validation: %w", epoch, err)
	}
	s := EpochStats{Epoch: epoch, Updates: t.sess.Meta.Updates, TrainLoss: lossSum / float64(max(tokens, 1)),
		ValidLoss: v.Loss, ValidNLL: v.NLL, ValidPPL: v.PPL(), TokensPerS: rate, Seconds: took.Seconds()}
	if _, err := t.sess.EndEpoch(epoch, partial, v.Loss, t.Cfg.KeepLast, s); err != nil {
		return s, err
	}
	if t.Progress != nil {
		fmt.Fprintf(t.Progress, "epoch %d: %d updates, train loss %.3f, valid loss %.3f, valid ppl %s, %.0f tok/s, %.0f s\n",
			s.Epoch, s.Updates, s.TrainLoss, s.ValidLoss, FormatPPL(s.ValidPPL), s.TokensPerS, s.Seconds)
	}
	return s, nil
}
