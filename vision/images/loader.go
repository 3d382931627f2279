package images

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Augment is the training-time augmentation of the CIFAR ResNet recipe
// (He et al. 2016): a random crop of the zero-padded image and a random
// horizontal flip. The zero is a black pixel, padded before normalizing,
// as torchvision's RandomCrop(padding=P) before Normalize does it.
type Augment struct {
	// PadCrop pads every side with zeros by this many pixels, then crops a
	// random H×W window: a shift by (dx, dy) in [-PadCrop, PadCrop]^2 with
	// zero fill. 0 turns it off.
	PadCrop int
	// Flip mirrors each image horizontally with probability 1/2.
	Flip bool
}

// LoaderConfig says how an Epoch batches, augments and normalizes a Set.
type LoaderConfig struct {
	// BatchSize is the number of images a batch holds (the last one may
	// hold fewer, unless DropLast).
	BatchSize int
	// Shuffle visits the images in a seeded random order, a function of
	// (Seed, epoch) only; false keeps the Set's order.
	Shuffle bool
	// DropLast leaves out a final batch smaller than BatchSize.
	DropLast bool
	// Seed drives the order and the augmentation.
	Seed int64
	// Augment is applied to every image; the zero value applies none.
	Augment Augment
	// Mean and Std are per channel: x = (pixel/255 - mean)/std. nil means
	// mean 0 and std 1 (x = pixel/255).
	Mean, Std []float32
	// Workers is the number of goroutines preparing batches (0:
	// runtime.NumCPU()).
	Workers int
	// Prefetch is the number of batches prepared ahead of the consumer
	// (0: 2*Workers).
	Prefetch int
}

// NumBatches is the number of batches an epoch of n images has.
func NumBatches(n, batchSize int, dropLast bool) int {
	if n <= 0 || batchSize <= 0 {
		return 0
	}
	if dropLast {
		return n / batchSize
	}
	return (n + batchSize - 1) / batchSize
}

// Batch is one batch of an epoch: N images as float32 NCHW and their
// labels, ready for a tensor.
type Batch struct {
	// Index is the batch's position in the epoch (0-based).
	Index int
	// N is the number of images.
	N int
	// X holds N×C×H×W values, each image CHW.
	X []float32
	// Y holds the N labels.
	Y   []int64
	buf *buffers
}

// buffers are the storage of a batch; they cycle through bufPool so that
// an epoch allocates a handful of them, not one per batch.
type buffers struct {
	x []float32
	y []int64
}

var bufPool sync.Pool

// getBuffers returns pooled buffers of the given lengths, or new ones
// when the pool has none big enough (the small ones are dropped: they
// belong to another loader's batch size or to a last batch).
func getBuffers(nx, ny int) *buffers {
	if v, ok := bufPool.Get().(*buffers); ok && cap(v.x) >= nx && cap(v.y) >= ny {
		v.x, v.y = v.x[:nx], v.y[:ny]
		return v
	}
	return &buffers{x: make([]float32, nx), y: make([]int64, ny)}
}

// Release returns the batch's buffers to a pool for reuse. The batch must
// not be used afterwards: its X and Y become nil, and a second Release
// does nothing.
func (b *Batch) Release() {
	if b.buf == nil {
		return
	}
	bufPool.Put(b.buf)
	*b = Batch{Index: b.Index}
}

// Epoch prepares the batches of one epoch on worker goroutines and hands
// them out in order. Its contents depend only on the Set, the
// LoaderConfig (Workers and Prefetch aside) and the epoch number.
//
// Next, Len and Waited are for one consumer goroutine; Close may be
// called from another (it makes a blocked Next return false).
type Epoch struct {
	set   *Set
	cfg   LoaderConfig
	epoch int
	order []int32        // image index at each position of the epoch
	lut   [][256]float32 // per channel: normalized value of each byte
	nb    int            // batches in the whole epoch
	cur   int            // next batch Next returns
	hook  func(index int)

	next   atomic.Int64  // next batch a worker prepares
	tokens chan struct{} // one per batch prepared or being prepared
	slots  []chan *Batch // batch i waits in slots[i%len(slots)]
	done   chan struct{} // closed by Close
	once   sync.Once
	wg     sync.WaitGroup
	waited atomic.Int64 // nanoseconds Next spent blocked
}

