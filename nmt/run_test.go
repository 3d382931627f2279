package nmt

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
)

// tinyRunRecipe is a one-layer, 32-wide model on the toy corpus, trained
// for two updates and decoded greedily in batches of a few sentences (the
// test set has 20), in a fresh run folder.
func tinyRunRecipe(t *testing.T) Recipe {
	t.Helper()
	d := filepath.Join(sharedDir(t), "data", "toy-deen")
	r, err := DefaultRecipe("small")
	if err != nil {
		t.Fatal(err)
	}
	r.Name, r.RunDir, r.Device = "tiny", filepath.Join(t.TempDir(), "run"), "cpu"
	r.Residual = "pre-ln"
	r.Data.Source, r.Data.Target = "de", "en"
	r.Data.Train, r.Data.Valid, r.Data.Test = filepath.Join(d, "train"), filepath.Join(d, "dev"), filepath.Join(d, "dev")
	r.Data.BPEMerges, r.Data.Limit, r.Data.MaxLen = 400, 300, 64
	r.Data.CacheDir = filepath.Join(t.TempDir(), "prep")
	m := &r.Model.Config
	m.DModel, m.Heads, m.FFNDim, m.EncoderLayers, m.DecoderLayers = 32, 2, 64, 1, 1
	r.Model.Residual = r.Residual
	r.Train = tinyTrainConfig(0)
	r.Train.MaxUpdates = 2
	r.Eval.Greedy, r.Eval.MaxTokens, r.Eval.MaxLenB = true, 60, 8
	return r
}

// TestRunStopsWhileDecoding: cancelling the context while the test set
// is decoded stops the run after the batch in progress with
// context.Canceled (zoo run then exits 130), writes no done.json, and
// running again decodes without training again. The finished run is then
// found again under another spelling of its folder.
func TestRunStopsWhileDecoding(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	r := tinyRunRecipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := 0
	afterDecodeBatch = func(int) { batches++; cancel() }
	t.Cleanup(func() { afterDecodeBatch = nil })
	start := time.Now()
	_, err := Run(ctx, r, RunOptions{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run again to decode") {
		t.Fatalf("cancelled while decoding: error %v, want context.Canceled and how to go on", err)
	}
	if batches != 1 {
		t.Errorf("decoded %d batches after the cancel, want it to stop after the one in progress", batches)
	}
	t.Logf("cancelled run returned after %v", time.Since(start))
	run := train.RunDir{Path: r.RunDir}
	if run.Exists(train.DoneFile) || run.Exists("test.hyp") || !run.Exists(train.LastCheckpoint) {
		t.Fatalf("after the cancel: done.json %v, test.hyp %v, checkpoint_last.pt %v; want only the checkpoint",
			run.Exists(train.DoneFile), run.Exists("test.hyp"), run.Exists(train.LastCheckpoint))
	}

	batches = 0
	afterDecodeBatch = func(int) { batches++ }
	var log bytes.Buffer
	res, err := Run(context.Background(), r, RunOptions{Out: &log})
	if err != nil {
		t.Fatal(err)
	}
	if batches < 2 {
		t.Fatalf("the test set took %d batch(es); the test needs several to cancel between", batches)
	}
	if res.Updates != 2 || len(res.Curve) != 1 || !strings.Contains(log.String(), "resuming") || !run.Exists("test.hyp") || res.BLEUSignature == "" {
		t.Fatalf("the re-run: %+v\n%s\nwant it to resume the trained run (2 updates, 1 epoch record) and decode", res, log.String())
	}

	for _, dir := range []string{r.RunDir + "/", filepath.Dir(r.RunDir) + "/./run"} {
		log.Reset()
		again := r
		again.RunDir = dir
		if _, err := Run(context.Background(), again, RunOptions{Out: &log}); err != nil || !strings.Contains(log.String(), "finished earlier") {
			t.Errorf("run folder named %s: %v\n%s\nwant the finished run reused", dir, err, log.String())
		}
	}
}

// TestDivergedRunIsRecorded: a translation run whose gradient norm stops
// being finite is a result (done.json says why; the test set is not
// decoded), not an error that would stop a batch of recipes, and running
// it again does not train it again.
func TestDivergedRunIsRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	r := tinyRunRecipe(t)
	r.Residual, r.ResidualParams = "scaled", map[string]any{"lambda": 4.0}
	r.Model.Residual = r.Residual
	r.Train.Schedule = train.ScheduleConfig{Name: "fixed", LR: 1e12}
	r.Train.MaxUpdates = 10
	res, err := Run(context.Background(), r, RunOptions{})
	if err != nil {
		t.Fatalf("a diverged run returned an error: %v", err)
	}
	if !strings.Contains(res.Diverged, "training diverged") || res.Updates >= 10 || res.BLEUSignature != "" {
		t.Fatalf("result %+v: want it marked diverged before update 10, and not decoded", res)
	}
	run := train.RunDir{Path: r.RunDir}
	if !run.Exists(train.DoneFile) || run.Exists("test.hyp") {
		t.Errorf("done.json %v, test.hyp %v: want the outcome recorded and nothing decoded", run.Exists(train.DoneFile), run.Exists("test.hyp"))
	}
	var log bytes.Buffer
	again, err := Run(context.Background(), r, RunOptions{Out: &log})
	if err != nil || again.Diverged != res.Diverged || !strings.Contains(log.String(), "finished earlier") {
		t.Errorf("second run: %v, %+v\n%s", err, again, log.String())
	}
}

// cancellingScorer cancels its context when it has scored at steps.
type cancellingScorer struct {
	tableScorer
	cancel context.CancelFunc
	at     int
}

func (s *cancellingScorer) next(last []int64) *ts.Tensor {
	lp := s.tableScorer.next(last)
	if s.calls == s.at {
		s.cancel()
	}
	return lp
}

// TestSearchStopsWhenCancelled: greedy and beam search give up at the
// step after the context is cancelled, with context.Canceled, instead of
// decoding the batch to its length cap (minutes on a CPU for a batch of
// a test set); Generate and Greedy report it as an error.
func TestSearchStopsWhenCancelled(t *testing.T) {
	for _, greedy := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		// min_len 150 forbids EOS: uncancelled, the search would run 200 steps.
		s := &search{cfg: GenerateConfig{Beam: 2, LenPenalty: 1, MinLen: 150}, eos: tEOS, pad: tPad, vocab: tableVocab, maxLen: 200, ctx: ctx}
		sc := &cancellingScorer{cancel: cancel, at: 3}
		err := torch.Try(func() {
			if greedy {
				s.greedy(sc, 2)
			} else {
				s.beam(sc, 2)
			}
		})
		if !errors.Is(err, context.Canceled) || sc.calls != 3 {
			t.Errorf("greedy %v: error %v after %d steps, want context.Canceled after 3", greedy, err, sc.calls)
		}
		cancel()
	}
	m, _ := newModel(t, tinyConfig("pre-ln"), 1)
	src := tokens(t, [][]int64{{5, 6, tEOS}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := GenerateConfig{Beam: 2, LenPenalty: 1, MaxLenB: 20, MinLen: 1}
	if _, err := m.GenerateContext(ctx, src, g); !errors.Is(err, context.Canceled) {
		t.Errorf("GenerateContext with a cancelled context: %v", err)
	}
	if _, err := m.GreedyContext(ctx, src, g); !errors.Is(err, context.Canceled) {
		t.Errorf("GreedyContext with a cancelled context: %v", err)
	}
	if _, err := m.GenerateContext(context.Background(), src, g); err != nil {
		t.Errorf("GenerateContext: %v", err)
	}
}
