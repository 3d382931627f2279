package images

import (
	"fmt"
	"sync"
	"testing"
)

// cifarSet is a generated 50,000×3×32×32 set, made once per process.
var cifarSet = sync.OnceValue(func() *Set { return genSet(50000, 3, 32, 32, 10) })

// BenchmarkEpochCIFAR runs whole CIFAR-sized epochs (batch 128, shuffle,
// crop 4 and flip, normalization) with 1 and 2 workers; images/s is the
// rate a consumer that does nothing else sees.
func BenchmarkEpochCIFAR(b *testing.B) {
	s := cifarSet()
	mean, std := ChannelStats(s)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c := LoaderConfig{BatchSize: 128, Shuffle: true, Seed: 1, Augment: Augment{PadCrop: 4, Flip: true},
				Mean: mean, Std: std, Workers: workers}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				e := NewEpoch(s, c, i, 0)
				for bt, ok := e.Next(); ok; bt, ok = e.Next() {
					bt.Release()
				}
				e.Close()
			}
			b.ReportMetric(float64(b.N*s.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkPrepareBatch is one core's cost of one batch of 128 CIFAR
// images with crop and flip, without the goroutines.
func BenchmarkPrepareBatch(b *testing.B) {
	s := cifarSet()
	mean, std := ChannelStats(s)
	// Starting at the end launches no workers: prepare is called here.
	e := NewEpoch(s, LoaderConfig{BatchSize: 128, Shuffle: true, Augment: Augment{PadCrop: 4, Flip: true},
		Mean: mean, Std: std, Workers: 1}, 0, NumBatches(s.N, 128, false))
	defer e.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e.prepare(i % e.nb).Release()
	}
	b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkChannelStats is the cost of the statistics of a CIFAR-sized
// training set.
func BenchmarkChannelStats(b *testing.B) {
	s := cifarSet()
	b.ResetTimer()
	for range b.N {
		ChannelStats(s)
	}
	b.ReportMetric(float64(b.N*s.N)/b.Elapsed().Seconds(), "images/s")
}
