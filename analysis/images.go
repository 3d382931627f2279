package analysis

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/vision"
	"github.com/zoo-nn/zoo/vision/images"
)

// resnetConfig is the analysed ResNet: the papers' CIFAR nets (width 16,
// basic blocks, shortcut A for resnet and B for preresnet, as the
// presets of package vision), for images of inChannels channels and
// the given classes.
func resnetConfig(arch string, depth int, width, inChannels, classes int64, v Variant) vision.Config {
	shortcut := vision.ShortcutA
	if arch == vision.ArchPreResNet {
		shortcut = vision.ShortcutB
	}
	return vision.Config{Arch: arch, Depth: depth, Block: vision.BlockBasic, Width: width, Shortcut: shortcut,
		InChannels: inChannels, Classes: classes, Residual: v.Name, ResidualParams: v.Params}
}

// imageTask is a ResNet on an image data set's training images.
type imageTask struct {
	arch    string
	width   int64
	set     *images.Set
	loader  images.LoaderConfig
	measure []imageBatch // host copies of the measured batches
	skip    int          // batches of epoch 1 taken by measure
	device  gotch.Device
}

// imageBatch is a batch on the host.
type imageBatch struct {
	x []float32
	y []int64
	n int
}

// loadImageTask reads the data set the request names.
func loadImageTask(c GradsConfig) (*imageTask, error) {
	trainSet, _, err := images.Load(images.Config{Dataset: c.Data})
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if c.Log != nil {
		fmt.Fprintf(c.Log, "data: %s, %d training images of %dx%dx%d, %d classes\n",
			trainSet.Name, trainSet.N, trainSet.C, trainSet.H, trainSet.W, len(trainSet.Classes))
	}
	return newImageTask(c, trainSet, 16)
}

// newImageTask batches s (shuffled with c.Seed, normalized by its
// channel statistics as the recipes do, no augmentation, full batches
// only): the first c.Batches of epoch 1 are measured, the batches after
// them feed training.
func newImageTask(c GradsConfig, s *images.Set, width int64) (*imageTask, error) {
	if nb := images.NumBatches(s.N, c.BatchSize, true); nb < c.Batches {
		return nil, fmt.Errorf("data: %s has %d images, %d batches of %d, fewer than the %d to measure", s.Name, s.N, nb, c.BatchSize, c.Batches)
	}
	mean, std := images.ChannelStats(s)
	for i := range std {
		if std[i] == 0 {
			std[i] = 1
		}
	}
	t := &imageTask{arch: c.Arch, width: width, set: s, device: c.Device, skip: c.Batches,
		loader: images.LoaderConfig{BatchSize: c.BatchSize, Shuffle: true, DropLast: true, Seed: c.Seed, Mean: mean, Std: std}}
	e := images.NewEpoch(s, t.loader, 1, 0)
	defer e.Close()
	for range c.Batches {
		b, ok := e.Next()
		if !ok {
			return nil, fmt.Errorf("data: %s: the loader ended early", s.Name)
		}
		t.measure = append(t.measure, imageBatch{x: append([]float32(nil), b.X...), y: append([]int64(nil), b.Y...), n: b.N})
		b.Release()
	}
	return t, nil
}

func (t *imageTask) newModel(vs *nn.VarStore, v Variant, depth int) (model, error) {
	c := resnetConfig(t.arch, depth, t.width, int64(t.set.C), int64(len(t.set.Classes)), v)
	m, err := vision.New(vs.Root(), c)
	if err != nil {
		return nil, err
	}
	return &imageModel{t: t, m: m, epoch: 1}, nil
}

func (t *imageTask) measured() int      { return len(t.measure) }
func (t *imageTask) weight(i int) int64 { return int64(t.measure[i].n) }
func (t *imageTask) close()             {}
func (t *imageTask) describe() (string, string) {
	s := t.set
	return fmt.Sprintf("%s train (%d images of %dx%dx%d)", s.Name, s.N, s.C, s.H, s.W), "residual block"
}

// imageModel is one ResNet under analysis, with its own stream of
// training batches (the same for every model of the task).
type imageModel struct {
	t      *imageTask
	m      *vision.Model
	stream *images.Epoch
	epoch  int
}

func (im *imageModel) blocks() []string                 { return im.m.BlockPrefixes() }
func (im *imageModel) setProbe(p func(int, *ts.Tensor)) { im.m.SetProbe(p) }
func (im *imageModel) measureLoss(i int) *ts.Tensor     { return im.loss(im.t.measure[i]) }

// loss is the cross entropy of b summed over its images, in training
// mode (batch statistics in every BN).
func (im *imageModel) loss(b imageBatch) *ts.Tensor {
	s := im.t.set
	flat := torch.Must(ts.OfSlice(b.x))
	x := torch.Must(flat.View([]int64{int64(b.n), int64(s.C), int64(s.H), int64(s.W)}, true))
	y := torch.Must(ts.OfSlice(b.y))
	if im.t.device != gotch.CPU {
		x = torch.Must(x.To(im.t.device, true))
		y = torch.Must(y.To(im.t.device, true))
	}
	defer torch.Free(x, y)
	logits, err := im.m.Forward(x, true)
	torch.Check(err)
	defer torch.Free(logits)
	return torch.Must(logits.CrossEntropyLoss(y, ts.None, ts.ReductionSum, -100, 0, false))
}

// trainLoss returns the mean loss of the next training batch: epoch 1
// after the measured batches, then epoch 2, 3, ... (steps are taken in
// order, so s only documents which one it is).
func (im *imageModel) trainLoss(int) *ts.Tensor {
	for {
		if im.stream == nil {
			start := 0
			if im.epoch == 1 {
				start = im.t.skip
			}
			im.stream = images.NewEpoch(im.t.set, im.t.loader, im.epoch, start)
		}
		b, ok := im.stream.Next()
		if ok {
			hb := imageBatch{x: b.X, y: b.Y, n: b.N}
			l := im.loss(hb)
			b.Release()
			return meanOf(l, int64(hb.n))
		}
		im.stream.Close()
		im.stream, im.epoch = nil, im.epoch+1
	}
}

func (im *imageModel) close() {
	if im.stream != nil {
		im.stream.Close()
	}
}
