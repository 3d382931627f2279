package vision_test

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision"
)

// hostValues copies t's values to the host as float64; t stays alive.
// (gotch's Float64Values leaves its converted copy to the GC.)
// evalLogits is m's evaluation-mode output for x, without autograd, as
// host values.
func evalLogits(t *testing.T, m *vision.Model, x *ts.Tensor) []float64 {
	t.Helper()
	var out *ts.Tensor
	var err error
	torch.NoGrad(func() { out, err = m.Forward(x, false) })
	if err != nil {
		t.Fatal(err)
	}
	defer torch.Free(out)
	return hostValues(out)
}

func hostValues(t *ts.Tensor) []float64 {
	d := torch.Must(t.Totype(gotch.Double, false))
	defer torch.Free(d)
	out := make([]float64, d.Numel())
	torch.Check(d.CopyData(out, uint(len(out))))
	return out
}

// floatTensor makes a float32 tensor of the given shape from vals.
func floatTensor(t testing.TB, vals []float32, shape []int64) *ts.Tensor {
	t.Helper()
	x, err := ts.OfSlice(vals)
	if err != nil {
		t.Fatal(err)
	}
	return torch.Must(x.Reshape(shape, true))
}

// variableNames returns every variable of vs, sorted.
func variableNames(vs *nn.VarStore) []string {
	return sortedNames(vs.Variables())
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tinyVisionConfig is a depth-8 (one block per stage), width-4 net for
// 3-channel images and 5 classes.
func tinyVisionConfig(arch, block, shortcut, variant string, params map[string]any) vision.Config {
	depth := 8
	if block == vision.BlockBottleneck {
		depth = 11
	}
	return vision.Config{Arch: arch, Depth: depth, Block: block, Width: 4, Shortcut: shortcut,
		InChannels: 3, Classes: 5, Residual: variant, ResidualParams: params}
}

func newVisionModel(t testing.TB, cfg vision.Config, seed int64) (*vision.Model, *nn.VarStore) {
	t.Helper()
	torch.ManualSeed(seed)
	vs := nn.NewVarStore(gotch.CPU)
	m, err := vision.New(vs.Root(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, vs
}

// randImages returns a batch of standard-normal images.
func randImages(t testing.TB, shape []int64) *ts.Tensor {
	t.Helper()
	x, err := ts.Randn(shape, gotch.Float, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestVariableNamesResNet8B pins the full state-dict names of a one
// block per stage resnet with projection shortcuts and rskip-ln of order
// 2 (the golden test compares every other case with PyTorch's names).
func TestVariableNamesResNet8B(t *testing.T) {
	_, vs := newVisionModel(t, tinyVisionConfig(vision.ArchResNet, vision.BlockBasic, vision.ShortcutB, "rskip-ln", map[string]any{"order": 2}), 1)
	bn := func(p string) []string {
		return []string{p + ".bias", p + ".running_mean", p + ".running_var", p + ".weight"}
	}
	norm := func(p string) []string { return []string{p + ".bias", p + ".weight"} }
	var want []string
	want = append(want, bn("bn1")...)
	want = append(want, "conv1.weight", "fc.bias", "fc.weight")
	for s := 1; s <= 3; s++ {
		l := fmt.Sprintf("layer%d.0", s)
		want = append(want, bn(l+".bn1")...)
		want = append(want, bn(l+".bn2")...)
		want = append(want, l+".conv1.weight", l+".conv2.weight")
		want = append(want, norm(l+".residual.norms.0")...)
		want = append(want, norm(l+".residual.norms.1")...)
		if s > 1 {
			want = append(want, l+".shortcut.0.weight")
			want = append(want, bn(l+".shortcut.1")...)
		}
	}
	sort.Strings(want)
	if got := variableNames(vs); !slices.Equal(got, want) {
		t.Fatalf("variables\n got %v\nwant %v", got, want)
	}
	for _, name := range []string{"bn1.running_mean", "layer2.0.shortcut.1.running_var"} {
		if v := vs.Root().MustGet(name); v.MustRequiresGrad() {
			t.Errorf("%s is trainable: running statistics must not be", name)
		}
	}
}

// stageChannels returns the (input, output) channels of every block of
// a preset, written out from the papers' tables rather than from the
// model code.
func stageChannels(c vision.Config) (in, out []int64) {
	per, exp := 6, int64(1)
	if c.Block == vision.BlockBottleneck {
		per, exp = 9, 4
	}
	n := (c.Depth - 2) / per
	prev := c.Width
	for _, w := range []int64{c.Width, 2 * c.Width, 4 * c.Width} {
		for range n {
			in, out = append(in, prev), append(out, w*exp)
			prev = w * exp
		}
	}
	return in, out
}

// TestParamCounts: the papers' counts for CIFAR-10, and a norm-using
// variant adds exactly its norms' weights and biases (running statistics
// are not parameters).
func TestParamCounts(t *testing.T) {
	count := func(preset, shortcut, variant string, params map[string]any) int64 {
		c, err := vision.Preset(preset, 3, 10)
		if err != nil {
			t.Fatal(err)
		}
		c.Shortcut, c.Residual, c.ResidualParams = shortcut, variant, params
		_, vs := newVisionModel(t, c, 1)
		return vision.NumParams(vs)
	}
	fixed := []struct {
		preset, shortcut string
		want             int64
	}{
		// He et al. 2016 report 0.27M and 1.7M; option A has no
		// shortcut parameters, option B adds a 1x1 conv and a BN
		// where the width doubles (16·32 + 64 + 32·64 + 128 = 2,752).
		{"resnet20", "A", 269_722},
		{"resnet20", "B", 272_474},
		{"resnet110", "A", 1_727_962},
		{"resnet110", "B", 1_730_714},
		{"preresnet110", "B", 1_730_714},
		// 1.70M in He et al. 2016b; the shortcut BNs add 2·(64+128+256).
		{"preresnet164", "B", 1_704_154},
	}
	for _, f := range fixed {
		if got := count(f.preset, f.shortcut, "plain", nil); got != f.want {
			t.Errorf("%s option %s: %d parameters, want %d", f.preset, f.shortcut, got, f.want)
		}
	}
	for _, preset := range []string{"resnet20", "preresnet164"} {
		c, _ := vision.Preset(preset, 3, 10)
		in, out := stageChannels(c)
		sum := func(ch []int64) (s int64) {
			for _, v := range ch {
				s += v
			}
			return s
		}
		last := out[len(out)-1]
		preLN := 2 * sum(in)
		if c.Arch == vision.ArchResNet {
			preLN += 2 * last // the final BN that pre-ln asks for
		}
		extra := []struct {
			variant string
			params  map[string]any
			want    int64
		}{
			{"scaled", map[string]any{"lambda": 2}, 0},
			{"post-ln", nil, 2 * sum(out)},
			{"post-ln", map[string]any{"norm": "batch"}, 2 * sum(out)},
			{"scaled-ln", map[string]any{"lambda": 0.5}, 2 * sum(out)},
			{"pre-ln", nil, preLN},
			{"rskip-ln", map[string]any{"order": 3}, 3 * 2 * sum(out)},
			{"rskip-ln", map[string]any{"order": 3, "shared_norm": true}, 2 * sum(out)},
		}
		base := count(preset, c.Shortcut, "plain", nil)
		for _, e := range extra {
			if got := count(preset, c.Shortcut, e.variant, e.params) - base; got != e.want {
				t.Errorf("%s with %s %v: %d more parameters than plain, want %d", preset, e.variant, e.params, got, e.want)
			}
		}
	}
}

// TestPresetShapes runs every preset on CIFAR-sized and Fashion-MNIST
// sized images (28x28, one channel: odd sizes after two subsamplings)
// with both shortcuts.
func TestPresetShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every preset")
	}
	for _, name := range vision.PresetNames() {
		for _, in := range []struct{ c, hw int64 }{{3, 32}, {1, 28}} {
			for _, sc := range []string{vision.ShortcutA, vision.ShortcutB} {
				t.Run(fmt.Sprintf("%s/%dx%dx%d/%s", name, in.c, in.hw, in.hw, sc), func(t *testing.T) {
					c, err := vision.Preset(name, in.c, 10)
					if err != nil {
						t.Fatal(err)
					}
					c.Shortcut = sc
					m, _ := newVisionModel(t, c, 1)
					x := randImages(t, []int64{2, in.c, in.hw, in.hw})
					var logits *ts.Tensor
					torch.NoGrad(func() { logits, err = m.Forward(x, false) })
					if err != nil {
						t.Fatal(err)
					}
					if got := torch.Shape(logits); !slices.Equal(got, []int64{2, 10}) {
						t.Fatalf("logits %v, want [2 10]", got)
					}
					torch.Free(x, logits)
				})
			}
		}
	}
}

// TestTinyShapes covers every variant on every small net and odd sizes.
func TestTinyShapes(t *testing.T) {
	variants := []struct {
		name   string
		params map[string]any
	}{
		{"plain", nil}, {"scaled", map[string]any{"lambda": 0.5}}, {"scaled-ln", nil},
		{"post-ln", map[string]any{"norm": "layer-channel"}}, {"pre-ln", map[string]any{"norm": "batch"}},
		{"rskip-ln", map[string]any{"order": 3}},
	}
	nets := []struct{ arch, block string }{
		{vision.ArchResNet, vision.BlockBasic}, {vision.ArchPreResNet, vision.BlockBasic},
		{vision.ArchPreResNet, vision.BlockBottleneck},
	}
	for _, n := range nets {
		for _, sc := range []string{vision.ShortcutA, vision.ShortcutB} {
			for _, v := range variants {
				t.Run(fmt.Sprintf("%s-%s-%s/%s", n.arch, n.block, sc, v.name), func(t *testing.T) {
					c := tinyVisionConfig(n.arch, n.block, sc, v.name, v.params)
					c.InChannels = 1
					m, vs := newVisionModel(t, c, 2)
					x := torch.Must(randImages(t, []int64{3, 1, 7, 9}).SetRequiresGrad(true, true))
					logits, err := m.Forward(x, true)
					if err != nil {
						t.Fatal(err)
					}
					if got := torch.Shape(logits); !slices.Equal(got, []int64{3, 5}) {
						t.Fatalf("logits %v, want [3 5]", got)
					}
					loss := torch.Must(torch.Must(logits.Square(false)).Sum(gotch.Float, true))
					torch.Check(loss.Backward())
					for name, v := range vs.Variables() {
						if !v.MustRequiresGrad() {
							continue
						}
						g := torch.Must(vs.Root().MustGet(name).Grad(false))
						if !g.MustDefined() {
							t.Errorf("%s has no gradient", name)
						}
						torch.Free(g)
					}
					torch.Free(x, logits, loss)
				})
			}
		}
	}
}

// TestEvalDeterministicAndRunningStats: evaluation gives the same logits
// twice and leaves the running statistics alone; training moves them.
func TestEvalDeterministicAndRunningStats(t *testing.T) {
	for _, arch := range []string{vision.ArchResNet, vision.ArchPreResNet} {
		t.Run(arch, func(t *testing.T) {
			m, vs := newVisionModel(t, tinyVisionConfig(arch, vision.BlockBasic, vision.ShortcutB, "post-ln", map[string]any{"norm": "batch"}), 3)
			x := randImages(t, []int64{4, 3, 8, 8})
			stats := func() []float64 {
				var all []float64
				for _, name := range variableNames(vs) {
					if strings.Contains(name, "running_") {
						all = append(all, hostValues(vs.Root().MustGet(name))...)
					}
				}
				return all
			}
			eval := func() []float64 { return evalLogits(t, m, x) }
			before := stats()
			a, b := eval(), eval()
			if !slices.Equal(a, b) {
				t.Errorf("eval logits differ between two runs: %v vs %v", a, b)
			}
			if !slices.Equal(before, stats()) {
				t.Error("eval changed the running statistics")
			}
			var out *ts.Tensor
			var err error
			torch.NoGrad(func() { out, err = m.Forward(x, true) })
			if err != nil {
				t.Fatal(err)
			}
			torch.Free(out)
			if slices.Equal(before, stats()) {
				t.Error("a train forward left the running statistics unchanged")
			}
			torch.Free(x)
		})
	}
}

// TestForwardErrors: a wrong input is an error, not a crash, and the
// input stays usable.
func TestForwardErrors(t *testing.T) {
	m, _ := newVisionModel(t, tinyVisionConfig(vision.ArchResNet, vision.BlockBasic, vision.ShortcutA, "plain", nil), 1)
	for _, shape := range [][]int64{{2, 1, 8, 8}, {3, 8, 8}} {
		x := randImages(t, shape)
		logits, err := m.Forward(x, true)
		if err == nil || logits != nil {
			t.Fatalf("input %v: no error", shape)
		}
		if !strings.Contains(err.Error(), "want [batch, 3, height, width]") {
			t.Errorf("input %v: error %q does not say what is expected", shape, err)
		}
		if got := torch.Shape(x); !slices.Equal(got, shape) {
			t.Errorf("input changed to %v", got)
		}
		torch.Free(x)
	}
	// libtorch's own failure (a double input for float weights) comes
	// back as an error too.
	x := torch.Must(randImages(t, []int64{2, 3, 8, 8}).Totype(gotch.Double, true))
	if _, err := m.Forward(x, true); err == nil {
		t.Error("double input: no error")
	} else {
		t.Logf("double input: %v", err)
	}
	torch.Free(x)
}

// TestForwardLeavesInput: x is not freed or changed by Forward.
func TestForwardLeavesInput(t *testing.T) {
	m, _ := newVisionModel(t, tinyVisionConfig(vision.ArchPreResNet, vision.BlockBasic, vision.ShortcutB, "pre-ln", nil), 1)
	x := randImages(t, []int64{2, 3, 8, 8})
	before := hostValues(x)
	out, err := m.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	torch.Free(out)
	if !slices.Equal(before, hostValues(x)) {
		t.Error("Forward changed its input")
	}
	torch.Free(x)
}

// liveTensors counts gotch's tensors not yet freed. gotch guards the map
// with a lock it does not export, so it is read only while no finalizer
// can run: after settleGC, with the GC off.
func liveTensors() int { return len(ts.ExistingTensors) }

// settleGC lets the GC and the finalizers free what the GC can reach, so
// that afterwards (with the GC off) only explicit frees change the count.
func settleGC() {
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

// trainStepCE runs forward, mean cross entropy, backward and an update.
func trainStepCE(t testing.TB, m *vision.Model, opt *train.SGD, x, y *ts.Tensor) {
	logits, err := m.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	loss := torch.Must(logits.CrossEntropyLoss(y, ts.None, ts.ReductionMean, -100, 0, false))
	torch.Check(loss.Backward())
	torch.Free(logits, loss)
	opt.Step(0.01)
	opt.ZeroGrad()
}

// labels returns n int64 labels in [0, classes).
func labels(t testing.TB, n int, classes int64) *ts.Tensor {
	t.Helper()
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = int64(i*7+3) % classes
	}
	y, err := ts.OfSlice(vals)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// TestNoTensorGrowth: 20 training steps (forward, loss, backward, SGD)
// and evaluations free every tensor they make, without help from the
// garbage collector.
func TestNoTensorGrowth(t *testing.T) {
	cases := []vision.Config{
		tinyVisionConfig(vision.ArchResNet, vision.BlockBasic, vision.ShortcutA, "rskip-ln", map[string]any{"order": 2}),
		tinyVisionConfig(vision.ArchResNet, vision.BlockBasic, vision.ShortcutB, "pre-ln", nil),
		tinyVisionConfig(vision.ArchPreResNet, vision.BlockBottleneck, vision.ShortcutB, "scaled-ln", map[string]any{"norm": "batch"}),
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s-%s-%s/%s", c.Arch, c.Block, c.Shortcut, c.Residual), func(t *testing.T) {
			m, vs := newVisionModel(t, c, 4)
			params, err := train.Params(vs)
			if err != nil {
				t.Fatal(err)
			}
			opt, err := train.NewSGD(params, train.SGDConfig{Momentum: 0.9, WeightDecay: 1e-4})
			if err != nil {
				t.Fatal(err)
			}
			x, y := randImages(t, []int64{4, 3, 8, 8}), labels(t, 4, c.Classes)
			work := func() {
				trainStepCE(t, m, opt, x, y)
				var out *ts.Tensor
				torch.NoGrad(func() { out, err = m.Forward(x, false) })
				if err != nil {
					t.Fatal(err)
				}
				torch.Free(out)
			}
			work() // first gradients
			settleGC()
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			before := liveTensors()
			for range 20 {
				work()
			}
			if after := liveTensors(); after != before {
				t.Errorf("%d live tensors before 20 steps, %d after", before, after)
			}
		})
	}
}

// TestInit: convolutions are Kaiming normal with fan_out (std √(2/(out·k·k))),
// BN weights 1 (0 for the last BN of F under zero_init_last_bn), fc
// within ±1/√fan_in.
func TestInit(t *testing.T) {
	c, _ := vision.Preset("resnet56", 3, 10)
	c.ZeroInitLastBN = true
	_, vs := newVisionModel(t, c, 5)
	w := hostValues(vs.Root().MustGet("layer3.3.conv2.weight")) // [64, 64, 3, 3]
	mean, sq := 0.0, 0.0
	for _, v := range w {
		mean += v
		sq += v * v
	}
	mean /= float64(len(w))
	std := math.Sqrt(sq/float64(len(w)) - mean*mean)
	if want := math.Sqrt(2.0 / (64 * 9)); math.Abs(std-want) > 0.03*want || math.Abs(mean) > 0.03*want {
		t.Errorf("conv std %.4g mean %.3g, want std %.4g, mean 0", std, mean, want)
	}
	bound := 1 / math.Sqrt(64)
	for _, name := range []string{"fc.weight", "fc.bias"} {
		for _, v := range hostValues(vs.Root().MustGet(name)) {
			if math.Abs(v) > bound {
				t.Fatalf("%s value %g outside ±%g", name, v, bound)
			}
		}
	}
	for _, name := range variableNames(vs) {
		if !strings.HasSuffix(name, ".weight") || !strings.Contains(name, ".bn") && !strings.HasPrefix(name, "bn") {
			continue
		}
		want := 1.0
		if strings.HasSuffix(name, ".bn2.weight") && strings.HasPrefix(name, "layer") {
			want = 0
		}
		for _, v := range hostValues(vs.Root().MustGet(name)) {
			if v != want {
				t.Fatalf("%s = %g, want %g", name, v, want)
			}
		}
	}
}

// TestZeroInitLastBNMakesFZero: with every F zero at the start, a plain
// preresnet is its stem, the shortcuts and the head: changing any conv
// inside F leaves the logits unchanged.
func TestZeroInitLastBNMakesFZero(t *testing.T) {
	c := tinyVisionConfig(vision.ArchPreResNet, vision.BlockBottleneck, vision.ShortcutA, "plain", nil)
	c.ZeroInitLastBN = true
	m, vs := newVisionModel(t, c, 6)
	x := randImages(t, []int64{2, 3, 8, 8})
	logits := func() []float64 { return evalLogits(t, m, x) }
	before := logits()
	w := vs.Root().MustGet("layer2.0.conv2.weight")
	noise := randImages(t, torch.Shape(w))
	torch.CopyInto(w, noise)
	if after := logits(); !slices.Equal(before, after) {
		t.Errorf("logits moved with F's weights although its last BN is zero: %v -> %v", before, after)
	}
	torch.Free(x, noise)
}

// TestConfigIsCopied: the model keeps its own copy of the configuration.
func TestConfigIsCopied(t *testing.T) {
	c := tinyVisionConfig(vision.ArchResNet, vision.BlockBasic, vision.ShortcutA, "rskip-ln", map[string]any{"order": 2})
	m, _ := newVisionModel(t, c, 1)
	c.ResidualParams["order"] = 5
	got := m.Config()
	if got.ResidualParams["order"] != 2 {
		t.Errorf("model config changed with the caller's map: %v", got.ResidualParams)
	}
	got.ResidualParams["order"] = 7
	if m.Config().ResidualParams["order"] != 2 {
		t.Error("Config() returned the model's own map")
	}
	if m.Device() != gotch.CPU {
		t.Errorf("device %v", m.Device())
	}
}

// TestProbe: a probe sees every block's input once, in forward order and
// with the block's input shape, changes nothing about the output, and
// BlockPrefixes names the blocks whose variables it covers.
func TestProbe(t *testing.T) {
	c := tinyVisionConfig(vision.ArchPreResNet, vision.BlockBasic, vision.ShortcutB, "rskip-ln", nil)
	m, vs := newVisionModel(t, c, 2)
	x := randImages(t, []int64{2, 3, 8, 8})
	defer torch.Free(x)
	forward := func() []float64 {
		out, err := m.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		defer torch.Free(out)
		return hostValues(out)
	}
	var plain []float64
	torch.NoGrad(func() { plain = forward() })
	var seen []string
	m.SetProbe(func(block int, in *ts.Tensor) { seen = append(seen, fmt.Sprint(block, torch.Shape(in))) })
	var probed []float64
	torch.NoGrad(func() { probed = forward() })
	m.SetProbe(nil)
	want := []string{"0 [2 4 8 8]", "1 [2 4 8 8]", "2 [2 8 4 4]"}
	if !slices.Equal(seen, want) {
		t.Errorf("probe saw %v, want %v", seen, want)
	}
	if !slices.Equal(plain, probed) {
		t.Error("the probe changed the output")
	}
	prefixes := m.BlockPrefixes()
	if !slices.Equal(prefixes, []string{"layer1.0.", "layer2.0.", "layer3.0."}) {
		t.Errorf("BlockPrefixes %v", prefixes)
	}
	for _, name := range variableNames(vs) {
		inBlock := strings.HasPrefix(name, "layer")
		covered := slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
		if inBlock != covered {
			t.Errorf("variable %s: in a block %v, covered by a prefix %v", name, inBlock, covered)
		}
	}
}
