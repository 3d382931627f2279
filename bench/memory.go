package bench

import (
	"fmt"
	"math/rand"
	"slices"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/vision/images"
)

// MemorySample is the state of a memory run after some updates.
type MemorySample struct {
	Update  int     `json:"update"`
	RSS     RSS     `json:"rss"`
	Live    int     `json:"live_tensors"`
	Seconds float64 `json:"seconds"` // training time so far, sampling excluded
}

// MemoryResult is a memory-flatness run: resident memory and live
// tensors sampled along Updates updates fed by a data pipeline, the
// growth between the first and the last sample, and the share of the
// training time spent waiting for batches.
type MemoryResult struct {
	Model   string         `json:"model"`
	Variant string         `json:"variant"`
	Batch   int            `json:"batch"`
	Updates int            `json:"updates"`
	Samples []MemorySample `json:"samples"`
	// GrowthPercent is the RSS growth from the first to the last sample.
	GrowthPercent float64 `json:"rss_growth_percent"`
	// LiveGrowth is the change in live tensors over the same span.
	LiveGrowth int `json:"live_tensor_growth"`
	// DataWaitPercent is the share of training time the step waited for
	// its batch: blocked on the image loader's workers, or collating a
	// translation batch (which the trainer does on its own goroutine).
	DataWaitPercent float64 `json:"data_wait_percent"`
	UpdatesPerS     float64 `json:"updates_per_s"`
	Error           string  `json:"error,omitempty"`
}

// DefaultSamples are the updates a memory run of n updates samples at:
// every tenth of the run (so 500, 1000, ..., 5000 for 5,000).
func DefaultSamples(n int) []int {
	var out []int
	for i := 1; i <= 10; i++ {
		if u := n * i / 10; u > 0 && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// memory trains updates updates through the trainers' data paths
// (translation: batches planned by max_tokens from a generated corpus
// and collated per update; images: the seeded, augmenting loader on its
// worker goroutines over a generated set) and samples at samples.
func (z *zooCase) memory(updates int, samples []int) (MemoryResult, error) {
	r := MemoryResult{Model: z.spec.Model, Variant: z.spec.Label, Batch: z.spec.Batch, Updates: updates}
	if updates < 1 {
		return r, fmt.Errorf("memory: updates = %d: want at least 1", updates)
	}
	if len(samples) == 0 {
		samples = DefaultSamples(updates)
	}
	var feed func(func(step func() error) bool) (wait time.Duration, err error)
	if z.nm != nil {
		feed = z.translationFeed()
	} else {
		feed = z.imageFeed()
	}
	done := 0
	var trainTime time.Duration
	var waited time.Duration
	start := time.Now()
	var sampling time.Duration
	var stepErr error
	for done < updates && stepErr == nil {
		w, err := feed(func(step func() error) bool {
			if err := step(); err != nil {
				stepErr = err
				return false
			}
			done++
			if slices.Contains(samples, done) {
				t0 := time.Now()
				trainTime = t0.Sub(start) - sampling
				n := LiveTensors()
				rss, err := SelfRSS()
				if err != nil {
					stepErr = err
					return false
				}
				r.Samples = append(r.Samples, MemorySample{Update: done, RSS: rss, Live: n, Seconds: trainTime.Seconds()})
				sampling += time.Since(t0)
			}
			return done < updates
		})
		waited += w
		if err != nil {
			return r, err
		}
	}
	if stepErr != nil {
		return r, stepErr
	}
	trainTime = time.Since(start) - sampling
	if len(r.Samples) > 0 {
		first, last := r.Samples[0], r.Samples[len(r.Samples)-1]
		r.GrowthPercent = 100 * float64(last.RSS.RSSKB-first.RSS.RSSKB) / float64(max(first.RSS.RSSKB, 1))
		r.LiveGrowth = last.Live - first.Live
	}
	r.DataWaitPercent = 100 * waited.Seconds() / max(trainTime.Seconds(), 1e-9)
	r.UpdatesPerS = float64(done) / max(trainTime.Seconds(), 1e-9)
	return r, nil
}

// translationFeed returns a feeder that runs one epoch of a generated
// corpus (8 batches' worth of sentence pairs, lengths as the benchmark
// batch's) per call, collating each batch as nmt.Trainer does and
// counting the collation as waiting.
func (z *zooCase) translationFeed() func(func(step func() error) bool) (time.Duration, error) {
	rng := rand.New(rand.NewSource(z.spec.Seed + 7))
	data := randomExamples(rng, 8*z.spec.Batch, max(2, z.spec.Length/4), z.spec.Length, z.ncfg.SrcVocab)
	batching := nmt.Batching{MaxTokens: z.spec.Batch * z.spec.Length}
	epoch := 0
	return func(visit func(step func() error) bool) (wait time.Duration, err error) {
		epoch++
		plan, err := batching.Plan(data, true, z.spec.Seed*1000003+int64(epoch))
		if err != nil {
			return 0, err
		}
		for _, idx := range plan {
			t0 := time.Now()
			b, err := nmt.Collate(data, idx, z.ncfg.PaddingIdx, z.ncfg.EOSIdx, gotch.CPU)
			if err != nil {
				return wait, err
			}
			wait += time.Since(t0)
			more := visit(func() error {
				_, err := z.nmtStep(b)
				return err
			})
			b.Free()
			if !more {
				break
			}
		}
		return wait, nil
	}
}

// imageFeed returns a feeder that runs one epoch of a generated image set
// (16 batches of random pixels and labels) per call through
// images.NewEpoch with the CIFAR recipe's augmentation (pad-crop 4,
// flips) and normalization.
func (z *zooCase) imageFeed() func(func(step func() error) bool) (time.Duration, error) {
	c, s := z.vcfg, z.spec
	rng := rand.New(rand.NewSource(s.Seed + 7))
	n, side := 16*s.Batch, s.Image
	set := &images.Set{Name: "generated", N: n, C: int(c.InChannels), H: side, W: side,
		Pixels: make([]uint8, n*int(c.InChannels)*side*side), Labels: make([]int32, n)}
	for i := range set.Pixels {
		set.Pixels[i] = uint8(rng.Intn(256))
	}
	for i := range set.Labels {
		set.Labels[i] = int32(rng.Int63n(c.Classes))
	}
	for range c.Classes {
		set.Classes = append(set.Classes, fmt.Sprint(len(set.Classes)))
	}
	mean, std := images.ChannelStats(set)
	cfg := images.LoaderConfig{BatchSize: s.Batch, Shuffle: true, Seed: s.Seed, Mean: mean, Std: std,
		Augment: images.Augment{PadCrop: 4, Flip: true}}
	epoch := 0
	return func(visit func(step func() error) bool) (time.Duration, error) {
		epoch++
		loader := images.NewEpoch(set, cfg, epoch, 0)
		defer loader.Close()
		for {
			b, ok := loader.Next()
			if !ok {
				break
			}
			more := visit(func() (err error) {
				defer torch.Recover(&err)
				x := torch.Must(ts.OfSlice(b.X[:b.N*set.C*set.H*set.W]))
				x = torch.Must(x.View([]int64{int64(b.N), int64(set.C), int64(set.H), int64(set.W)}, true))
				y := torch.Must(ts.OfSlice(b.Y[:b.N]))
				defer torch.Free(x, y)
				_, err = z.visionStep(x, y)
				return err
			})
			b.Release()
			if !more {
				break
			}
		}
		return loader.Waited(), nil
	}
}
