package bench

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/sugarme/gotch/ts"
)

// TestNoTensorGrowth: the benchmark's steps (the trainers' updates with
// Adam and SGD, gradient scaling and norms), beam search, evaluation,
// and the check free every tensor they make without the garbage
// collector's help. (TestSuiteChildren checks the memory run's data
// paths the same way.)
func TestNoTensorGrowth(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, s := range []Spec{
		{Model: TinyNMT, Variant: "rskip-ln", Vocab: 40, Batch: 3, Length: 6, InferBatch: 2, InferLength: 5, Beam: 2, MaxLenB: 4},
		{Model: TinyNMT, Variant: "pre-ln", Vocab: 40, Batch: 3, Length: 6, InferBatch: 2, InferLength: 5, Beam: 2, MaxLenB: 4},
		{Model: TinyResNet, Variant: "post-ln", Batch: 4, InferBatch: 2, Image: 8},
	} {
		t.Run(s.Model+"/"+s.Variant, func(t *testing.T) {
			s, err := s.Defaults(true)
			if err != nil {
				t.Fatal(err)
			}
			z, err := newZooCase(s)
			if err != nil {
				t.Fatal(err)
			}
			defer z.free()
			work := func() {
				if _, _, _, err := z.train(2); err != nil {
					t.Fatal(err)
				}
				if _, _, err := z.inferOnce(true); err != nil {
					t.Fatal(err)
				}
				if _, err := z.check(); err != nil {
					t.Fatal(err)
				}
			}
			work() // first gradients, optimizer state
			before := LiveTensors()
			// With the GC off, a tensor left to it stays counted.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			for range 3 {
				work()
			}
			if after := len(ts.ExistingTensors); after != before {
				t.Errorf("%d live tensors before 3 rounds, %d after", before, after)
			}
		})
	}
}
