package train

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// settle lets the GC and the finalizers free what the GC can reach, so
// that afterwards (with the GC off) only explicit frees change the count
// of live tensors. gotch guards ts.ExistingTensors with a lock it does
// not export, so the map is read only while no finalizer can run.
func settle() {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOptimizersFreeTheirTensors: steps of every optimizer setting,
// gradient norms with and without clipping and zeroing leave no tensor
// behind for the garbage collector.
func TestOptimizersFreeTheirTensors(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, name := range []string{"adam", "adam-wd", "sgd", "sgd-momentum-wd", "sgd-nesterov-wd"} {
		t.Run(name, func(t *testing.T) {
			vs := nn.NewVarStore(gotch.CPU)
			w := vs.Root().MustRandn("w", []int64{4, 3}, 0, 1)
			params, err := Params(vs)
			if err != nil {
				t.Fatal(err)
			}
			opt := newTestOptimizer(t, name, params)
			x := torch.Must(ts.Ones([]int64{2, 4}, gotch.Float, gotch.CPU))
			defer torch.Free(x)
			step := func() {
				opt.ZeroGrad()
				y := torch.Must(x.Matmul(w, false))
				loss := torch.Must(torch.Must(y.Square(true)).Sum(gotch.Float, true))
				torch.Check(loss.Backward())
				torch.Free(loss)
				GradNorm(params)
				ClipGradNorm(params, 1e-3) // clips
				opt.Step(0.01)
			}
			step() // the first gradients
			settle()
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			before := len(ts.ExistingTensors)
			for range 10 {
				step()
			}
			if after := len(ts.ExistingTensors); after != before {
				t.Errorf("%d live tensors before 10 steps, %d after", before, after)
			}
		})
	}
}
