package images

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNumBatches(t *testing.T) {
	for _, tc := range []struct {
		n, bs    int
		dropLast bool
		want     int
	}{
		{50000, 128, false, 391}, {50000, 128, true, 390}, {256, 128, false, 2}, {256, 128, true, 2},
		{5, 10, false, 1}, {5, 10, true, 0}, {0, 10, false, 0}, {10, 0, false, 0}, {1, 1, true, 1},
	} {
		if got := NumBatches(tc.n, tc.bs, tc.dropLast); got != tc.want {
			t.Errorf("NumBatches(%d, %d, %v) = %d, want %d", tc.n, tc.bs, tc.dropLast, got, tc.want)
		}
	}
}

// indexSet is n 3×4×4 images whose first two bytes spell the image's
// index, so the order of an epoch can be read back from its batches.
func indexSet(n int) *Set {
	s := genSet(n, 3, 4, 4, 10)
	for i := range n {
		img := s.Image(i)
		img[0], img[1] = uint8(i>>8), uint8(i)
	}
	return s
}

// collect runs a whole epoch (from start) and returns copies of its
// batches, releasing the originals.
func collect(t *testing.T, s *Set, c LoaderConfig, epoch, start int) []Batch {
	t.Helper()
	e := NewEpoch(s, c, epoch, start)
	defer e.Close()
	var out []Batch
	for {
		b, ok := e.Next()
		if !ok {
			break
		}
		out = append(out, Batch{Index: b.Index, N: b.N, X: slices.Clone(b.X), Y: slices.Clone(b.Y)})
		b.Release()
	}
	if want := e.Len() - start; len(out) != want {
		t.Fatalf("epoch gave %d batches from %d, want %d", len(out), start, want)
	}
	return out
}

// order reads the image indices back from unaugmented, unnormalized
// batches of an indexSet.
func order(s *Set, batches []Batch) []int {
	var out []int
	chw := s.C * s.H * s.W
	for _, b := range batches {
		for k := range b.N {
			x := b.X[k*chw:]
			out = append(out, int(math.Round(float64(x[0])*255))<<8|int(math.Round(float64(x[1])*255)))
		}
	}
	return out
}

func TestEpochOrder(t *testing.T) {
	s := indexSet(1000)
	c := LoaderConfig{BatchSize: 128, Shuffle: true, Seed: 1, Workers: 2}
	base := order(s, collect(t, s, c, 0, 0))
	if !slices.Equal(slices.Sorted(slices.Values(base)), seq(1000)) {
		t.Fatal("shuffled epoch is not a permutation of the set")
	}
	if slices.Equal(base, seq(1000)) {
		t.Error("shuffled epoch kept the set's order")
	}
	if again := order(s, collect(t, s, c, 0, 0)); !slices.Equal(again, base) {
		t.Error("same seed and epoch, different order")
	}
	if other := order(s, collect(t, s, c, 1, 0)); slices.Equal(other, base) {
		t.Error("epochs 0 and 1 have the same order")
	}
	c2 := c
	c2.Seed = 2
	if other := order(s, collect(t, s, c2, 0, 0)); slices.Equal(other, base) {
		t.Error("seeds 1 and 2 give the same order")
	}
	c.Shuffle = false
	if got := order(s, collect(t, s, c, 3, 0)); !slices.Equal(got, seq(1000)) {
		t.Error("unshuffled epoch is not in the set's order")
	}
	for _, tc := range []struct {
		dropLast bool
		batches  int
		last     int
	}{{false, 8, 1000 - 7*128}, {true, 7, 128}} {
		c.DropLast = tc.dropLast
		got := collect(t, s, c, 0, 0)
		if len(got) != tc.batches || got[len(got)-1].N != tc.last || len(got[len(got)-1].Y) != tc.last ||
			len(got[len(got)-1].X) != tc.last*48 {
			t.Errorf("DropLast %v: %d batches, last of %d; want %d, last of %d", tc.dropLast, len(got), got[len(got)-1].N, tc.batches, tc.last)
		}
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func equalBatches(t *testing.T, what string, got, want []Batch) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d batches, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.N != w.N || !slices.Equal(g.Y, w.Y) || !slices.Equal(g.X, w.X) {
			t.Fatalf("%s: batch %d (index %d) differs from batch index %d", what, i, g.Index, w.Index)
		}
	}
}

// cifarLike is a loader configuration with everything on.
func cifarLike(s *Set) LoaderConfig {
	mean, std := ChannelStats(s)
	return LoaderConfig{BatchSize: 50, Shuffle: true, Seed: 7, Augment: Augment{PadCrop: 4, Flip: true},
		Mean: mean, Std: std, Workers: 1, Prefetch: 1}
}

