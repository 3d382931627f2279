package nmt

import (
	"math/rand"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/sugarme/gotch/ts"
)

// liveTensors counts gotch's tensors not yet freed. gotch guards the map
// with a lock it does not export, so it is read only while no finalizer
// can run: after settle, with the GC off.
func liveTensors() int { return len(ts.ExistingTensors) }

// settle lets the GC and the finalizers free what the GC can reach, so
// that afterwards (with the GC off) only explicit frees change the count.
func settle() {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNoTensorGrowth: training steps (forward, loss, backward, update)
// and beam and greedy decoding free every tensor they create, without
// help from the garbage collector.
func TestNoTensorGrowth(t *testing.T) {
	for _, variant := range []string{"post-ln", "pre-ln", "rskip-ln"} {
		t.Run(variant, func(t *testing.T) {
			m, vs := newModel(t, tinyConfig(variant), 13)
			params := vs.TrainableVariables()
			rng := rand.New(rand.NewSource(14))
			srcRows, prevRows, tgtRows := copyBatch(rng, 4, 3, 6, 11)
			src, prev, tgt := tokens(t, srcRows), tokens(t, prevRows), tokens(t, tgtRows)
			g := GenerateConfig{Beam: 3, LenPenalty: 1, MaxLenB: 6, MinLen: 1}
			work := func() {
				trainStep(m, params, src, prev, tgt)
				if _, err := m.Generate(src, g); err != nil {
					t.Fatal(err)
				}
				if _, err := m.Greedy(src, g); err != nil {
					t.Fatal(err)
				}
			}
			work() // first gradients and lazily made state
			settle()
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			before := liveTensors()
			for range 10 {
				work()
			}
			if after := liveTensors(); after != before {
				t.Errorf("%d live tensors before 10 rounds, %d after", before, after)
			}
		})
	}
}
