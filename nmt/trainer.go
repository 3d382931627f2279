package nmt

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

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
	switch {
	case c.UpdateFreq < 1:
		return fmt.Errorf("train: update_freq = %d, want >= 1", c.UpdateFreq)
	case c.MaxEpochs <= 0 && c.MaxUpdates <= 0 && c.MaxMinutes <= 0:
		return fmt.Errorf("train: set max_epochs, max_updates or max_minutes (all are 0: the run would never stop)")
	case c.MaxMinutes < 0:
		return fmt.Errorf("train: max_minutes = %g, want >= 0", c.MaxMinutes)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("train: label_smoothing = %g, want in [0, 1)", c.LabelSmoothing)
	case c.ClipNorm < 0:
		return fmt.Errorf("train: clip_norm = %g, want >= 0", c.ClipNorm)
	case c.KeepLast < 0:
		return fmt.Errorf("train: keep_last = %d, want >= 0", c.KeepLast)
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
	log    *train.MetricsLog
	meta   train.Meta
	best   float64

	started      time.Time // when this session's training began
	priorSeconds float64   // training time of earlier sessions, from the checkpoint

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
	if t.log, err = train.OpenMetricsLog(t.Run.File(train.MetricsFile)); err != nil {
		return err
	}
	t.best = math.Inf(1)
	t.started = time.Now()
	if !t.Run.Exists(train.LastCheckpoint) {
		return nil
	}
	if t.meta, err = train.LoadCheckpoint(t.Run.File(train.LastCheckpoint), t.VS, t.opt); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if b, ok := t.meta.Extra["best_valid_loss"].(float64); ok {
		t.best = b
	}
	t.priorSeconds, _ = t.meta.Extra["train_seconds"].(float64)
	return t.log.Write(map[string]any{"event": "resume", "updates": t.meta.Updates, "epoch": t.meta.Epoch, "batch": t.meta.Batch})
}

// Fit trains until max_epochs or max_updates, or until ctx is cancelled
// (then the state is checkpointed and ctx's error returned). It returns
// the stats of the epochs it completed.
func (t *Trainer) Fit(ctx context.Context) (stats []EpochStats, err error) {
	if err := t.setup(); err != nil {
		return nil, err
	}
	defer t.log.Close()
	for !t.done() {
		s, err := t.epoch(ctx)
		if err != nil {
			return stats, err
		}
		stats = append(stats, s)
	}
	return stats, nil
}

func (t *Trainer) done() bool {
	return (t.Cfg.MaxEpochs > 0 && t.meta.Epoch >= t.Cfg.MaxEpochs) || t.outOfBudget()
}

// outOfBudget reports whether max_updates or max_minutes is reached.
func (t *Trainer) outOfBudget() bool {
	return (t.Cfg.MaxUpdates > 0 && t.meta.Updates >= t.Cfg.MaxUpdates) ||
		(t.Cfg.MaxMinutes > 0 && t.trainedSeconds() >= 60*t.Cfg.MaxMinutes)
}

// trainedSeconds is the training time of this run so far, earlier
// sessions (before a resume) included.
func (t *Trainer) trainedSeconds() float64 {
	return t.priorSeconds + time.Since(t.started).Seconds()
}

// epoch runs (the rest of) one epoch, validates and checkpoints.
func (t *Trainer) epoch(ctx context.Context) (EpochStats, error) {
	epoch := t.meta.Epoch + 1
	plan, err := t.Cfg.Plan(t.Corpus.Train, true, t.Cfg.Seed*1000003+int64(epoch))
	if err != nil {
		return EpochStats{}, fmt.Errorf("epoch %d: %w", epoch, err)
	}
	start := time.Now()
	groups := groupBatches(plan[t.meta.Batch:], t.Cfg.UpdateFreq)
	bar := train.NewProgress(t.Progress, int64(len(groups)), fmt.Sprintf("epoch %d", epoch), "tok")
	var lossSum float64
	var tokens int64
	partial := false
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			bar.Finish()
			return EpochStats{}, t.interrupt(err)
		}
		if t.outOfBudget() {
			partial = true // stop mid-epoch, but validate and save as at an epoch's end
			break
		}
		l, n, err := t.update(g)
		if err != nil {
			return EpochStats{}, fmt.Errorf("epoch %d update %d: %w", epoch, t.meta.Updates+1, err)
		}
		lossSum, tokens = lossSum+l, tokens+n
		t.meta.Batch += len(g)
		if t.afterUpdate != nil {
			t.afterUpdate(t.meta.Updates)
		}
		bar.Step(n, l/float64(n), t.sched.LR(t.meta.Updates))
		if err := t.maybeSave(gi == len(groups)-1); err != nil {
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
	for _, idx := range group {
		l, n := t.backward(idx)
		loss, tokens = loss+l, tokens+n
	}
	scaleGrads(t.params, 1/float64(tokens))
	norm := train.ClipGradNorm(t.params, t.Cfg.ClipNorm)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return 0, 0, fmt.Errorf("gradient norm is %v (loss %.4g): training diverged", norm, loss/float64(tokens))
	}
	t.meta.Updates++
	t.opt.Step(t.sched.LR(t.meta.Updates))
	return loss, tokens, nil
}

