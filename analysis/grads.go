// Package analysis measures what the residual variants do to a network
// rather than how well it ends up: the gradient analysis of Liu et al.
// (COLING 2020, section 3) on real models and real batches.
//
// A scaled skip without normalization, y = λ·x + F(x), carries
// λ^(L-l)·x_l to the output of an L-block stack, so the gradient that
// reaches block l grows (λ > 1) or shrinks (λ < 1) geometrically with
// the distance to the output; normalizing the sum (scaled-ln, post-ln)
// or recursing through LN (rskip-ln) keeps it bounded. RunGrads builds,
// for each variant and depth, a seeded model at initialization, runs
// forward and backward on real batches and records per block the norm of
// the gradient with respect to the block's input, ||∂L/∂x_l||, and with
// respect to the block's parameters, optionally again after some
// training steps. WriteGrads puts the numbers (grads.json), a summary
// table and plots into a folder.
package analysis

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// Models RunGrads can analyse.
const (
	// ModelTransformer is nmt's Transformer (the small preset's widths,
	// no dropout) with depth encoder layers and one decoder layer, on a
	// translation corpus; a block is one encoder layer (its
	// self-attention and feed-forward residual joins together).
	ModelTransformer = "transformer"
	// ModelResNet is vision's CIFAR ResNet (Arch resnet or preresnet,
	// basic blocks, depth 6n+2) on an image data set; a block is one
	// residual block.
	ModelResNet = "resnet"
)

// Models lists the values GradsConfig.Model takes.
var Models = []string{ModelTransformer, ModelResNet}

// ImageData lists the image data sets the resnet analysis reads (the
// catalogue names of vision/images).
var ImageData = []string{"fmnist", "cifar10", "cifar100", "cifar10-jpg"}

// Optimizers lists the values GradsConfig.Optimizer takes.
var Optimizers = []string{"sgd", "adam"}

// Flags of the summary table: ratios of the input-gradient norm at the
// first block to that at the last beyond these are marked.
const (
	ExplodingRatio = 1e3
	VanishingRatio = 1e-3
)

// GradsConfig is one gradient analysis: every variant at every depth.
type GradsConfig struct {
	Model    string    // ModelTransformer or ModelResNet
	Arch     string    // resnet model: vision.ArchResNet (default) or vision.ArchPreResNet
	Variants []Variant // from ParseVariants
	Depths   []int     // transformer: encoder layers (>= 1); resnet: 6n+2 (20, 56, 110)
	// Data names the data: for the transformer "multi30k" (the only
	// corpus built in, with the settings of recipes/multi30k-*.toml, so
	// that their prepared cache is reused); for the resnet an image data
	// set of vision/images: fmnist (default), cifar10, cifar100,
	// cifar10-jpg.
	Data string
	// Batches is the number of real batches measured; their union is one
	// loss (the mean over all their tokens or images). Default 2.
	Batches int
	// BatchSize is the resnet's images per batch. Default 128.
	BatchSize int
	// MaxTokens bounds the transformer's padded tokens per batch (as
	// [train] max_tokens). Default 2048.
	MaxTokens int
	// Steps are the training steps after which the statistics are taken
	// again (the ones at initialization, step 0, always are), ascending.
	Steps []int
	// Optimizer trains between checkpoints: "sgd" (plain SGD with
	// Momentum) or "adam" (the translation recipes' Adam: betas 0.9,
	// 0.98, eps 1e-9), both at the fixed learning rate LR, no clipping,
	// no warm-up. Default adam for the transformer, sgd for the resnet.
	Optimizer string
	LR        float64      // default 5e-4 for adam, 0.1 for sgd
	Momentum  float64      // sgd only; default 0 (plain SGD)
	Seed      int64        // weights (the same for every variant of a depth) and batch order; default 1
	Device    gotch.Device // default torch.DefaultDevice()
	Log       io.Writer    // progress lines; nil is silent
}