// prepareHook, when set by a test, runs at the start of every batch's
// preparation (to make workers finish out of order).
var prepareHook func(index int)

// NewEpoch starts preparing batches start..Len()-1 of epoch number epoch
// of s (start > 0 resumes an epoch in the middle). The order of the
// images is a permutation drawn from (Seed, epoch) when Shuffle, else
// the Set's; each image's augmentation is drawn from (Seed, epoch, its
// position in the epoch). Neither depends on Workers, timing or start,
// so a resumed epoch continues exactly as the interrupted one would have.
//
// NewEpoch panics on a configuration no epoch can follow (BatchSize < 1,
// a Mean or Std of the wrong length, a zero Std, start outside 0..Len()):
// those are programming errors, not data errors. Call Close when done.
func NewEpoch(s *Set, c LoaderConfig, epoch int, start int) *Epoch {
	e := &Epoch{set: s, cfg: c, epoch: epoch, nb: NumBatches(s.N, c.BatchSize, c.DropLast), cur: start,
		done: make(chan struct{}), hook: prepareHook}
	if err := e.check(start); err != nil {
		panic("images: NewEpoch: " + err.Error())
	}
	e.lut = makeLUT(s.C, c.Mean, c.Std)
	e.order = e.makeOrder()
	e.start(start)
	return e
}

func (e *Epoch) check(start int) error {
	c := e.cfg
	if err := e.set.check(); err != nil {
		return err
	}
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("BatchSize %d, want at least 1", c.BatchSize)
	case c.Mean != nil && len(c.Mean) != e.set.C, c.Std != nil && len(c.Std) != e.set.C:
		return fmt.Errorf("%d means and %d stds for %d channels", len(c.Mean), len(c.Std), e.set.C)
	case c.Augment.PadCrop < 0 || c.Workers < 0 || c.Prefetch < 0:
		return fmt.Errorf("PadCrop %d, Workers %d, Prefetch %d: want none negative", c.Augment.PadCrop, c.Workers, c.Prefetch)
	case start < 0 || start > e.nb:
		return fmt.Errorf("start batch %d outside the epoch's 0..%d", start, e.nb)
	}
	for ch, v := range c.Std {
		if v == 0 {
			return fmt.Errorf("Std of channel %d is 0", ch)
		}
	}
	return nil
}

// makeLUT tabulates (p/255 - mean)/std for every byte p, so that
// normalizing costs one table look-up a pixel.
func makeLUT(channels int, mean, std []float32) [][256]float32 {
	lut := make([][256]float32, channels)
	for c := range lut {
		m, sd := float32(0), float32(1)
		if mean != nil {
			m = mean[c]
		}
		if std != nil {
			sd = std[c]
		}
		for p := range lut[c] {
			lut[c][p] = (float32(p)/255 - m) / sd
		}
	}
	return lut
}

func (e *Epoch) makeOrder() []int32 {
	if e.cfg.Shuffle {
		return permutation(e.set.N, key(streamOrder, uint64(e.cfg.Seed), uint64(e.epoch)))
	}
	p := make([]int32, e.set.N)
	for i := range p {
		p[i] = int32(i)
	}
	return p
}

// start launches the workers. A worker takes a token before taking a
// batch number and Next gives the token back once it has handed that
// batch out, so at most len(slots) batches are between the two and batch
// i's slot is always free when i is ready: workers never wait on each
// other, and finishing out of order cannot reorder the batches.
func (e *Epoch) start(start int) {
	workers := e.cfg.Workers
	if workers == 0 {
		workers = runtime.NumCPU()
	}
	prefetch := e.cfg.Prefetch
	if prefetch == 0 {
		prefetch = 2 * workers
	}
	e.tokens = make(chan struct{}, prefetch)
	e.slots = make([]chan *Batch, prefetch)
	for i := range e.slots {
		e.slots[i] = make(chan *Batch, 1)
	}
	e.next.Store(int64(start))
	for range min(workers, e.nb-start) {
		e.wg.Go(e.work)
	}
}

func (e *Epoch) work() {
	for {
		select {
		case e.tokens <- struct{}{}:
		case <-e.done:
			return
		}
		i := int(e.next.Add(1) - 1)
		if i >= e.nb {
			return
		}
		e.slots[i%len(e.slots)] <- e.prepare(i)
	}
}

