package train

import (
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/torch"
)

// BenchmarkAdamStep: one Adam update of 8M parameters (a small
// Transformer's) in 16 tensors, as the fused pass and as libtorch ops.
func BenchmarkAdamStep(b *testing.B) {
	vs := nn.NewVarStore(gotch.CPU)
	for i := 0; i < 16; i++ {
		w := vs.Root().MustZeros(string(rune('a'+i)), []int64{512, 1024})
		loss := torch.Must(torch.Must(w.Square(false)).Sum(gotch.Float, true))
		torch.Check(loss.Backward())
		torch.Free(loss)
	}
	params, err := Params(vs)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { fuseSteps = true }()
	for _, fused := range []bool{true, false} {
		name := map[bool]string{true: "fused", false: "libtorch-ops"}[fused]
		b.Run(name, func(b *testing.B) {
			fuseSteps = fused
			opt, err := NewAdam(params, DefaultAdam())
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				opt.Step(1e-3)
			}
			b.StopTimer()
			for _, t := range append(opt.m, opt.v...) {
				torch.Free(t)
			}
		})
	}
}
