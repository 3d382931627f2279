package bench

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// zooCase is one case built with zoo: the model, its optimizer, a fixed
// training batch and a fixed inference set. Its step is the trainers'
// update (nmt.Trainer, vision.Trainer) on that batch.
type zooCase struct {
	spec   Spec
	desc   ModelDesc
	vs     *nn.VarStore
	params []train.Param
	opt    train.Optimizer

	nm        *nmt.Model
	ncfg      nmt.Config
	batch     *nmt.Batch // training batch
	infer     *nmt.Batch // inference sources (Src only is used)
	gen       nmt.GenerateConfig
	smoothing float64

	vm     *vision.Model
	vcfg   vision.Config
	x, y   *ts.Tensor // training images and labels
	inferX *ts.Tensor
}

// Zoo's training hyper-parameters for the benchmark: the recipes'
// defaults (nmt.DefaultTrainConfig, vision.DefaultRecipe) at a constant
// learning rate.
var (
	benchAdam = train.DefaultAdam()
	benchSGD  = train.SGDConfig{Momentum: 0.9, WeightDecay: 1e-4}
)

const benchLabelSmoothing = 0.1

// newZooCase builds s: weights from torch.ManualSeed(s.Seed), batches
// from a Go generator seeded with s.Seed.
func newZooCase(s Spec) (z *zooCase, err error) {
	defer torch.Recover(&err)
	z = &zooCase{spec: s}
	torch.ManualSeed(s.Seed)
	z.vs = nn.NewVarStore(gotch.CPU)
	params, err := resolvedParams(s.Variant, s.Params)
	if err != nil {
		return nil, err
	}
	z.desc = ModelDesc{Kind: s.Kind(), Name: s.Model, Residual: s.Variant, ResidualParams: params}
	if z.desc.Kind == KindTranslation {
		err = z.buildNMT()
	} else {
		err = z.buildVision()
	}
	if err != nil {
		return nil, err
	}
	if z.params, err = train.Params(z.vs); err != nil {
		return nil, err
	}
	if z.desc.Kind == KindTranslation {
		z.opt, err = train.NewAdam(z.params, benchAdam)
		z.desc.Optim = OptimDesc{Name: "adam", LR: s.LR, Beta1: benchAdam.Beta1, Beta2: benchAdam.Beta2, Eps: benchAdam.Eps, WeightDecay: benchAdam.WeightDecay}
	} else {
		z.opt, err = train.NewSGD(z.params, benchSGD)
		z.desc.Optim = OptimDesc{Name: "sgd", LR: s.LR, Momentum: benchSGD.Momentum, WeightDecay: benchSGD.WeightDecay, Nesterov: benchSGD.Nesterov}
	}
	return z, err
}

func (z *zooCase) buildNMT() error {
	s := z.spec
	c, err := s.NMTConfig()
	if err != nil {
		return err
	}
	z.ncfg, z.smoothing = c, benchLabelSmoothing
	if z.nm, err = nmt.New(z.vs.Root(), c); err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(s.Seed))
	examples := randomExamples(rng, s.Batch, s.Length*3/4, s.Length, c.SrcVocab)
	if z.batch, err = collateAll(examples, c); err != nil {
		return err
	}
	infer := randomExamples(rng, s.InferBatch, max(2, s.InferLength/3), s.InferLength, c.SrcVocab)
	if z.infer, err = collateAll(infer, c); err != nil {
		return err
	}
	z.gen = nmt.GenerateConfig{Beam: s.Beam, LenPenalty: 1, MaxLenA: s.MaxLenA, MaxLenB: s.MaxLenB, MinLen: 1}
	if err := z.gen.Validate(c.TgtVocab); err != nil {
		return err
	}
	srcShape, tgtShape := torch.Shape(z.batch.Src), torch.Shape(z.batch.Target)
	fwd := TransformerForwardFLOPs(c, srcShape[0], srcShape[1], tgtShape[1])
	z.desc.NMT = &NMTDesc{
		SrcVocab: c.SrcVocab, TgtVocab: c.TgtVocab, DModel: c.DModel, Heads: c.Heads, FFNDim: c.FFNDim,
		EncoderLayers: c.EncoderLayers, DecoderLayers: c.DecoderLayers, Dropout: c.Dropout,
		AttentionDropout: c.AttentionDropout, ActivationDropout: c.ActivationDropout, Activation: c.Activation,
		ShareAll: c.ShareAllEmbeddings, ShareDecoderIO: c.ShareDecoderInputOutputEmbed,
		MaxPositions: c.MaxPositions, PaddingIdx: c.PaddingIdx, EOSIdx: c.EOSIdx,
	}
	z.desc.LabelSmoothing = z.smoothing
	z.desc.Generate = &GenerateDesc{Beam: z.gen.Beam, LenPenalty: z.gen.LenPenalty, MaxLenA: z.gen.MaxLenA, MaxLenB: z.gen.MaxLenB, MinLen: z.gen.MinLen}
	z.desc.Params = nmt.NumParams(z.vs)
	z.desc.TrainFLOPs = TrainFLOPs(fwd)
	z.desc.TrainItems, z.desc.TrainUnit = float64(z.batch.TgtTokens), "tok"
	z.desc.InferItems, z.desc.InferUnit = float64(s.InferBatch), "sent"
	z.desc.BatchShape = fmt.Sprintf("%dx%d", srcShape[0], max(srcShape[1], tgtShape[1]))
	return nil
}