// withDefaults fills the zero fields.
func (c GradsConfig) withDefaults() GradsConfig {
	if c.Model == ModelResNet && c.Arch == "" {
		c.Arch = vision.ArchResNet
	}
	if c.Data == "" {
		c.Data = map[string]string{ModelTransformer: "multi30k", ModelResNet: "fmnist"}[c.Model]
	}
	if c.Batches == 0 {
		c.Batches = 2
	}
	if c.BatchSize == 0 {
		c.BatchSize = 128
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = 2048
	}
	if c.Optimizer == "" {
		c.Optimizer = map[string]string{ModelTransformer: "adam", ModelResNet: "sgd"}[c.Model]
	}
	if c.LR == 0 {
		c.LR = map[string]float64{"adam": 5e-4, "sgd": 0.1}[c.Optimizer]
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Device == (gotch.Device{}) {
		c.Device = torch.DefaultDevice()
	}
	return c
}

// Validate reports every problem of the request that needs no data: an
// unknown model or architecture, depths the model cannot be built at,
// counts out of range. (Variants are checked by ParseVariants.)
func (c GradsConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slices.Contains(Models, c.Model) {
		bad("model %q: want one of %s", c.Model, strings.Join(Models, ", "))
		return errors.Join(errs...)
	}
	if c.Model == ModelTransformer && c.Arch != "" {
		bad("arch %q: only the resnet model takes an architecture", c.Arch)
	}
	if len(c.Variants) == 0 {
		bad("no variants given")
	}
	if len(c.Depths) == 0 {
		bad("no depths given")
	}
	seen := map[int]bool{}
	for _, d := range c.Depths {
		if seen[d] {
			bad("depth %d is listed twice", d)
		}
		seen[d] = true
		if err := c.checkDepth(d); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Model == ModelTransformer && c.Data != "multi30k" {
		bad("data %q: the transformer analysis reads multi30k (the only corpus built in)", c.Data)
	}
	if c.Model == ModelResNet && !slices.Contains(ImageData, c.Data) {
		bad("data %q: the resnet analysis reads one of %s", c.Data, strings.Join(ImageData, ", "))
	}
	if c.Batches < 1 || c.BatchSize < 1 || c.MaxTokens < 1 {
		bad("batches = %d, batch size = %d, max tokens = %d: want >= 1 each", c.Batches, c.BatchSize, c.MaxTokens)
	}
	for i, s := range c.Steps {
		if s < 1 || (i > 0 && s <= c.Steps[i-1]) {
			bad("steps %v: want ascending step counts >= 1 (the statistics at step 0 are always taken)", c.Steps)
			break
		}
	}
	if !slices.Contains(Optimizers, c.Optimizer) {
		bad("optimizer %q: want one of %s", c.Optimizer, strings.Join(Optimizers, ", "))
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		bad("learning rate %v: want > 0", c.LR)
	}
	if c.Momentum < 0 || c.Momentum >= 1 {
		bad("momentum %v: want 0 <= momentum < 1", c.Momentum)
	}
	return errors.Join(errs...)
}

// maxTransformerDepth bounds the encoder: more is a typo.
const maxTransformerDepth = 1000

func (c GradsConfig) checkDepth(d int) error {
	if c.Model == ModelTransformer {
		if d < 1 || d > maxTransformerDepth {
			return fmt.Errorf("depth %d: the transformer needs 1 to %d encoder layers", d, maxTransformerDepth)
		}
		return nil
	}
	vc := resnetConfig(c.Arch, d, 16, 1, 10, Variant{Name: "plain"})
	if err := vc.Validate(); err != nil {
		return fmt.Errorf("%s depth %d: %w", c.Arch, d, err)
	}
	return nil
}

// GradsReport is everything one analysis measured (grads.json).
type GradsReport struct {
	Model     string     `json:"model"`
	Arch      string     `json:"arch,omitempty"`
	Data      string     `json:"data"`   // e.g. "multi30k:train (de→en, 29000 pairs)"
	Blocks    string     `json:"blocks"` // what one block is
	Batches   int        `json:"batches"`
	BatchSize int        `json:"batch_size,omitempty"`
	MaxTokens int        `json:"max_tokens,omitempty"`
	Measured  int64      `json:"measured"` // target tokens or images in the measured batches
	Optimizer string     `json:"optimizer"`
	LR        float64    `json:"lr"`
	Momentum  float64    `json:"momentum,omitempty"`
	Seed      int64      `json:"seed"`
	Steps     []int      `json:"steps"` // the checkpoints: 0, then GradsConfig.Steps
	Device    string     `json:"device"`
	Runs      []GradsRun `json:"runs"`
	Seconds   float64    `json:"seconds"`
}

// GradsRun is one variant at one depth.
type GradsRun struct {
	Variant     string            `json:"variant"` // the label, e.g. "scaled:lambda=2"
	Name        string            `json:"name"`
	Params      map[string]any    `json:"params"`
	Depth       int               `json:"depth"`
	NumBlocks   int               `json:"num_blocks"`
	NumParams   int64             `json:"num_params"`
	Checkpoints []GradsCheckpoint `json:"checkpoints"`
	// TrainLoss is the loss of each training step's batch (mean per
	// token or image), when Steps asked for training.
	TrainLoss []train.JSONFloat `json:"train_loss,omitempty"`
	// Stopped says why training ended before the last checkpoint (a
	// non-finite loss or gradient); the later checkpoints are missing.
	Stopped string  `json:"stopped,omitempty"`
	Seconds float64 `json:"seconds"`
}

// GradsCheckpoint is the statistics at one training step.
type GradsCheckpoint struct {
	Step int `json:"step"`
	// Loss is the mean loss over the measured batches (label-smoothed
	// per target token for the transformer, cross entropy per image for
	// the resnet).
	Loss train.JSONFloat `json:"loss"`
	// ParamGradTotal is the norm of the gradient of all parameters.
	ParamGradTotal train.JSONFloat `json:"param_grad_total"`
	Blocks         []BlockGrads    `json:"blocks"`
}

// BlockGrads is one block's statistics; every norm is L2 over the whole
// measured set (all batches, all positions, padding included).
type BlockGrads struct {
	Block     int             `json:"block"` // 1-based, from the input side
	Name      string          `json:"name"`  // e.g. "encoder.layers.0", "layer2.3"
	ParamGrad train.JSONFloat `json:"param_grad_norm"`
	InputGrad train.JSONFloat `json:"input_grad_norm"` // ||∂L/∂x_l||
	InputNorm train.JSONFloat `json:"input_norm"`      // ||x_l||
}

// task is a model family on its data: it builds models and holds the
// measured and training batches.
type task interface {
	// newModel creates the model for v at depth under vs.
	newModel(vs *nn.VarStore, v Variant, depth int) (model, error)
	// measured is the number of measured batches; weight(i) the tokens or
	// images of measured batch i (what its summed loss is a sum over).
	measured() int
	weight(i int) int64
	describe() (data, blocks string)
	close()
}

// model is one network under analysis.
type model interface {
	// blocks are the VarStore prefixes of the probed blocks, in order.
	blocks() []string
	setProbe(p func(block int, x *ts.Tensor))
	// measureLoss returns the summed loss of measured batch i.
	measureLoss(i int) *ts.Tensor
	// trainLoss returns the mean loss of the training batch of step s
	// (0-based).
	trainLoss(s int) *ts.Tensor
	close()
}

// RunGrads loads the data the request names and measures every variant
// at every depth. It never gives up on a variant that overflows: an
// infinite or NaN norm is a result, reported as such.
func RunGrads(c GradsConfig) (*GradsReport, error) {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var t task
	var err error
	switch c.Model {
	case ModelTransformer:
		t, err = loadTextTask(c)
	default:
		t, err = loadImageTask(c)
	}
	if err != nil {
		return nil, err
	}
	defer t.close()
	return runGrads(c, t)
}

func runGrads(c GradsConfig, t task) (*GradsReport, error) {
	start := time.Now()
	log := c.Log
	if log == nil {
		log = io.Discard
	}
	data, blocks := t.describe()
	rep := &GradsReport{Model: c.Model, Arch: c.Arch, Data: data, Blocks: blocks, Batches: c.Batches,
		Optimizer: c.Optimizer, LR: c.LR, Momentum: c.Momentum, Seed: c.Seed,
		Steps: append([]int{0}, c.Steps...), Device: torch.DeviceName(c.Device)}
	if c.Model == ModelTransformer {
		rep.MaxTokens = c.MaxTokens
	} else {
		rep.BatchSize = c.BatchSize
	}
	for i := range t.measured() {
		rep.Measured += t.weight(i)
	}
	for _, depth := range c.Depths {
		for _, v := range c.Variants {
			run, err := runOne(c, t, v, depth)
			if err != nil {
				return nil, fmt.Errorf("%s depth %d: %w", v.Label, depth, err)
			}
			for _, cp := range run.Checkpoints {
				first, last := cp.Blocks[0], cp.Blocks[len(cp.Blocks)-1]
				fmt.Fprintf(log, "%s depth %d step %d: loss %s, input grad block 1 %s, block %d %s (ratio %s), %.1f s\n",
					v.Label, depth, cp.Step, Format(float64(cp.Loss)), Format(float64(first.InputGrad)), last.Block,
					Format(float64(last.InputGrad)), Format(ratio(first.InputGrad, last.InputGrad)), run.Seconds)
			}
			if run.Stopped != "" {
				fmt.Fprintf(log, "%s depth %d: %s\n", v.Label, depth, run.Stopped)
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// runOne measures one variant at one depth, training in between when
// steps were asked for.
func runOne(c GradsConfig, t task, v Variant, depth int) (run GradsRun, err error) {
	start := time.Now()
	torch.ManualSeed(c.Seed)
	vs := nn.NewVarStore(c.Device)
	defer vs.Destroy()
	m, err := t.newModel(vs, v, depth)
	if err != nil {
		return run, err
	}
	defer m.close()
	params, err := train.Params(vs)
	if err != nil {
		return run, err
	}
	run = GradsRun{Variant: v.Label, Name: v.Name, Params: v.Resolved, Depth: depth, NumBlocks: len(m.blocks())}
	for _, p := range params {
		run.NumParams += int64(p.Tensor.Numel())
	}
	opt, err := newOptimizer(c, params)
	if err != nil {
		return run, err
	}
	defer freeState(opt)
	step := 0
	for _, at := range append([]int{0}, c.Steps...) {
		for ; step < at && run.Stopped == ""; step++ {
			loss, stop, err := trainStep(m, opt, params, step, c.LR)
			if err != nil {
				return run, fmt.Errorf("training step %d: %w", step+1, err)
			}
			run.TrainLoss = append(run.TrainLoss, train.JSONFloat(loss))
			run.Stopped = stop
		}
		if run.Stopped != "" {
			break
		}
		cp, err := measure(m, t, params)
		if err != nil {
			return run, fmt.Errorf("step %d: %w", at, err)
		}
		cp.Step = at
		run.Checkpoints = append(run.Checkpoints, cp)
	}
	run.Seconds = time.Since(start).Seconds()
	return run, nil
}

func newOptimizer(c GradsConfig, params []train.Param) (train.Optimizer, error) {
	if c.Optimizer == "adam" {
		return train.NewAdam(params, train.DefaultAdam())
	}
	return train.NewSGD(params, train.SGDConfig{Momentum: c.Momentum})
}

// freeState frees the optimizer's moments or momentum buffers.
func freeState(opt train.Optimizer) {
	for _, nt := range opt.State() {
		_ = nt.Tensor.Drop()
	}
}

// trainStep takes one optimizer step on the training batch of step s. A
// non-finite loss or gradient norm stops training (stop says why) rather
// than failing the analysis.
func trainStep(m model, opt train.Optimizer, params []train.Param, s int, lr float64) (loss float64, stop string, err error) {
	defer torch.Recover(&err)
	opt.ZeroGrad()
	l := m.trainLoss(s)
	defer torch.Free(l)
	torch.Check(l.Backward())
	loss = torch.Float(torch.Must(l.ShallowClone()))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Sprintf("training stopped at step %d: the loss is %s", s+1, Format(loss)), nil
	}
	if g := train.GradNorm(params); math.IsNaN(g) || math.IsInf(g, 0) {
		return loss, fmt.Sprintf("training stopped at step %d: the gradient norm is %s", s+1, Format(g)), nil
	}
	opt.Step(lr)
	return loss, "", nil
}

// measure takes the statistics of the model as it is on the measured
// batches. Their union is one loss, L = Σ_i loss_i / Σ_i n_i (the mean
// over every token or image of all of them), so the parameter gradients
// are summed over the batches and the input norms are over the union.
// Gradients come from torch.Grad (autograd.grad): nothing accumulates
// into the parameters' .grad, so measuring does not disturb training.
func measure(m model, t task, params []train.Param) (cp GradsCheckpoint, err error) {
	defer torch.Recover(&err)
	prefixes := m.blocks()
	nb := len(prefixes)
	var total int64
	for i := range t.measured() {
		total += t.weight(i)
	}
	inGradSq := make([]float64, nb)
	inSq := make([]float64, nb)
	acc := make([]*ts.Tensor, len(params))
	defer func() { torch.Free(acc...) }()
	var loss float64
	for i := range t.measured() {
		l, err := measureBatch(m, params, i, 1/float64(total), acc, inGradSq, inSq)
		if err != nil {
			return cp, fmt.Errorf("batch %d: %w", i+1, err)
		}
		loss += l
	}
	norms, err := train.TensorNorms(acc)
	torch.Check(err)
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	blockNorms, all := train.GroupNorms(names, norms, prefixes)
	cp.Loss, cp.ParamGradTotal = train.JSONFloat(loss), train.JSONFloat(all)
	for l := range nb {
		cp.Blocks = append(cp.Blocks, BlockGrads{Block: l + 1, Name: strings.TrimSuffix(prefixes[l], "."),
			ParamGrad: train.JSONFloat(blockNorms[l]), InputGrad: train.JSONFloat(math.Sqrt(inGradSq[l])),
			InputNorm: train.JSONFloat(math.Sqrt(inSq[l]))})
	}
	return cp, nil
}

// measureBatch runs measured batch i with the probe installed, takes the
// gradients of scale·(its summed loss) with respect to the parameters
// and the block inputs, adds the parameter gradients into acc and the
// squared input-gradient and input norms into inGradSq and inSq, and
// returns scale·loss.
func measureBatch(m model, params []train.Param, i int, scale float64, acc []*ts.Tensor, inGradSq, inSq []float64) (loss float64, err error) {
	defer torch.Recover(&err)
	nb := len(inGradSq)
	probes := make([]*ts.Tensor, nb)
	defer func() { torch.Free(probes...) }()
	called := 0
	m.setProbe(func(block int, x *ts.Tensor) {
		if block < nb && probes[block] == nil {
			probes[block] = torch.Must(x.ShallowClone())
			called++
		}
	})
	sum := func() *ts.Tensor {
		defer m.setProbe(nil)
		return m.measureLoss(i)
	}()
	s := ts.FloatScalar(scale)
	scaled := torch.Must(sum.MulScalar(s, true))
	torch.Check(s.Drop())
	defer torch.Free(scaled)
	if called != nb {
		torch.Errorf("the model probed %d of its %d blocks", called, nb)
	}
	loss = torch.Float(torch.Must(scaled.ShallowClone()))
	inputs := make([]*ts.Tensor, 0, len(params)+nb)
	for _, p := range params {
		inputs = append(inputs, p.Tensor)
	}
	inputs = append(inputs, probes...)
	grads, err := torch.Grad(scaled, inputs)
	torch.Check(err)
	defer func() { torch.Free(grads...) }()
	torch.NoGrad(func() {
		for j := range params {
			g := grads[j]
			switch {
			case g == nil:
			case acc[j] == nil:
				acc[j], grads[j] = g, nil
			default:
				torch.Check(acc[j].Add_(g))
			}
		}
	})
	gn, err := train.TensorNorms(grads[len(params):])
	torch.Check(err)
	xn, err := train.TensorNorms(probes)
	torch.Check(err)
	for l := range nb {
		inGradSq[l] += gn[l] * gn[l]
		inSq[l] += xn[l] * xn[l]
	}
	return loss, nil
}

// ratio is a/b, the first block's input-gradient norm over the last's.
func ratio(a, b train.JSONFloat) float64 { return float64(a) / float64(b) }

// Format writes a norm for tables and logs: three significant digits,
// "inf", "-inf" or "nan" when it is not finite.
func Format(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return fmt.Sprintf("%.3g", v)
}
