package train

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/sugarme/gotch/nn"
)

// ErrDiverged marks a training run stopped because its loss or gradient
// norm stopped being finite: a result of the configuration (a scaled skip
// without normalization is expected to do it), not a failure of zoo.
var ErrDiverged = errors.New("training diverged")

// Limits say when a training run stops; 0 means no limit of that kind.
type Limits struct {
	MaxEpochs  int     // epochs completed
	MaxUpdates int64   // optimizer updates
	MaxMinutes float64 // training time, all sessions of the run together
}

// Validate refuses negative limits and a run that would never stop.
func (l Limits) Validate() error {
	switch {
	case l.MaxEpochs < 0 || l.MaxUpdates < 0:
		return fmt.Errorf("max_epochs = %d, max_updates = %d: want >= 0", l.MaxEpochs, l.MaxUpdates)
	case l.MaxMinutes < 0:
		return fmt.Errorf("max_minutes = %g, want >= 0", l.MaxMinutes)
	case l.MaxEpochs == 0 && l.MaxUpdates == 0 && l.MaxMinutes == 0:
		return fmt.Errorf("set max_epochs, max_updates or max_minutes (all are 0: the run would never stop)")
	}
	return nil
}

// Session is what a training loop carries across updates, epochs and
// resumes, whatever the task: the model's variables and optimizer, the
// position reached (Meta), the best validation score (lower is better),
// the training time so far, and the run folder it checkpoints into.
type Session struct {
	VS     *nn.VarStore
	Opt    Optimizer
	Run    RunDir
	Limits Limits
	Log    *MetricsLog
	Meta   Meta
	Best   float64 // +Inf until the first validation
	// From names the checkpoint the session resumed from: LastCheckpoint,
	// an epoch checkpoint when that was missing, or "" for a new run.
	From string

	started time.Time
	prior   float64 // training seconds of earlier sessions
}

// OpenSession opens the run's metrics log and, when the folder holds a
// checkpoint, restores the variables, the optimizer state and the
// position from it (see restore for a folder that lost its
// checkpoint_last.pt). Close the session's log when done.
func OpenSession(run RunDir, vs *nn.VarStore, opt Optimizer, limits Limits) (*Session, error) {
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	log, err := OpenMetricsLog(run.File(MetricsFile))
	if err != nil {
		return nil, err
	}
	s := &Session{VS: vs, Opt: opt, Run: run, Limits: limits, Log: log, Best: math.Inf(1), started: time.Now()}
	if err := s.restore(); err != nil {
		log.Close()
		return nil, fmt.Errorf("resume: %w", err)
	}
	if s.From == "" {
		return s, nil
	}
	if b, ok := s.Meta.Extra["best_valid_loss"].(float64); ok {
		s.Best = b
	}
	s.prior, _ = s.Meta.Extra["train_seconds"].(float64)
	return s, log.Write(map[string]any{"event": "resume", "updates": s.Meta.Updates, "epoch": s.Meta.Epoch, "batch": s.Meta.Batch, "checkpoint": s.From})
}

// restore loads Meta, the variables and the optimizer state from
// checkpoint_last.pt and sets From. When that file is gone (deleted or
// lost in a copy) but the folder shows progress, starting from scratch
// would train the logged epochs again and log them twice: the newest
// epoch checkpoint that loads is taken instead, provided the metrics log
// holds no epoch past it (the work since, at most part of an epoch, is
// redone); otherwise it is an error that says what to do.
func (s *Session) restore() error {
	if s.Run.Exists(LastCheckpoint) {
		meta, err := LoadCheckpoint(s.Run.File(LastCheckpoint), s.VS, s.Opt)
		if err != nil {
			return err
		}
		s.Meta, s.From = meta, LastCheckpoint
		return nil
	}
	epochs, err := ReadMetrics(s.Run.File(MetricsFile), "epoch")
	if err != nil {
		return fmt.Errorf("run folder %s: %w", s.Run.Path, err)
	}
	all := s.Run.EpochCheckpoints()
	if len(epochs) == 0 && len(all) == 0 {
		return nil // a new run, or one stopped before its first checkpoint
	}
	var logged int64 // updates at the last logged epoch
	if n := len(epochs); n > 0 {
		u, _ := epochs[n-1]["updates"].(float64)
		logged = int64(u)
	}
	var tried []string
	for i := len(all) - 1; i >= 0; i-- {
		name := filepath.Base(all[i])
		meta, err := LoadCheckpoint(all[i], s.VS, s.Opt)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if meta.Updates < logged {
			tried = append(tried, fmt.Sprintf("%s is at update %d, behind the epoch logged at update %d", name, meta.Updates, logged))
			break // older ones are further behind
		}
		s.Meta, s.From = meta, name
		return nil
	}
	why := "there is no epoch checkpoint (checkpointN.pt)"
	if len(tried) > 0 {
		why = strings.Join(tried, "; ")
	}
	return fmt.Errorf("run folder %s: %s is missing but %s records %d epochs, and no epoch checkpoint can stand in for it (%s): "+
		"put the run's %s back, or remove the folder (or choose another run_dir) to train from scratch",
		s.Run.Path, LastCheckpoint, MetricsFile, len(epochs), why, LastCheckpoint)
}

