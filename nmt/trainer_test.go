package nmt

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/internal/sharedtest"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
)

// sharedDir finds ../shared (or $ZOO_SHARED) from the package folder.
func sharedDir(t *testing.T) string {
	t.Helper()
	sharedtest.Path(t, "data/toy-deen")
	return sharedtest.Dir()
}

func toyCorpus(t *testing.T) *Corpus {
	t.Helper()
	d := filepath.Join(sharedDir(t), "data", "toy-deen")
	cfg := DefaultDataConfig()
	cfg.Source, cfg.Target = "de", "en"
	cfg.Train, cfg.Valid, cfg.Test = filepath.Join(d, "train"), filepath.Join(d, "dev"), filepath.Join(d, "dev")
	cfg.BPEMerges, cfg.Limit, cfg.MaxLen = 400, 300, 64
	cfg.CacheDir = filepath.Join(t.TempDir(), "prep")
	c, err := LoadCorpus(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tinyModel(t *testing.T, c *Corpus, residual string) (*Model, *nn.VarStore) {
	t.Helper()
	torch.ManualSeed(1)
	cfg, err := Preset("small", int64(c.Dict.Len()), int64(c.Dict.Len()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DModel, cfg.Heads, cfg.FFNDim, cfg.EncoderLayers, cfg.DecoderLayers = 32, 2, 64, 1, 1
	cfg.Residual, cfg.ShareAllEmbeddings = residual, true
	vs := nn.NewVarStore(gotch.CPU)
	m, err := New(vs.Root(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, vs
}

func tinyTrainConfig(epochs int) TrainConfig {
	cfg := DefaultTrainConfig()
	cfg.MaxTokens, cfg.MaxEpochs, cfg.KeepLast = 600, epochs, 2
	cfg.Schedule = train.ScheduleConfig{Name: "inverse_sqrt", LR: 3e-3, Warmup: 10, WarmupLR: 1e-7}
	return cfg
}

// TestTrainCheckpointResume trains a tiny model on real text for two
// epochs, then a second Trainer over the same run folder continues to a
// third epoch from the checkpoint rather than from scratch.
func TestTrainCheckpointResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	c := toyCorpus(t)
	if c.Stats.TrainPairs == 0 || c.Stats.DictSize%8 != 0 {
		t.Fatalf("prep stats %+v", c.Stats)
	}
	run := train.RunDir{Path: t.TempDir()}
	m, vs := tinyModel(t, c, "rskip-ln")
	tr := &Trainer{Model: m, VS: vs, Corpus: c, Cfg: tinyTrainConfig(2), Run: run}
	stats, err := tr.Fit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || !(stats[1].ValidLoss < stats[0].ValidLoss) || !(stats[1].TrainLoss < stats[0].TrainLoss) {
		t.Fatalf("losses did not fall: %+v", stats)
	}
	for _, f := range []string{train.LastCheckpoint, train.BestCheckpoint, train.EpochCheckpoint(1), train.EpochCheckpoint(2), train.MetricsFile} {
		if !run.Exists(f) {
			t.Errorf("run folder lacks %s", f)
		}
	}
	m2, vs2 := tinyModel(t, c, "rskip-ln")
	tr2 := &Trainer{Model: m2, VS: vs2, Corpus: c, Cfg: tinyTrainConfig(3), Run: run}
	more, err := tr2.Fit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(more) != 1 || more[0].Epoch != 3 || more[0].Updates <= stats[1].Updates {
		t.Fatalf("resume did not continue at epoch 3: %+v", more)
	}
	if len(run.EpochCheckpoints()) != 2 {
		t.Errorf("keep_last = 2 kept %v", run.EpochCheckpoints())
	}
}

// TestInterruptSavesAndResumesMidEpoch cancels the context during the
// first epoch: the state is saved and a new Trainer finishes that epoch.
func TestInterruptSavesAndResumesMidEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	c := toyCorpus(t)
	run := train.RunDir{Path: t.TempDir()}
	m, vs := tinyModel(t, c, "post-ln")
	ctx, cancel := context.WithCancel(context.Background())
	cfg := tinyTrainConfig(1)
	cfg.MaxUpdates = 0
	tr := &Trainer{Model: m, VS: vs, Corpus: c, Cfg: cfg, Run: run}
	tr.afterUpdate = func(updates int64) {
		if updates == 3 {
			cancel()
		}
	}
	_, err := tr.Fit(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted at update 3") {
		t.Fatalf("cancelled run: error %v", err)
	}
	m2, vs2 := tinyModel(t, c, "post-ln")
	tr2 := &Trainer{Model: m2, VS: vs2, Corpus: c, Cfg: cfg, Run: run}
	if err := tr2.setup(); err != nil {
		t.Fatal(err)
	}
	if tr2.sess.Meta.Updates != 3 || tr2.sess.Meta.Batch != 3 || tr2.sess.Meta.Epoch != 0 {
		t.Fatalf("resumed at %+v, want update 3, batch 3 of epoch 1", tr2.sess.Meta)
	}
	tr2.sess.Close()
}

// TestInterruptedRunResumesExactly: with dropout on, a run cancelled at
// update 3 and resumed ends with the same training and validation losses,
// to the last bit, as one never interrupted: batch order, Adam's state
// and the dropout masks (a function of seed and update) all carry over.
func TestInterruptedRunResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	// libtorch's OpenMP settings are per OS thread: a goroutine moved
	// between threads mid-run can reduce in another order (4 runs in 20
	// differed in the last bits). zoo's commands pin their thread too.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := toyCorpus(t)
	cfg := tinyTrainConfig(1)
	fit := func(run train.RunDir, stopAt int64) ([]EpochStats, error) {
		m, vs := tinyModel(t, c, "rskip-ln")
		if m.cfg.Dropout == 0 {
			t.Fatal("the test needs dropout")
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr := &Trainer{Model: m, VS: vs, Corpus: c, Cfg: cfg, Run: run}
		tr.afterUpdate = func(updates int64) {
			if updates == stopAt {
				cancel()
			}
		}
		return tr.Fit(ctx)
	}
	whole, err := fit(train.RunDir{Path: t.TempDir()}, -1)
	if err != nil {
		t.Fatal(err)
	}
	run := train.RunDir{Path: t.TempDir()}
	if _, err := fit(run, 3); err == nil {
		t.Fatal("the cancelled run did not stop")
	}
	resumed, err := fit(run, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != 1 || len(resumed) != 1 {
		t.Fatalf("epochs: %d uninterrupted, %d resumed", len(whole), len(resumed))
	}
	a, b := whole[0], resumed[0]
	if a.ValidLoss != b.ValidLoss || a.Updates != b.Updates {
		t.Errorf("resumed: valid loss %.9g after %d updates; uninterrupted: %.9g after %d", b.ValidLoss, b.Updates, a.ValidLoss, a.Updates)
	}
}

// TestTimeBudgetStopsAndCounts: max_minutes alone stops a run, the stop
// validates and checkpoints, and the time spent is carried into the
// checkpoint so that a resumed run counts it.
func TestTimeBudgetStopsAndCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	c := toyCorpus(t)
	run := train.RunDir{Path: t.TempDir()}
	m, vs := tinyModel(t, c, "pre-ln")
	cfg := tinyTrainConfig(0)
	cfg.MaxMinutes = 0.2 / 60 // 200 ms
	tr := &Trainer{Model: m, VS: vs, Corpus: c, Cfg: cfg, Run: run}
	stats, err := tr.Fit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// How many epochs fit in 200 ms depends on the machine; what matters
	// is that the budget, not an epoch limit (there is none), stopped it.
	if len(stats) == 0 || stats[0].Updates == 0 || !run.Exists(train.LastCheckpoint) {
		t.Fatalf("stats %+v", stats)
	}
	m2, vs2 := tinyModel(t, c, "pre-ln")
	tr2 := &Trainer{Model: m2, VS: vs2, Corpus: c, Cfg: cfg, Run: run}
	more, err := tr2.Fit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(more) != 0 || tr2.sess.TrainedSeconds() < 0.2 {
		t.Errorf("the resumed run trained again (%+v) or lost the time spent (%.2f s)", more, tr2.sess.TrainedSeconds())
	}
}
