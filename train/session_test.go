package train

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// epochRecord is what a test epoch logs.
type epochRecord struct {
	Epoch   int   `json:"epoch"`
	Updates int64 `json:"updates"`
}

// trainEpochs runs epochs epochs of two updates each into run, as a
// trainer would, and closes the session.
func trainEpochs(t *testing.T, run RunDir, epochs, keepLast int) {
	t.Helper()
	m := newTinyModel(t, 1)
	s, err := OpenSession(run, m.vs, m.opt, Limits{MaxEpochs: epochs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := torch.Must(ts.Randn([]int64{5, 4}, gotch.Float, gotch.CPU))
	defer torch.Free(x)
	for e := 1; e <= epochs; e++ {
		for range 2 {
			m.step(x)
			s.Meta.Updates++
		}
		if _, err := s.EndEpoch(e, false, 1/float64(e), keepLast, epochRecord{e, s.Meta.Updates}); err != nil {
			t.Fatal(err)
		}
	}
}

func loggedEpochs(t *testing.T, run RunDir) []int {
	t.Helper()
	recs, err := ReadMetrics(run.File(MetricsFile), "epoch")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, r := range recs {
		e, _ := r["epoch"].(float64)
		out = append(out, int(e))
	}
	return out
}

// TestResumeWithoutLastCheckpoint: a run folder that lost its
// checkpoint_last.pt resumes from the newest epoch checkpoint when that
// is as recent as the metrics log, and is refused (naming the folder and
// what to do) when no checkpoint is: it never trains again from epoch 1,
// which would log the same epochs twice.
func TestResumeWithoutLastCheckpoint(t *testing.T) {
	cases := []struct {
		name     string
		epochs   int // trained before the damage
		keepLast int
		remove   []string
		tear     string // a file cut to half its size
		from     string // checkpoint resumed from; "" for a new run
		updates  int64
		err      string // part of the error; "" for none
	}{
		{name: "intact", epochs: 3, keepLast: 2, from: LastCheckpoint, updates: 6},
		{name: "new run", from: "", updates: 0},
		{name: "last deleted", epochs: 3, keepLast: 2, remove: []string{LastCheckpoint}, from: "checkpoint3.pt", updates: 6},
		{name: "last and newest epoch deleted", epochs: 3, keepLast: 2, remove: []string{LastCheckpoint, "checkpoint3.pt"},
			err: "checkpoint2.pt is at update 4, behind the epoch logged at update 6"},
		{name: "newest epoch torn", epochs: 3, keepLast: 2, remove: []string{LastCheckpoint}, tear: "checkpoint3.pt",
			err: "checkpoint2.pt is at update 4, behind"},
		{name: "no epoch checkpoints kept", epochs: 2, keepLast: 0, remove: []string{LastCheckpoint},
			err: "there is no epoch checkpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := RunDir{Path: t.TempDir()}
			if c.epochs > 0 {
				trainEpochs(t, run, c.epochs, c.keepLast)
			}
			for _, name := range c.remove {
				if err := os.Remove(run.File(name)); err != nil {
					t.Fatal(err)
				}
			}
			if c.tear != "" {
				data, err := os.ReadFile(run.File(c.tear))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(run.File(c.tear), data[:len(data)/2], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m := newTinyModel(t, 99)
			s, err := OpenSession(run, m.vs, m.opt, Limits{MaxEpochs: 10})
			if c.err != "" {
				if s != nil {
					s.Close()
				}
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), run.Path) ||
					!strings.Contains(err.Error(), "put the run's checkpoint_last.pt back, or remove the folder") {
					t.Fatalf("error %v, want one naming %s, %q and what to do", err, run.Path, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.From != c.from || s.Meta.Updates != c.updates || s.Meta.Epoch != c.epochs || m.opt.Steps() != c.updates {
				t.Fatalf("resumed from %q at %+v (optimizer step %d), want %q at update %d, epoch %d",
					s.From, s.Meta, m.opt.Steps(), c.from, c.updates, c.epochs)
			}
			if note := s.Fallback(); (note != "") != (c.from != LastCheckpoint && c.from != "") || (note != "" && !strings.Contains(note, c.from)) {
				t.Errorf("fallback note %q for a resume from %q", note, c.from)
			}
			// The next epoch follows on: each epoch is logged once.
			s.Meta.Updates += 2
			if _, err := s.EndEpoch(c.epochs+1, false, 0, c.keepLast, epochRecord{c.epochs + 1, s.Meta.Updates}); err != nil {
				t.Fatal(err)
			}
			var want []int
			for e := 1; e <= c.epochs+1; e++ {
				want = append(want, e)
			}
			if got := loggedEpochs(t, run); !reflect.DeepEqual(got, want) {
				t.Errorf("metrics.jsonl logs epochs %v, want %v", got, want)
			}
		})
	}
}

// TestFinishedWhateverTheSpelling: a finished run is recognized however
// its folder is named (relative, absolute, with ./ or a trailing /) and
// after a move, and only when the rest of the config is the same.
func TestFinishedWhateverTheSpelling(t *testing.T) {
	type config struct {
		Name, RunDir string
		Train        struct{ MaxEpochs int }
	}
	dir := t.TempDir()
	run := RunDir{Path: dir}
	stored := config{Name: "dj", RunDir: "runs/dj"}
	stored.Train.MaxEpochs = 3
	if err := run.WriteJSON(ConfigFile, stored); err != nil {
		t.Fatal(err)
	}
	if err := run.WriteJSON(DoneFile, map[string]any{"name": "dj"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		runDir    string
		maxEpochs int
		want      bool
	}{
		{"runs/dj", 3, true},
		{dir, 3, true},
		{"./runs/dj/", 3, true},
		{"/elsewhere/moved/dj", 3, true},
		{dir, 4, false}, // extended: resume and train on
	}
	for _, c := range cases {
		now := stored
		now.RunDir, now.Train.MaxEpochs = c.runDir, c.maxEpochs
		if got := run.Finished(now); got != c.want {
			t.Errorf("%s, max_epochs %d: finished %v, want %v", c.runDir, c.maxEpochs, got, c.want)
		}
	}
	if err := os.Remove(run.File(DoneFile)); err != nil {
		t.Fatal(err)
	}
	if run.Finished(stored) {
		t.Errorf("finished without %s", DoneFile)
	}
}
