package torch

import (
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// BenchmarkOpOverhead measures what one small op costs end to end through
// gotch (wrapper, handle and Go object creation, free), the per-op floor
// of every training step. PyTorch eager's is about 1.5 µs on this machine
// for the same op.
func BenchmarkOpOverhead(b *testing.B) {
	x, err := ts.Ones([]int64{4}, gotch.Float, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	defer Free(x)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		y, err := x.AddScalar(ts.FloatScalar(1), false)
		if err != nil {
			b.Fatal(err)
		}
		Free(y)
	}
}
