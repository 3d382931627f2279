package train

import (
	"errors"
	"fmt"
	"math"
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

	started time.Time
	prior   float64 // training seconds of earlier sessions
}

// OpenSession opens the run's metrics log and, when the folder holds a
// checkpoint, restores the variables, the optimizer state and the
// position from it. Close the session's log when done.
func OpenSession(run RunDir, vs *nn.VarStore, opt Optimizer, limits Limits) (*Session, error) {
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	log, err := OpenMetricsLog(run.File(MetricsFile))
	if err != nil {
		return nil, err
	}
	s := &Session{VS: vs, Opt: opt, Run: run, Limits: limits, Log: log, Best: math.Inf(1), started: time.Now()}
	if !run.Exists(LastCheckpoint) {
		return s, nil
	}
	if s.Meta, err = LoadCheckpoint(run.File(LastCheckpoint), vs, opt); err != nil {
		log.Close()
		return nil, fmt.Errorf("resume: %w", err)
	}
	if b, ok := s.Meta.Extra["best_valid_loss"].(float64); ok {
		s.Best = b
	}
	s.prior, _ = s.Meta.Extra["train_seconds"].(float64)
	return s, log.Write(map[string]any{"event": "resume", "updates": s.Meta.Updates, "epoch": s.Meta.Epoch, "batch": s.Meta.Batch})
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