// randomExamples draws n sentence pairs whose lengths with EOS lie in
// [lo, hi], of word ids in [4, vocab) (0-3 are fairseq's specials).
func randomExamples(rng *rand.Rand, n, lo, hi int, vocab int64) []nmt.Example {
	lo = max(lo, 2)
	words := func() []int32 {
		w := make([]int32, lo-1+rng.Intn(hi-lo+1))
		for i := range w {
			w[i] = int32(4 + rng.Int63n(vocab-4))
		}
		return w
	}
	out := make([]nmt.Example, n)
	for i := range out {
		out[i] = nmt.Example{Src: words(), Tgt: words()}
	}
	return out
}

func collateAll(data []nmt.Example, c nmt.Config) (*nmt.Batch, error) {
	idx := make([]int, len(data))
	for i := range idx {
		idx[i] = i
	}
	return nmt.Collate(data, idx, c.PaddingIdx, c.EOSIdx, gotch.CPU)
}

func (z *zooCase) buildVision() error {
	s := z.spec
	c, err := s.VisionConfig()
	if err != nil {
		return err
	}
	z.vcfg = c
	if z.vm, err = vision.New(z.vs.Root(), c); err != nil {
		return err
	}
	size := int64(s.Image)
	z.x = torch.Must(ts.Randn([]int64{int64(s.Batch), c.InChannels, size, size}, gotch.Float, gotch.CPU))
	z.inferX = torch.Must(ts.Randn([]int64{int64(s.InferBatch), c.InChannels, size, size}, gotch.Float, gotch.CPU))
	rng := rand.New(rand.NewSource(s.Seed))
	labels := make([]int64, s.Batch)
	for i := range labels {
		labels[i] = rng.Int63n(c.Classes)
	}
	z.y = torch.Must(ts.OfSlice(labels))
	z.desc.Vision = &VisionDesc{Arch: c.Arch, Depth: c.Depth, Block: c.Block, Width: c.Width, Shortcut: c.Shortcut,
		ZeroInitLastBN: c.ZeroInitLastBN, InChannels: c.InChannels, Classes: c.Classes, Image: s.Image}
	z.desc.Params = vision.NumParams(z.vs)
	z.desc.TrainFLOPs = TrainFLOPs(ResNetForwardFLOPs(c, int64(s.Batch), size))
	z.desc.InferFLOPs = ResNetForwardFLOPs(c, int64(s.InferBatch), size)
	z.desc.TrainItems, z.desc.TrainUnit = float64(s.Batch), "img"
	z.desc.InferItems, z.desc.InferUnit = float64(s.InferBatch), "img"
	z.desc.BatchShape = fmt.Sprintf("%dx%dx%dx%d", s.Batch, c.InChannels, size, size)
	return nil
}

// free drops the case's tensors (the model's go with its VarStore).
func (z *zooCase) free() {
	if z.batch != nil {
		z.batch.Free()
	}
	if z.infer != nil {
		z.infer.Free()
	}
	torch.Free(z.x, z.y, z.inferX)
}

// export writes every variable of the VarStore (BN running statistics
// included) by name, and the batches as "batch:*" and "infer:*".
func (z *zooCase) export(dir string) error {
	vars := z.vs.Variables()
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []ts.NamedTensor
	for _, n := range names {
		t, err := z.vs.Root().Get(n) // a pointer that keeps the tensor alive
		if err != nil {
			return err
		}
		out = append(out, ts.NamedTensor{Name: n, Tensor: t})
	}
	if z.nm != nil {
		out = append(out, ts.NamedTensor{Name: "batch:src", Tensor: z.batch.Src},
			ts.NamedTensor{Name: "batch:prev", Tensor: z.batch.Prev},
			ts.NamedTensor{Name: "batch:target", Tensor: z.batch.Target},
			ts.NamedTensor{Name: "infer:src", Tensor: z.infer.Src})
	} else {
		out = append(out, ts.NamedTensor{Name: "batch:x", Tensor: z.x},
			ts.NamedTensor{Name: "batch:y", Tensor: z.y},
			ts.NamedTensor{Name: "infer:x", Tensor: z.inferX})
	}
	return WriteExport(dir, out)
}

// step runs one training update on the fixed batch and returns its loss
// (per target token, or the batch mean).
func (z *zooCase) step() (float64, error) {
	if z.nm != nil {
		return z.nmtStep(z.batch)
	}
	return z.visionStep(z.x, z.y)
}