func TestEpochDeterminism(t *testing.T) {
	s := genSet(1234, 3, 32, 32, 10)
	c := cifarLike(s)
	want := collect(t, s, c, 5, 0)
	for i, b := range want {
		if b.Index != i {
			t.Fatalf("batch %d has Index %d", i, b.Index)
		}
	}
	for _, wp := range [][2]int{{4, 8}, {4, 2}, {3, 0}, {0, 0}, {16, 1}} {
		c2 := c
		c2.Workers, c2.Prefetch = wp[0], wp[1]
		equalBatches(t, fmt.Sprintf("Workers %d Prefetch %d", wp[0], wp[1]), collect(t, s, c2, 5, 0), want)
	}
	for _, start := range []int{1, 7, len(want) - 1, len(want)} {
		c2 := c
		c2.Workers = 3
		equalBatches(t, fmt.Sprintf("resumed at %d", start), collect(t, s, c2, 5, start), want[start:])
	}
	if other := collect(t, s, c, 6, 0); slices.Equal(other[0].X, want[0].X) {
		t.Error("epochs 5 and 6 give the same first batch")
	}
}

// TestAugmentByPosition: an image's augmentation depends on its position
// in the epoch, not on how the epoch is cut into batches.
func TestAugmentByPosition(t *testing.T) {
	s := genSet(300, 3, 8, 8, 10)
	c := cifarLike(s)
	flat := func(bs int) []float32 {
		c.BatchSize = bs
		var out []float32
		for _, b := range collect(t, s, c, 2, 0) {
			out = append(out, b.X...)
		}
		return out
	}
	if !slices.Equal(flat(32), flat(77)) {
		t.Error("batch sizes 32 and 77 give different augmented epochs")
	}
}

// expected is an image shifted by (dx, dy) with zero fill, mirrored if
// flip, then normalized, computed pixel by pixel.
func expected(src []uint8, ch, h, w, dx, dy int, flip bool, mean, std []float32) []float32 {
	out := make([]float32, ch*h*w)
	for c := range ch {
		for y := range h {
			for x := range w {
				xs := x
				if flip {
					xs = w - 1 - x
				}
				sy, sx := y+dy, xs+dx
				p := uint8(0)
				if sy >= 0 && sy < h && sx >= 0 && sx < w {
					p = src[(c*h+sy)*w+sx]
				}
				out[(c*h+y)*w+x] = (float32(p)/255 - mean[c]) / std[c]
			}
		}
	}
	return out
}

// TestAugmentShifts checks that every output image is some shift of its
// input in [-P, P]^2 with zero fill, optionally mirrored, and that all of
// them occur. The epoch is unshuffled, so position p holds image p.
func TestAugmentShifts(t *testing.T) {
	for _, tc := range []struct {
		n, pad int
		flip   bool
	}{{1500, 2, true}, {1500, 2, false}, {1500, 0, true}, {100, 9, true}} {
		t.Run(fmt.Sprintf("pad %d flip %v", tc.pad, tc.flip), func(t *testing.T) {
			const h, w = 6, 7
			// Every image is a ramp of distinct non-zero bytes, so a
			// shift is recognizable and differs from the zero fill.
			s := genSet(tc.n, 2, h, w, 3)
			for i := range tc.n {
				img := s.Image(i)
				for j := range img {
					img[j] = uint8(1 + (j+i)%200)
				}
			}
			mean, std := []float32{0.3, 0.6}, []float32{0.2, 0.4}
			c := LoaderConfig{BatchSize: 64, Seed: 3, Augment: Augment{PadCrop: tc.pad, Flip: tc.flip},
				Mean: mean, Std: std, Workers: 2}
			seen := map[[3]int]int{}
			for _, b := range collect(t, s, c, 4, 0) {
				for k := range b.N {
					i := b.Index*c.BatchSize + k
					shift, ok := findShift(b.X[k*2*h*w:(k+1)*2*h*w], s.Image(i), s, tc.pad, mean, std)
					if !ok {
						t.Fatalf("image %d is no shift of its input within %d", i, tc.pad)
					}
					seen[shift]++
				}
			}
			flips := 1
			if tc.flip {
				flips = 2
			}
			if want := (2*tc.pad + 1) * (2*tc.pad + 1) * flips; tc.pad <= 2 && len(seen) != want {
				t.Errorf("%d distinct (dx, dy, flip) seen, want all %d: %v", len(seen), want, seen)
			}
			if tc.pad == 0 && tc.flip {
				if f := seen[[3]int{0, 0, 1}]; f < tc.n*4/10 || f > tc.n*6/10 {
					t.Errorf("%d of %d images flipped, want about half", f, tc.n)
				}
			}
		})
	}
}

