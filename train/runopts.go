package train

import (
	"fmt"
	"io"
)

// RunOptions carries what a task's run needs besides its recipe.
type RunOptions struct {
	Out        io.Writer // progress and summaries; nil is silent
	RecipeText []byte    // the recipe file, copied into the run folder
	Env        any       // versions and settings, recorded in env.json
}

// Output is Out, or a writer that drops everything when Out is nil.
func (o RunOptions) Output() io.Writer {
	if o.Out == nil {
		return io.Discard
	}
	return o.Out
}

// Reuse reports whether the folder holds a finished run of exactly
// config, and if so reads its done.json into result and says so on out:
// a run is never trained twice.
func (r RunDir) Reuse(config, result any, name string, out io.Writer) bool {
	if !r.Finished(config) || r.ReadJSON(DoneFile, result) != nil {
		return false
	}
	fmt.Fprintf(out, "%s: finished earlier (%s); not training again\n", name, r.File(DoneFile))
	return true
}

// Epochs runs epoch until the session is done (a limit reached) or epoch
// fails, and returns the stats of the epochs completed.
func Epochs[S any](s *Session, epoch func() (S, error)) ([]S, error) {
	var stats []S
	for !s.Done() {
		st, err := epoch()
		if err != nil {
			return stats, err
		}
		stats = append(stats, st)
	}
	return stats, nil
}

// LogGradStats writes the per-block gradient norms of update number
// updates as a "grads" record when every > 0 divides it (the recipe's
// grad_stats_every); prefixes name the blocks' parameters.
func (s *Session) LogGradStats(every, updates int64, params []Param, prefixes []string) error {
	if every <= 0 || updates%every != 0 {
		return nil
	}
	blocks, total, err := BlockGradNorms(params, prefixes)
	if err != nil {
		return fmt.Errorf("grad_stats_every: %w", err)
	}
	return s.Log.Write(GradStatsRecord(updates, prefixes, blocks, total))
}