func (t *Trainer) backward(idx []int) (float64, int64) {
	b, err := Collate(t.Corpus.Train, idx, t.Model.cfg.PaddingIdx, t.Model.cfg.EOSIdx, t.Model.Device())
	torch.Check(err)
	defer b.Free()
	logits, err := t.Model.Forward(b.Src, b.Prev, true)
	torch.Check(err)
	loss, err := LabelSmoothedLoss(logits, b.Target, t.Cfg.LabelSmoothing, t.Model.cfg.PaddingIdx)
	torch.Free(logits)
	torch.Check(err)
	torch.Check(loss.Backward())
	return torch.Float(loss), b.TgtTokens
}

func scaleGrads(params []train.Param, f float64) {
	torch.NoGrad(func() {
		s := ts.FloatScalar(f)
		defer s.Drop()
		for _, p := range params {
			g := torch.Must(p.Tensor.Grad(false))
			if g.MustDefined() {
				torch.Check(g.MulScalar_(s))
			}
			torch.Free(g)
		}
	})
}

func (t *Trainer) maybeSave(lastOfEpoch bool) error {
	if t.Cfg.SaveEvery <= 0 || lastOfEpoch || t.meta.Updates%t.Cfg.SaveEvery != 0 {
		return nil
	}
	return t.save(train.LastCheckpoint)
}

func (t *Trainer) save(name string) error {
	if t.meta.Extra == nil {
		t.meta.Extra = map[string]any{}
	}
	t.meta.Extra["train_seconds"] = t.trainedSeconds()
	if !math.IsInf(t.best, 1) { // JSON has no infinity; absent means "none yet"
		t.meta.Extra["best_valid_loss"] = t.best
	}
	return train.SaveCheckpoint(t.Run.File(name), t.VS, t.opt, t.meta)
}

// interrupt checkpoints the state reached and returns cause.
func (t *Trainer) interrupt(cause error) error {
	if err := t.save(train.LastCheckpoint); err != nil {
		return fmt.Errorf("%w (and saving on interrupt failed: %v)", cause, err)
	}
	_ = t.log.Write(map[string]any{"event": "interrupted", "updates": t.meta.Updates, "epoch": t.meta.Epoch, "batch": t.meta.Batch})
	return fmt.Errorf("interrupted at update %d (state saved in %s; run again to resume): %w",
		t.meta.Updates, t.Run.File(train.LastCheckpoint), cause)
}

// endEpoch validates and checkpoints. A partial epoch (max_updates
// reached inside it) keeps its position, so that a run extended later
// goes on with the rest of the epoch.
func (t *Trainer) endEpoch(epoch int, partial bool, lossSum float64, tokens int64, rate float64, took time.Duration) (EpochStats, error) {
	v, err := Evaluate(t.Model, t.Corpus.Valid, t.Cfg.Batching, t.Cfg.LabelSmoothing)
	if err != nil {
		return EpochStats{}, fmt.Errorf("epoch %d: validation: %w", epoch, err)
	}
	s := EpochStats{Epoch: epoch, Updates: t.meta.Updates, TrainLoss: lossSum / float64(max(tokens, 1)),
		ValidLoss: v.Loss, ValidNLL: v.NLL, ValidPPL: v.PPL(), TokensPerS: rate, Seconds: took.Seconds()}
	if !partial {
		t.meta.Epoch, t.meta.Batch = epoch, 0
	}
	improved := v.Loss < t.best
	if improved {
		t.best = v.Loss
	}
	if err := t.saveEpoch(epoch, improved); err != nil {
		return s, err
	}
	if t.Progress != nil {
		fmt.Fprintf(t.Progress, "epoch %d: %d updates, train loss %.3f, valid loss %.3f, valid ppl %.2f, %.0f tok/s, %.0f s\n",
			s.Epoch, s.Updates, s.TrainLoss, s.ValidLoss, s.ValidPPL, s.TokensPerS, s.Seconds)
	}
	rec := map[string]any{"event": "epoch"}
	for k, val := range structMap(s) {
		rec[k] = val
	}
	return s, t.log.Write(rec)
}

func (t *Trainer) saveEpoch(epoch int, improved bool) error {
	if err := t.save(train.LastCheckpoint); err != nil {
		return err
	}
	if improved {
		if err := copyFile(t.Run.File(train.LastCheckpoint), t.Run.File(train.BestCheckpoint)); err != nil {
			return err
		}
	}
	if t.Cfg.KeepLast == 0 {
		return nil
	}
	if err := copyFile(t.Run.File(train.LastCheckpoint), t.Run.File(EpochCheckpoint(epoch))); err != nil {
		return err
	}
	return pruneEpochCheckpoints(t.Run, t.Cfg.KeepLast)
}

// EpochCheckpoint names the checkpoint kept at the end of epoch.
func EpochCheckpoint(epoch int) string { return fmt.Sprintf("checkpoint%d.pt", epoch) }

// EpochCheckpoints lists the run's epoch checkpoints, oldest first.
func EpochCheckpoints(run train.RunDir) []string {
	matches, _ := filepath.Glob(run.File("checkpoint[0-9]*.pt"))
	epochOf := func(p string) int {
		var e int
		fmt.Sscanf(filepath.Base(p), "checkpoint%d.pt", &e)
		return e
	}
	sort.Slice(matches, func(i, j int) bool { return epochOf(matches[i]) < epochOf(matches[j]) })
	return matches
}

func pruneEpochCheckpoints(run train.RunDir, keep int) error {
	all := EpochCheckpoints(run)
	for len(all) > keep {
		if err := os.Remove(all[0]); err != nil {
			return err
		}
		all = all[1:]
	}
	return nil
}

// copyFile copies src to dst atomically (through a temporary file and a
// rename), so dst is always a whole checkpoint.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(dst, data)
}