// findShift finds the (dx, dy, flip) that turns src into got. Shifts that
// leave nothing of the image are all alike; the first is returned.
func findShift(got []float32, src []uint8, s *Set, pad int, mean, std []float32) ([3]int, bool) {
	for dy := -pad; dy <= pad; dy++ {
		for dx := -pad; dx <= pad; dx++ {
			for f := range 2 {
				if slices.Equal(got, expected(src, s.C, s.H, s.W, dx, dy, f == 1, mean, std)) {
					return [3]int{dx, dy, f}, true
				}
			}
		}
	}
	return [3]int{}, false
}

func TestNormalize(t *testing.T) {
	s := genSet(40, 3, 5, 5, 4)
	for _, tc := range []struct {
		name      string
		mean, std []float32
	}{{"nil", nil, nil}, {"cifar", []float32{0.4914, 0.4822, 0.4465}, []float32{0.2470, 0.2435, 0.2616}}} {
		c := LoaderConfig{BatchSize: 16, Mean: tc.mean, Std: tc.std}
		var i int
		for _, b := range collect(t, s, c, 0, 0) {
			for j, x := range b.X {
				img, rest := i+j/75, j%75
				ch := rest / 25
				m, sd := 0.0, 1.0
				if tc.mean != nil {
					m, sd = float64(tc.mean[ch]), float64(tc.std[ch])
				}
				want := (float64(s.Image(img)[rest])/255 - m) / sd
				if math.Abs(float64(x)-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s: image %d value %d = %v, want %v", tc.name, img, rest, x, want)
				}
			}
			i += b.N
		}
	}
}

func TestChannelStats(t *testing.T) {
	// Channel 0 all 255; channel 1 half 0 and half 255; channel 2 a ramp.
	s := genSet(2, 3, 2, 2, 1)
	copy(s.Image(0), []uint8{255, 255, 255, 255, 0, 0, 255, 255, 0, 10, 20, 30})
	copy(s.Image(1), []uint8{255, 255, 255, 255, 0, 0, 255, 255, 40, 50, 60, 70})
	mean, std := ChannelStats(s)
	wantMean := []float64{1, 0.5, 35.0 / 255}
	wantStd := []float64{0, 0.5, math.Sqrt(525) / 255}
	for c := range 3 {
		if math.Abs(float64(mean[c])-wantMean[c]) > 1e-7 || math.Abs(float64(std[c])-wantStd[c]) > 1e-7 {
			t.Errorf("channel %d: mean %v std %v, want %v and %v", c, mean[c], std[c], wantMean[c], wantStd[c])
		}
	}
	// Against the two-pass formula on random bytes.
	g := genSet(300, 3, 8, 8, 1)
	mean, std = ChannelStats(g)
	for c := range 3 {
		var sum, sq float64
		var n int
		for i := range g.N {
			for _, p := range g.Image(i)[c*64 : (c+1)*64] {
				sum += float64(p) / 255
				n++
			}
		}
		m := sum / float64(n)
		for i := range g.N {
			for _, p := range g.Image(i)[c*64 : (c+1)*64] {
				sq += (float64(p)/255 - m) * (float64(p)/255 - m)
			}
		}
		if math.Abs(float64(mean[c])-m) > 1e-6 || math.Abs(float64(std[c])-math.Sqrt(sq/float64(n))) > 1e-6 {
			t.Errorf("channel %d: %v %v, want %v %v", c, mean[c], std[c], m, math.Sqrt(sq/float64(n)))
		}
	}
	if m, sd := ChannelStats(&Set{C: 1, H: 1, W: 1}); m[0] != 0 || sd[0] != 0 {
		t.Errorf("empty set: %v %v, want 0 0", m, sd)
	}
}

