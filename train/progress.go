package train

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress is a per-epoch progress bar that shows loss, learning rate and
// throughput (tokens/s or images/s) next to the count and the ETA.
type Progress struct {
	bar   *progressbar.ProgressBar
	unit  string // "tok" or "img"
	start time.Time
	items int64
}

// NewProgress starts a bar of total steps on w, labelled desc; unit names
// what throughput counts. A nil w hides the bar (tests), and so does a w
// that is not a terminal (CI logs, files): a redrawn bar is noise there.
func NewProgress(w io.Writer, total int64, desc, unit string) *Progress {
	visible := isTerminal(w)
	if !visible {
		w = io.Discard
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(20),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return &Progress{bar: bar, unit: unit, start: time.Now()}
}

// Step advances the bar by one step that processed items units and shows
// the running loss and learning rate.
func (p *Progress) Step(items int64, loss, lr float64) { p.StepWith(items, loss, lr, "") }

// StepWith is Step with more to show after the loss (e.g. "acc 91.2%").
func (p *Progress) StepWith(items int64, loss, lr float64, extra string) {
	p.items += items
	if extra != "" {
		extra += " "
	}
	p.bar.Describe(fmt.Sprintf("loss %.3f %slr %.2e %s", loss, extra, lr, p.Rate()))
	_ = p.bar.Add(1)
}

// Rate renders the throughput so far, e.g. "5120 tok/s".
func (p *Progress) Rate() string {
	return fmt.Sprintf("%.0f %s/s", p.PerSecond(), p.unit)
}

// PerSecond is the throughput so far.
func (p *Progress) PerSecond() float64 {
	s := time.Since(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(p.items) / s
}

// Finish completes the bar.
func (p *Progress) Finish() { _ = p.bar.Finish() }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