// Fallback is, when the session resumed from an epoch checkpoint because
// checkpoint_last.pt was missing, a line saying so; "" otherwise.
func (s *Session) Fallback() string {
	if s.From == "" || s.From == LastCheckpoint {
		return ""
	}
	return fmt.Sprintf("%s: %s is missing; resuming from %s (%d updates, %d whole epochs done)", s.Run.Path, LastCheckpoint, s.From, s.Meta.Updates, s.Meta.Epoch)
}

// Close closes the metrics log.
func (s *Session) Close() error { return s.Log.Close() }

// Done reports whether max_epochs, max_updates or max_minutes is reached.
func (s *Session) Done() bool {
	return (s.Limits.MaxEpochs > 0 && s.Meta.Epoch >= s.Limits.MaxEpochs) || s.OutOfBudget()
}

// OutOfBudget reports whether max_updates or max_minutes is reached:
// the limits that may stop a run inside an epoch.
func (s *Session) OutOfBudget() bool {
	return (s.Limits.MaxUpdates > 0 && s.Meta.Updates >= s.Limits.MaxUpdates) ||
		(s.Limits.MaxMinutes > 0 && s.TrainedSeconds() >= 60*s.Limits.MaxMinutes)
}

// TrainedSeconds is the run's training time so far, earlier sessions
// (before a resume) included.
func (s *Session) TrainedSeconds() float64 { return s.prior + time.Since(s.started).Seconds() }

// Save checkpoints the state to name in the run folder.
func (s *Session) Save(name string) error {
	if s.Meta.Extra == nil {
		s.Meta.Extra = map[string]any{}
	}
	s.Meta.Extra["train_seconds"] = s.TrainedSeconds()
	if !math.IsInf(s.Best, 1) { // JSON has no infinity; absent means "none yet"
		s.Meta.Extra["best_valid_loss"] = s.Best
	}
	return SaveCheckpoint(s.Run.File(name), s.VS, s.Opt, s.Meta)
}

// MaybeSave checkpoints every `every` updates (0: never) unless the
// epoch is about to end, which checkpoints anyway.
func (s *Session) MaybeSave(every int64, lastOfEpoch bool) error {
	if every <= 0 || lastOfEpoch || s.Meta.Updates%every != 0 {
		return nil
	}
	return s.Save(LastCheckpoint)
}

// Interrupt checkpoints the state reached and returns cause, wrapped
// with where the state went.
func (s *Session) Interrupt(cause error) error {
	if err := s.Save(LastCheckpoint); err != nil {
		return fmt.Errorf("%w (and saving on interrupt failed: %v)", cause, err)
	}
	_ = s.Log.Write(map[string]any{"event": "interrupted", "updates": s.Meta.Updates, "epoch": s.Meta.Epoch, "batch": s.Meta.Batch})
	return fmt.Errorf("interrupted at update %d (state saved in %s; run again to resume): %w",
		s.Meta.Updates, s.Run.File(LastCheckpoint), cause)
}

// EndEpoch records a validated epoch: a whole one moves the position to
// the next epoch's start, a partial one (stopped by max_updates or
// max_minutes) keeps its place so that an extended run goes on inside
// it. It checkpoints last, best (when score improved) and the epoch's
// own (keeping keepLast of those), and logs stats as an "epoch" record.
func (s *Session) EndEpoch(epoch int, partial bool, score float64, keepLast int, stats any) (improved bool, err error) {
	if !partial {
		s.Meta.Epoch, s.Meta.Batch = epoch, 0
	}
	improved = score < s.Best
	if improved {
		s.Best = score
	}
	if err := s.Save(LastCheckpoint); err != nil {
		return improved, err
	}
	if err := s.Run.KeepEpoch(epoch, improved, keepLast); err != nil {
		return improved, err
	}
	rec := map[string]any{"event": "epoch"}
	for k, v := range StructMap(stats) {
		rec[k] = v
	}
	return improved, s.Log.Write(rec)
}
