package analysis

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/internal/sharedtest"
	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
	"github.com/zoo-nn/zoo/vision/images"
)

func mustVariants(t *testing.T, specs string) []Variant {
	t.Helper()
	vs, err := ParseVariants(specs)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// genImages is a set of n random 3×8×8 images of 4 classes.
func genImages(n int, seed int64) *images.Set {
	rng := rand.New(rand.NewSource(seed))
	s := &images.Set{Name: "generated", N: n, C: 3, H: 8, W: 8, Classes: []string{"a", "b", "c", "d"}}
	s.Pixels = make([]uint8, n*3*8*8)
	for i := range s.Pixels {
		s.Pixels[i] = uint8(rng.Intn(256))
	}
	s.Labels = make([]int32, n)
	for i := range s.Labels {
		s.Labels[i] = int32(rng.Intn(4))
	}
	return s
}

// tinyImageTask is a width-4 ResNet task on generated images, one
// measured batch of 8.
func tinyImageTask(t *testing.T, arch string) (*imageTask, GradsConfig) {
	t.Helper()
	c := GradsConfig{Model: ModelResNet, Arch: arch, Batches: 1, BatchSize: 8, Device: gotch.CPU}.withDefaults()
	task, err := newImageTask(c, genImages(32, 3), 4)
	if err != nil {
		t.Fatal(err)
	}
	return task, c
}

// genExamples are n random sentence pairs of 3 to 9 word ids in [4, vocab).
func genExamples(n int, vocab int64, seed int64) []nmt.Example {
	rng := rand.New(rand.NewSource(seed))
	ids := func() []int32 {
		out := make([]int32, 3+rng.Intn(7))
		for i := range out {
			out[i] = int32(4 + rng.Int63n(vocab-4))
		}
		return out
	}
	out := make([]nmt.Example, n)
	for i := range out {
		out[i] = nmt.Example{Src: ids(), Tgt: ids()}
	}
	return out
}

// tinyTextTask is a d-16 Transformer task on random pairs, one measured
// batch of at most 64 tokens.
func tinyTextTask(t *testing.T) (*textTask, GradsConfig) {
	t.Helper()
	c := GradsConfig{Model: ModelTransformer, Batches: 1, MaxTokens: 64, Device: gotch.CPU}.withDefaults()
	base, err := transformerBase(24)
	if err != nil {
		t.Fatal(err)
	}
	base.DModel, base.Heads, base.FFNDim, base.MaxPositions = 16, 2, 32, 64
	task, err := newTextTask(c, base, genExamples(40, 24, 5), "generated")
	if err != nil {
		t.Fatal(err)
	}
	return task, c
}

// build makes the task's model for a variant spec at depth.
func build(t *testing.T, task task, spec string, depth int) (model, []train.Param, func()) {
	t.Helper()
	torch.ManualSeed(1)
	vs := nn.NewVarStore(gotch.CPU)
	m, err := task.newModel(vs, mustVariants(t, spec)[0], depth)
	if err != nil {
		t.Fatal(err)
	}
	params, err := train.Params(vs)
	if err != nil {
		t.Fatal(err)
	}
	return m, params, func() { m.close(); vs.Destroy() }
}

func host(t *ts.Tensor) []float64 {
	d := torch.Must(t.ToDtype(gotch.Double, false, false, false))
	defer torch.Free(d)
	out := make([]float64, d.Numel())
	torch.Check(d.CopyData(out, uint(len(out))))
	return out
}

func tensorLike(vals []float64, like *ts.Tensor) *ts.Tensor {
	f := make([]float32, len(vals))
	for i, v := range vals {
		f[i] = float32(v)
	}
	flat := torch.Must(ts.OfSlice(f))
	return torch.Must(flat.View(torch.Shape(like), true))
}

// checkInputGrad checks ∂L/∂x_block of the summed loss of measured batch
// 0, taken through the probe with torch.Grad, against central finite
// differences along two directions (the gradient's own and a random
// one), perturbing x_block in place through the probe. It also checks
// that measure reports the same norm (divided by the batch's weight).
func checkInputGrad(t *testing.T, task task, m model, params []train.Param, block int) {
	t.Helper()
	var x *ts.Tensor
	m.setProbe(func(l int, in *ts.Tensor) {
		if l == block {
			x = torch.Must(in.ShallowClone())
		}
	})
	loss := m.measureLoss(0)
	m.setProbe(nil)
	grads, err := torch.Grad(loss, []*ts.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	g := host(grads[0])
	torch.Free(loss, grads[0])
	var gNorm float64
	for _, v := range g {
		gNorm += v * v
	}
	gNorm = math.Sqrt(gNorm)
	rng := rand.New(rand.NewSource(9))
	random := make([]float64, len(g))
	var rNorm float64
	for i := range random {
		random[i] = rng.NormFloat64()
		rNorm += random[i] * random[i]
	}
	unit := make([]float64, len(g))
	for i := range g {
		random[i] /= math.Sqrt(rNorm)
		unit[i] = g[i] / gNorm
	}
	// lossAt is the loss with x_block moved by eps·dir. (The probe
	// modifies the model's tensor, which a probe normally must not do:
	// here that is the point.)
	lossAt := func(dir *ts.Tensor, eps float64) float64 {
		var out float64
		torch.NoGrad(func() {
			m.setProbe(func(l int, in *ts.Tensor) {
				if l == block {
					step := torch.Must(dir.MulScalar(ts.FloatScalar(eps), false))
					torch.Check(in.Add_(step))
					torch.Free(step)
				}
			})
			out = torch.Float(m.measureLoss(0))
			m.setProbe(nil)
		})
		return out
	}
	const eps = 1e-2
	for _, d := range []struct {
		name string
		dir  []float64
	}{{"gradient direction", unit}, {"random direction", random}} {
		dir := tensorLike(d.dir, x)
		fd := (lossAt(dir, eps) - lossAt(dir, -eps)) / (2 * eps)
		torch.Free(dir)
		var want float64
		for i := range g {
			want += g[i] * d.dir[i]
		}
		if math.Abs(fd-want) > 0.02*gNorm {
			t.Errorf("block %d, %s: finite difference %.6g, autograd %.6g (‖g‖ = %.4g)", block+1, d.name, fd, want, gNorm)
		} else {
			t.Logf("block %d, %s: finite difference %.6g, autograd %.6g", block+1, d.name, fd, want)
		}
	}
	torch.Free(x)
	cp, err := measure(m, task, params)
	if err != nil {
		t.Fatal(err)
	}
	got := float64(cp.Blocks[block].InputGrad) * float64(task.weight(0))
	if math.Abs(got-gNorm) > 1e-4*gNorm {
		t.Errorf("measure: block %d input-grad norm ×weight %.6g, want %.6g", block+1, got, gNorm)
	}
}

// TestInputGradMatchesFiniteDifferences: the probe's gradient with
// respect to a block's input is the derivative of the loss, on a tiny
// ResNet of each architecture (depth 8: three blocks, the last two
// downsampling) and a tiny 4-layer Transformer.
func TestInputGradMatchesFiniteDifferences(t *testing.T) {
	for _, arch := range []string{vision.ArchResNet, vision.ArchPreResNet} {
		t.Run(arch, func(t *testing.T) {
			task, _ := tinyImageTask(t, arch)
			m, params, done := build(t, task, "scaled:lambda=1.5", 8)
			defer done()
			for _, block := range []int{0, 2} {
				checkInputGrad(t, task, m, params, block)
			}
		})
	}
	t.Run("transformer", func(t *testing.T) {
		task, _ := tinyTextTask(t)
		m, params, done := build(t, task, "post-ln", 4)
		defer done()
		for _, block := range []int{0, 3} {
			checkInputGrad(t, task, m, params, block)
		}
	})
}

// firstLast is the ratio of the input-gradient norm at block 1 to that at
// the last block, at initialization.
func firstLast(t *testing.T, task task, spec string, depth int) float64 {
	t.Helper()
	m, params, done := build(t, task, spec, depth)
	defer done()
	cp, err := measure(m, task, params)
	if err != nil {
		t.Fatal(err)
	}
	return ratio(cp.Blocks[0].InputGrad, cp.Blocks[len(cp.Blocks)-1].InputGrad)
}

// TestDepthEffectOnRealModels is layers' TestDepthEffect on whole
// networks of 24 blocks: λ = 2 without a norm makes the first block's
// input gradient at least 2^15 times larger, relative to the last
// block's, than λ = 1 does (2^23 would be λ^(L-1) exactly; the F paths
// take some), while scaled-ln with λ = 2 and rSkip+LN keep the first
// block's within a factor of 10 of the last block's.
//
// Two things differ from the bare stack of layers' test, whose F was a
// small fixed tanh. In the Transformer, λ = 1 without a norm already
// grows the gradient (×3e5 over 24 layers here: each unnormalized
// attention and FFN adds to the signal), and λ = 0.5 makes it vanish.
// In the ResNet, every F starts with conv-BN, so F's Jacobian scales as
// 1/σ(x_l): when λ = 0.5 shrinks x, F takes over the path and the
// gradient does not vanish; that case is logged, not checked.
func TestDepthEffectOnRealModels(t *testing.T) {
	img, _ := tinyImageTask(t, vision.ArchResNet)
	txt, _ := tinyTextTask(t)
	for _, c := range []struct {
		name     string
		task     task
		depth    int // 24 blocks
		vanishes bool
	}{{"resnet", img, 50, false}, {"transformer", txt, 24, true}} {
		t.Run(c.name, func(t *testing.T) {
			base := firstLast(t, c.task, "scaled:lambda=1", c.depth)
			up := firstLast(t, c.task, "scaled:lambda=2", c.depth)
			down := firstLast(t, c.task, "scaled:lambda=0.5", c.depth)
			t.Logf("first/last input-grad: λ=1 %.3g, λ=2 %.3g (×%.3g), λ=0.5 %.3g (×%.3g)", base, up, up/base, down, down/base)
			if !(up/base > math.Pow(2, 15)) {
				t.Errorf("scaled λ=2: ratio ×%.3g of λ=1, want >= 2^15", up/base)
			}
			if c.vanishes && !(down/base < math.Pow(2, -15)) {
				t.Errorf("scaled λ=0.5: ratio ×%.3g of λ=1, want <= 2^-15", down/base)
			}
			for _, spec := range []string{"scaled-ln:lambda=2", "rskip-ln:order=2"} {
				r := firstLast(t, c.task, spec, c.depth)
				t.Logf("%s: first/last %.3g", spec, r)
				if !(r < 10 && r > 0.1) {
					t.Errorf("%s: first/last %.3g, want within a factor of 10 of 1", spec, r)
				}
			}
		})
	}
}

// TestRunGradsReportAndFiles runs the whole analysis on the tiny tasks
// (two variants, two depths, a checkpoint after training) and checks the
// report, grads.json, the summary and the plots, including a variant
// whose norms overflow float32.
func TestRunGradsReportAndFiles(t *testing.T) {
	task, c := tinyTextTask(t)
	c.Variants = mustVariants(t, "plain;scaled:lambda=40")
	c.Depths, c.Steps = []int{2, 24}, []int{2}
	rep, err := runGrads(c, task)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 4 || rep.Runs[0].Variant != "plain" || rep.Runs[3].Variant != "scaled:lambda=40" || rep.Runs[3].Depth != 24 {
		t.Fatalf("runs %+v", rep.Runs)
	}
	plain := rep.Runs[2]
	if len(plain.Checkpoints) != 2 || plain.Checkpoints[1].Step != 2 || len(plain.TrainLoss) != 2 || plain.NumBlocks != 24 {
		t.Fatalf("plain depth 24: %+v", plain)
	}
	for _, cp := range plain.Checkpoints {
		for _, b := range cp.Blocks {
			if !(b.InputGrad > 0 && b.ParamGrad > 0 && b.InputNorm > 0) {
				t.Errorf("plain step %d block %d: %+v, want positive finite norms", cp.Step, b.Block, b)
			}
		}
	}
	if plain.Checkpoints[0].Blocks[5].Name != "encoder.layers.5" {
		t.Errorf("block 6 is named %q", plain.Checkpoints[0].Blocks[5].Name)
	}
	// 40^23 overflows float32: the run must report it, not fail.
	big := rep.Runs[3]
	first := float64(big.Checkpoints[0].Blocks[0].InputGrad)
	if !math.IsInf(first, 0) && !math.IsNaN(first) && first < 1e30 {
		t.Errorf("scaled λ=40 depth 24: first input-grad %v, want overflow", first)
	}
	table := SummaryTable(rep)
	var flags []string
	for _, r := range table.Rows {
		flags = append(flags, r[len(r)-1])
	}
	if joined := strings.Join(flags, "|"); !strings.Contains(joined, "non-finite") && !strings.Contains(joined, "exploding") {
		t.Errorf("no row flags the overflow: %q", joined)
	}
	dir := t.TempDir()
	files, notes, err := WriteGrads(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("files %v\nnotes %v", files, notes)
	for _, f := range []string{"grads.json", "summary.md", "grads-input-depth24.png", "grads-params-depth24.png", "grads-input-depth2-step2.png"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "grads.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back GradsReport
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("grads.json does not read back: %v", err)
	}
	if len(back.Runs) != 4 || back.Runs[3].Checkpoints[0].Blocks[0].InputGrad != big.Checkpoints[0].Blocks[0].InputGrad &&
		!math.IsNaN(first) {
		t.Errorf("grads.json differs from the report")
	}
}

func TestParseVariants(t *testing.T) {
	vs, err := ParseVariants(" plain ; scaled:lambda=0.5;rskip-ln:order=2,shared_norm=true ;")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[1].Label != "scaled:lambda=0.5" || vs[1].Resolved["lambda"] != 0.5 ||
		vs[2].Label != "rskip-ln:order=2,shared_norm=true" || vs[2].Resolved["order"] != int64(2) {
		t.Fatalf("parsed %+v", vs)
	}
	for _, c := range []struct{ spec, want string }{
		{"plian", `unknown residual variant "plian" (did you mean "plain"`},
		{"scaled:lamda=2", `unknown parameter "lamda"; allowed: lambda`},
		{"scaled:lambda=big", "parameter lambda: want a float"},
		{"rskip-ln:order=2.5", "parameter order: want an integer"},
		{"scaled:lambda", `parameter "lambda": want KEY=VALUE`},
		{"plain;plain", `"plain" is listed twice`},
		{" ; ", "no variants given"},
	} {
		if _, err := ParseVariants(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.spec, err, c.want)
		}
	}
}

func TestGradsConfigErrors(t *testing.T) {
	plain := []Variant{{Label: "plain", Name: "plain"}}
	for _, c := range []struct {
		cfg  GradsConfig
		want string
	}{
		{GradsConfig{Model: "lstm", Variants: plain, Depths: []int{2}}, `model "lstm": want one of transformer, resnet`},
		{GradsConfig{Model: ModelResNet, Variants: plain, Depths: []int{21}}, "depth = 21: basic blocks need depth = 6n+2"},
		{GradsConfig{Model: ModelResNet, Arch: "vgg", Variants: plain, Depths: []int{20}}, `arch = "vgg"`},
		{GradsConfig{Model: ModelTransformer, Arch: "preresnet", Variants: plain, Depths: []int{2}}, "only the resnet model takes an architecture"},
		{GradsConfig{Model: ModelTransformer, Variants: plain, Depths: []int{0}}, "depth 0: the transformer needs 1 to"},
		{GradsConfig{Model: ModelTransformer, Variants: plain, Depths: []int{2, 2}}, "depth 2 is listed twice"},
		{GradsConfig{Model: ModelTransformer, Variants: plain, Depths: []int{2}, Steps: []int{5, 3}}, "want ascending step counts"},
		{GradsConfig{Model: ModelTransformer, Variants: plain, Depths: []int{2}, Optimizer: "lbfgs"}, `optimizer "lbfgs"`},
		{GradsConfig{Model: ModelTransformer, Variants: plain, Depths: []int{2}, Data: "wmt14"}, `data "wmt14"`},
		{GradsConfig{Model: ModelTransformer, Variants: plain, Depths: []int{2}, Batches: -1}, "want >= 1 each"},
		{GradsConfig{Model: ModelResNet, Variants: plain, Depths: []int{20}, Data: "svhn"}, `data "svhn"`},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

// TestMulti30kTask reads real Multi30k pairs (a slice of them, with a
// small BPE, in a temporary cache) and measures one shallow model: the
// path RunGrads takes for the transformer. Skipped without the data.
func TestMulti30kTask(t *testing.T) {
	dir := sharedtest.Path(t, "data/multi30k")
	t.Setenv("ZOO_DATA", filepath.Dir(dir))
	d := multi30kData()
	d.Limit, d.BPEMerges, d.CacheDir = 500, 200, t.TempDir()
	c := GradsConfig{Model: ModelTransformer, Variants: mustVariants(t, "pre-ln"), Depths: []int{2},
		Batches: 1, MaxTokens: 256, Device: gotch.CPU}.withDefaults()
	task, err := loadTextTaskFrom(c, d)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runGrads(c, task)
	if err != nil {
		t.Fatal(err)
	}
	cp := rep.Runs[0].Checkpoints[0]
	if len(cp.Blocks) != 2 || !(cp.Loss > 1) || !(cp.Blocks[0].InputGrad > 0) || !strings.HasPrefix(rep.Data, "multi30k:train") {
		t.Errorf("report %+v, checkpoint %+v", rep, cp)
	}
}

// TestMeasureFreesEverything: measuring and training steps free every
// tensor they make (probe handles, gradients, sums), without help from
// the garbage collector, on both model families.
func TestMeasureFreesEverything(t *testing.T) {
	img, _ := tinyImageTask(t, vision.ArchResNet)
	txt, _ := tinyTextTask(t)
	for _, c := range []struct {
		name  string
		task  task
		depth int
	}{{"resnet", img, 8}, {"transformer", txt, 3}} {
		t.Run(c.name, func(t *testing.T) {
			m, params, done := build(t, c.task, "rskip-ln", c.depth)
			defer done()
			opt, err := train.NewAdam(params, train.DefaultAdam())
			if err != nil {
				t.Fatal(err)
			}
			defer freeState(opt)
			work := func(s int) {
				if _, err := measure(m, c.task, params); err != nil {
					t.Fatal(err)
				}
				if _, stop, err := trainStep(m, opt, params, s, 1e-3); err != nil || stop != "" {
					t.Fatal(err, stop)
				}
			}
			work(0) // first gradients
			settleGC()
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			before := len(ts.ExistingTensors)
			for s := 1; s <= 5; s++ {
				work(s)
			}
			if after := len(ts.ExistingTensors); after != before {
				t.Errorf("%d live tensors before 5 rounds, %d after", before, after)
			}
		})
	}
}

// settleGC lets the GC and the finalizers free what the GC can reach, so
// that afterwards (with the GC off) only explicit frees change the count.
func settleGC() {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}