// Len is the number of batches of the whole epoch, including those
// before start.
func (e *Epoch) Len() int { return e.nb }

// Next returns the next batch, in order start, start+1, ...; false at the
// end of the epoch or after Close. The caller owns the batch and should
// Release it when done with it.
func (e *Epoch) Next() (*Batch, bool) {
	if e.cur >= e.nb {
		return nil, false
	}
	select {
	case <-e.done:
		return nil, false
	default:
	}
	slot := e.slots[e.cur%len(e.slots)]
	var b *Batch
	select {
	case b = <-slot:
	default:
		t := time.Now()
		select {
		case b = <-slot:
		case <-e.done:
			return nil, false
		}
		e.waited.Add(int64(time.Since(t)))
	}
	<-e.tokens
	e.cur++
	return b, true
}

// Close stops the workers, waits for them and releases the batches they
// prepared that Next did not hand out. It is safe to call early, twice,
// and after the end.
func (e *Epoch) Close() {
	e.once.Do(func() {
		close(e.done)
		e.wg.Wait()
		for _, s := range e.slots {
			select {
			case b := <-s:
				b.Release()
			default:
			}
		}
	})
}

// Waited is the total time Next has spent blocked waiting for a batch: a
// loader that keeps up with training leaves it near zero.
func (e *Epoch) Waited() time.Duration { return time.Duration(e.waited.Load()) }

// prepare builds batch i: each image gathered, augmented and normalized
// in one pass into the batch's buffer.
func (e *Epoch) prepare(i int) *Batch {
	if e.hook != nil {
		e.hook(i)
	}
	s := e.set
	lo := i * e.cfg.BatchSize
	hi := min(lo+e.cfg.BatchSize, s.N)
	chw := s.C * s.H * s.W
	buf := getBuffers((hi-lo)*chw, hi-lo)
	for k := range hi - lo {
		img := int(e.order[lo+k])
		buf.y[k] = int64(s.Labels[img])
		dx, dy, flip := e.augmentAt(lo + k)
		e.write(buf.x[k*chw:(k+1)*chw], s.Image(img), dx, dy, flip)
	}
	return &Batch{Index: i, N: hi - lo, X: buf.x, Y: buf.y, buf: buf}
}

// augmentAt draws the shift and flip of the image at position pos of the
// epoch from (Seed, epoch, pos) alone.
func (e *Epoch) augmentAt(pos int) (dx, dy int, flip bool) {
	a := e.cfg.Augment
	if a.PadCrop == 0 && !a.Flip {
		return 0, 0, false
	}
	r := stream{key(streamAugment, uint64(e.cfg.Seed), uint64(e.epoch), uint64(pos))}
	if a.PadCrop > 0 {
		dx = r.below(2*a.PadCrop+1) - a.PadCrop
		dy = r.below(2*a.PadCrop+1) - a.PadCrop
	}
	if a.Flip {
		flip = r.next()>>63 == 1
	}
	return dx, dy, flip
}

// write stores image src shifted by (dx, dy), zero-filled, mirrored if
// flip, and normalized into dst: out(y, x) = src(y+dy, x'+dx) with x' = x,
// or W-1-x when flipped.
func (e *Epoch) write(dst []float32, src []uint8, dx, dy int, flip bool) {
	h, w := e.set.H, e.set.W
	plane := h * w
	// Columns x of the unflipped output with x+dx inside the image.
	x0, x1 := max(0, -dx), min(w, w-dx)
	for c := range e.set.C {
		lut := &e.lut[c]
		pad := lut[0]
		for y := range h {
			row := dst[c*plane+y*w : c*plane+(y+1)*w]
			sy := y + dy
			if sy < 0 || sy >= h || x0 >= x1 {
				fill(row, pad)
				continue
			}
			from := src[c*plane+sy*w+x0+dx : c*plane+sy*w+x1+dx]
			if !flip {
				fill(row[:x0], pad)
				fill(row[x1:], pad)
				to := row[x0:x1]
				for j, p := range from {
					to[j] = lut[p]
				}
				continue
			}
			// Column x of the unflipped output lands at w-1-x.
			fill(row[:w-x1], pad)
			fill(row[w-x0:], pad)
			to := row[w-x1 : w-x0]
			last := len(to) - 1
			for j, p := range from {
				to[last-j] = lut[p]
			}
		}
	}
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}
