package bench

import (
	"fmt"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// GEMM measures the matrix multiply ceiling through libtorch: the median
// GFLOP/s of reps products of two n x n float32 matrices (ts.Mm, 2·n³
// FLOPs each) after one warm-up, with the thread pools as they are set.
func GEMM(n, reps int) (gflops float64, err error) {
	if n < 1 || reps < 1 {
		return 0, fmt.Errorf("gemm: n = %d, reps = %d: want at least 1", n, reps)
	}
	defer torch.Recover(&err)
	a := torch.Must(ts.Randn([]int64{int64(n), int64(n)}, gotch.Float, gotch.CPU))
	b := torch.Must(ts.Randn([]int64{int64(n), int64(n)}, gotch.Float, gotch.CPU))
	defer torch.Free(a, b)
	torch.Free(torch.Must(a.Mm(b, false)))
	rates := make([]float64, reps)
	for i := range rates {
		start := time.Now()
		c := torch.Must(a.Mm(b, false))
		took := time.Since(start).Seconds()
		torch.Free(c)
		rates[i] = 2 * float64(n) * float64(n) * float64(n) / took / 1e9
	}
	return Median(rates), nil
}