// TestEpochOutOfOrder makes early batches slow, so workers finish later
// batches first; Next must still hand them out in order, with the same
// contents, and count the time it waited.
func TestEpochOutOfOrder(t *testing.T) {
	s := genSet(600, 3, 8, 8, 10)
	c := cifarLike(s)
	c.BatchSize = 20
	want := collect(t, s, c, 1, 0)
	prepareHook = func(i int) {
		if i%4 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	defer func() { prepareHook = nil }()
	c.Workers, c.Prefetch = 4, 8
	e := NewEpoch(s, c, 1, 0)
	defer e.Close()
	var got []Batch
	for b, ok := e.Next(); ok; b, ok = e.Next() {
		got = append(got, Batch{Index: b.Index, N: b.N, X: slices.Clone(b.X), Y: slices.Clone(b.Y)})
		b.Release()
	}
	equalBatches(t, "slow even batches", got, want)
	if e.Waited() < 20*time.Millisecond {
		t.Errorf("Waited %v, want at least the 20ms of a slow batch", e.Waited())
	}
}

// settledGoroutines waits for the goroutine count to fall to at most n.
func settledGoroutines(n int) int {
	var got int
	for range 200 {
		if got = runtime.NumGoroutine(); got <= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

func TestEpochClose(t *testing.T) {
	s := genSet(2000, 3, 8, 8, 10)
	before := runtime.NumGoroutine()
	for _, consume := range []int{0, 2, 9999} {
		e := NewEpoch(s, LoaderConfig{BatchSize: 10, Shuffle: true, Workers: 4, Prefetch: 6}, 0, 0)
		for range consume {
			b, ok := e.Next()
			if !ok {
				break
			}
			b.Release()
		}
		e.Close()
		e.Close() // twice is fine
		if b, ok := e.Next(); ok || b != nil {
			t.Errorf("Next after Close gave a batch")
		}
		if got := settledGoroutines(before); got > before {
			t.Errorf("after consuming %d batches and Close: %d goroutines, %d before", consume, got, before)
		}
	}
}

// TestCloseUnblocksNext: a Next waiting for a batch returns false when
// another goroutine closes the epoch.
func TestCloseUnblocksNext(t *testing.T) {
	s := genSet(100, 1, 4, 4, 2)
	release := make(chan struct{})
	prepareHook = func(int) { <-release }
	defer func() { prepareHook = nil }()
	before := runtime.NumGoroutine()
	e := NewEpoch(s, LoaderConfig{BatchSize: 10, Workers: 2}, 0, 0)
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, ok := e.Next(); ok {
			t.Error("Next returned a batch after Close")
		}
	})
	time.Sleep(20 * time.Millisecond)
	go func() { time.Sleep(20 * time.Millisecond); close(release) }()
	e.Close()
	wg.Wait()
	if got := settledGoroutines(before); got > before {
		t.Errorf("%d goroutines after Close, %d before", got, before)
	}
}

func TestRelease(t *testing.T) {
	s := genSet(30, 1, 4, 4, 2)
	e := NewEpoch(s, LoaderConfig{BatchSize: 10, Workers: 1}, 0, 0)
	defer e.Close()
	b, _ := e.Next()
	b.Release()
	b.Release() // a second Release does nothing
	if b.X != nil || b.Y != nil || b.Index != 0 {
		t.Errorf("released batch still holds X %v, Y %v", b.X != nil, b.Y != nil)
	}
	if b2, ok := e.Next(); !ok || b2.Index != 1 || len(b2.X) != 160 || len(b2.Y) != 10 {
		t.Errorf("batch after a release: %+v", b2)
	}
}

func TestNewEpochPanics(t *testing.T) {
	s := genSet(10, 3, 2, 2, 2)
	for _, tc := range []struct {
		name  string
		set   *Set
		c     LoaderConfig
		start int
		want  string
	}{
		{"batch size", s, LoaderConfig{}, 0, "BatchSize 0"},
		{"mean length", s, LoaderConfig{BatchSize: 2, Mean: []float32{0}, Std: []float32{1, 1, 1}}, 0, "1 means and 3 stds for 3 channels"},
		{"zero std", s, LoaderConfig{BatchSize: 2, Std: []float32{1, 0, 1}}, 0, "Std of channel 1 is 0"},
		{"negative pad", s, LoaderConfig{BatchSize: 2, Augment: Augment{PadCrop: -1}}, 0, "PadCrop -1"},
		{"start past the end", s, LoaderConfig{BatchSize: 3}, 5, "start batch 5 outside the epoch's 0..4"},
		{"negative start", s, LoaderConfig{BatchSize: 3}, -1, "start batch -1"},
		{"bad set", &Set{Name: "bad", N: 2, C: 1, H: 2, W: 2, Pixels: make([]uint8, 7), Labels: make([]int32, 2)},
			LoaderConfig{BatchSize: 1}, 0, "7 pixel bytes, want N×C×H×W = 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			NewEpoch(tc.set, tc.c, 0, tc.start).Close()
		})
	}
}
