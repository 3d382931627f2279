package nmt

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/train"
)

// TestProbe: a probe sees the input of every encoder layer once, in
// order and shaped [B, S, D], changes nothing about the logits, and
// BlockPrefixes names the layers whose variables it covers.
func TestProbe(t *testing.T) {
	cfg := tinyConfig("rskip-ln")
	cfg.EncoderLayers = 3
	m, vs := newModel(t, cfg, 3)
	rng := rand.New(rand.NewSource(1))
	src, prev := randomRows(rng, 2, 5, cfg.SrcVocab), withEOSFirst(randomRows(rng, 2, 3, cfg.TgtVocab))
	plain := values(evalLogits(t, m, src, prev))
	var seen []string
	m.SetProbe(func(block int, x *ts.Tensor) {
		s, err := x.Size()
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, fmt.Sprint(block, s))
	})
	probed := values(evalLogits(t, m, src, prev))
	m.SetProbe(nil)
	if want := []string{"0 [2 5 16]", "1 [2 5 16]", "2 [2 5 16]"}; !slices.Equal(seen, want) {
		t.Errorf("probe saw %v, want %v", seen, want)
	}
	if maxAbsDiff(plain, probed) != 0 {
		t.Error("the probe changed the logits")
	}
	prefixes := m.BlockPrefixes()
	want := []string{"encoder.layers.0.", "encoder.layers.1.", "encoder.layers.2.", "decoder.layers.0.", "decoder.layers.1."}
	if !slices.Equal(prefixes, want) {
		t.Errorf("BlockPrefixes %v, want %v", prefixes, want)
	}
	for name := range vs.Variables() {
		inLayer := strings.Contains(name, ".layers.")
		covered := slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
		if inLayer != covered {
			t.Errorf("variable %s: in a layer %v, covered by a prefix %v", name, inLayer, covered)
		}
	}
}

// TestGradStatsEvery: grad_stats_every = 3 writes a "grads" record every
// third update with one finite, positive norm per layer, named as the
// layers' variables, and does not make the run another configuration.
func TestGradStatsEvery(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	c := toyCorpus(t)
	run := train.RunDir{Path: t.TempDir()}
	m, vs := tinyModel(t, c, "post-ln")
	cfg := tinyTrainConfig(0)
	cfg.MaxUpdates, cfg.GradStatsEvery = 6, 3
	tr := &Trainer{Model: m, VS: vs, Corpus: c, Cfg: cfg, Run: run}
	if _, err := tr.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, err := train.ReadMetrics(run.File(train.MetricsFile), "grads")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d grads records, want 2 (updates 3 and 6)", len(recs))
	}
	for i, rec := range recs {
		var g struct {
			Updates int64             `json:"updates"`
			Blocks  []train.JSONFloat `json:"blocks"`
			Names   []string          `json:"block_names"`
			Total   train.JSONFloat   `json:"total"`
		}
		if err := train.Remarshal(rec, &g); err != nil {
			t.Fatal(err)
		}
		if g.Updates != int64(3*(i+1)) || !slices.Equal(g.Names, []string{"encoder.layers.0", "decoder.layers.0"}) {
			t.Errorf("record %d: %+v", i, g)
		}
		for _, b := range g.Blocks {
			if !(b > 0) || math.IsInf(float64(b), 0) || !(g.Total >= b) {
				t.Errorf("record %d: block norm %v, total %v", i, b, g.Total)
			}
		}
	}
	r, err := DefaultRecipe("small")
	if err != nil {
		t.Fatal(err)
	}
	r.Train.GradStatsEvery = 5
	a, b := identity(r), r
	b.Train.GradStatsEvery = 0
	if fmt.Sprintf("%+v", a.Train) != fmt.Sprintf("%+v", identity(b).Train) {
		t.Error("grad_stats_every is part of the run's identity")
	}
}