// nmtStep is nmt.Trainer's update with update_freq 1: zero the
// gradients, forward with dropout, the label-smoothed loss summed over
// target tokens, backward, gradients divided by the token count, their
// norm (the trainer's divergence check; no clipping), Adam.
func (z *zooCase) nmtStep(b *nmt.Batch) (loss float64, err error) {
	defer torch.Recover(&err)
	z.opt.ZeroGrad()
	l, _, err := z.nm.ForwardLoss(b.Src, b.Prev, b.Target, z.smoothing, true)
	torch.Check(err)
	torch.Check(l.Backward())
	loss = torch.Float(l) / float64(b.TgtTokens)
	train.ScaleGrads(z.params, 1/float64(b.TgtTokens))
	if norm := train.ClipGradNorm(z.params, 0); math.IsNaN(norm) || math.IsInf(norm, 0) {
		return 0, fmt.Errorf("gradient norm is %v: diverged", norm)
	}
	z.opt.Step(z.spec.LR)
	return loss, nil
}

// visionStep is vision.Trainer's update: zero the gradients, forward in
// training mode, mean cross entropy, backward, the gradient norm, SGD,
// and the batch's top-1 count.
func (z *zooCase) visionStep(x, y *ts.Tensor) (loss float64, err error) {
	defer torch.Recover(&err)
	z.opt.ZeroGrad()
	logits := torch.Must(z.vm.Forward(x, true))
	defer torch.Free(logits)
	l := torch.Must(logits.CrossEntropyLoss(y, ts.None, ts.ReductionMean, -100, 0, false))
	torch.Check(l.Backward())
	loss = torch.Float(l)
	if norm := train.ClipGradNorm(z.params, 0); math.IsNaN(norm) || math.IsInf(norm, 0) {
		return 0, fmt.Errorf("gradient norm is %v: diverged", norm)
	}
	z.opt.Step(z.spec.LR)
	countTop1(logits, y)
	return loss, nil
}

// countTop1 counts the rows of logits whose largest entry is the label,
// as vision's trainer does (with topk).
func countTop1(logits, y *ts.Tensor) int64 {
	vals, idx, err := logits.Topk(1, 1, true, false, false)
	torch.Check(err)
	torch.Free(vals)
	col := torch.Must(y.Unsqueeze(1, false))
	hit := torch.Must(idx.EqTensor(col, true))
	torch.Free(col)
	count := torch.Must(hit.Sum(gotch.Int64, true))
	defer torch.Free(count)
	v := make([]int64, 1)
	torch.Check(count.CopyData(v, 1))
	return v[0]
}

// train runs n steps and returns the seconds and items of each.
func (z *zooCase) train(n int) (secs, items []float64, loss float64, err error) {
	for range n {
		start := time.Now()
		if loss, err = z.step(); err != nil {
			return nil, nil, 0, err
		}
		secs = append(secs, time.Since(start).Seconds())
		items = append(items, z.desc.TrainItems)
	}
	return secs, items, loss, nil
}

// inferOnce runs the inference pass; with hyps it returns the best
// hypothesis of each sentence.
func (z *zooCase) inferOnce(hyps bool) (secs float64, best [][]int64, err error) {
	defer torch.Recover(&err)
	start := time.Now()
	if z.nm != nil {
		out, err := z.nm.Generate(z.infer.Src, z.gen)
		if err != nil {
			return 0, nil, err
		}
		secs = time.Since(start).Seconds()
		if hyps {
			for _, h := range out {
				if len(h) == 0 {
					best = append(best, nil)
					continue
				}
				best = append(best, h[0].Tokens)
			}
		}
		return secs, best, nil
	}
	var out *ts.Tensor
	torch.NoGrad(func() { out, err = z.vm.Forward(z.inferX, false) })
	if err != nil {
		return 0, nil, err
	}
	torch.Free(out)
	return time.Since(start).Seconds(), nil, nil
}

// check computes the loss on the batch without dropout (a Transformer in
// eval mode; a ResNet in training mode, with batch statistics, as it has
// no dropout), the gradient norm as the optimizer gets it, takes one
// update and computes the loss again.
func (z *zooCase) check() (r CheckResult, err error) {
	defer torch.Recover(&err)
	r.Params = z.desc.Params
	loss := func() *ts.Tensor {
		if z.nm != nil {
			l, _, err := z.nm.ForwardLoss(z.batch.Src, z.batch.Prev, z.batch.Target, z.smoothing, false)
			torch.Check(err)
			return l
		}
		logits := torch.Must(z.vm.Forward(z.x, true))
		l := torch.Must(logits.CrossEntropyLoss(z.y, ts.None, ts.ReductionMean, -100, 0, false))
		torch.Free(logits)
		return l
	}
	norm := 1.0
	if z.nm != nil {
		norm = float64(z.batch.TgtTokens)
	}
	z.opt.ZeroGrad()
	l := loss()
	torch.Check(l.Backward())
	r.Loss = torch.Float(l) / norm
	if norm != 1 {
		train.ScaleGrads(z.params, 1/norm)
	}
	r.GradNorm = train.GradNorm(z.params)
	z.opt.Step(z.spec.LR)
	torch.NoGrad(func() { r.LossAfter = torch.Float(loss()) / norm })
	return r, nil
}
