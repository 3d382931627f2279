package vision

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/train"
)

// pixel is a deterministic image byte that depends on the label, so the
// generated sets hold something to learn.
func pixel(i, label, c, y, x int) byte { return byte((i*7 + label*40 + c*13 + y*x*3) % 256) }

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cifarRecords is n records of CIFAR's binary format with labelBytes
// label bytes (the last is the class) and 3x32x32 pixels.
func cifarRecords(n, labelBytes, classes, seed int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		label := (i + seed) % classes
		for k := 0; k < labelBytes; k++ {
			b.WriteByte(byte(label))
		}
		for c := 0; c < 3; c++ {
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					b.WriteByte(pixel(i+seed, label, c, y, x))
				}
			}
		}
	}
	return b.Bytes()
}

func writeCIFAR10(t *testing.T, dir string) {
	for k := 1; k <= 5; k++ {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", k)), cifarRecords(8, 1, 10, 8*k))
	}
	writeFile(t, filepath.Join(dir, "test_batch.bin"), cifarRecords(12, 1, 10, 1000))
}

func writeCIFAR100(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "train.bin"), cifarRecords(40, 2, 20, 0))
	writeFile(t, filepath.Join(dir, "test.bin"), cifarRecords(12, 2, 20, 1000))
}

func idxFiles(n, seed int) (imgs, labels []byte) {
	var ib, lb bytes.Buffer
	binary.Write(&ib, binary.BigEndian, []uint32{0x803, uint32(n), 12, 12})
	binary.Write(&lb, binary.BigEndian, []uint32{0x801, uint32(n)})
	for i := 0; i < n; i++ {
		label := (i + seed) % 10
		lb.WriteByte(byte(label))
		for y := 0; y < 12; y++ {
			for x := 0; x < 12; x++ {
				ib.WriteByte(pixel(i+seed, label, 0, y, x))
			}
		}
	}
	return ib.Bytes(), lb.Bytes()
}

func gzipped(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func writeIDX(t *testing.T, dir string) {
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", 40}, {"t10k", 12}} {
		imgs, labels := idxFiles(s.n, len(s.prefix))
		writeFile(t, filepath.Join(dir, s.prefix+"-images-idx3-ubyte.gz"), gzipped(imgs))
		writeFile(t, filepath.Join(dir, s.prefix+"-labels-idx1-ubyte"), labels)
	}
}

func writeFolder(t *testing.T, dir string) {
	for _, split := range []struct {
		name string
		n    int
	}{{"train", 36}, {"test", 12}} {
		for i := 0; i < split.n; i++ {
			label := i % 3
			img := image.NewRGBA(image.Rect(0, 0, 10, 10))
			for y := 0; y < 10; y++ {
				for x := 0; x < 10; x++ {
					img.Set(x, y, color.RGBA{pixel(i, label, 0, y, x), pixel(i, label, 1, y, x), pixel(i, label, 2, y, x), 255})
				}
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, split.name, fmt.Sprintf("class%d", label), fmt.Sprintf("%04d.png", i)), b.Bytes())
		}
	}
}

// tinyRecipe is a resnet of depth 8 and width 4 on the files in dir.
func tinyRecipe(t *testing.T, format, dir, residual string, params map[string]any) Recipe {
	t.Helper()
	r, err := DefaultRecipe("resnet20")
	if err != nil {
		t.Fatal(err)
	}
	r.Name, r.RunDir, r.Device = "tiny-"+format, filepath.Join(t.TempDir(), "run"), "cpu"
	r.Residual, r.ResidualParams = residual, params
	r.Data.Format, r.Data.Dir, r.Data.Workers = format, dir, 2
	r.Model.Depth, r.Model.Width = 8, 4
	r.Train.BatchSize, r.Train.EvalBatchSize, r.Train.MaxUpdates = 8, 5, 3
	r.Train.Schedule = train.ScheduleConfig{Name: "cosine", Unit: train.UnitEpoch, LR: 0.05, Total: 2}
	return r
}

// TestRunEachFormat trains a tiny ResNet for a few updates on files of
// every format zoo reads, then extends the finished run (resuming from
// its checkpoint) and checks what the run folder holds.
func TestRunEachFormat(t *testing.T) {
	cases := []struct {
		format   string
		write    func(*testing.T, string)
		residual string
		params   map[string]any
		classes  int
	}{
		{"cifar10-bin", writeCIFAR10, "rskip-ln", map[string]any{"order": 2}, 10},
		{"cifar100-bin", writeCIFAR100, "scaled", map[string]any{"lambda": 0.5}, 100},
		{"idx", writeIDX, "pre-ln", nil, 10},
		{"folder", writeFolder, "post-ln", nil, 3},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			dir := t.TempDir()
			c.write(t, dir)
			r := tinyRecipe(t, c.format, dir, c.residual, c.params)
			res, err := Run(context.Background(), r, RunOptions{RecipeText: []byte("# test\n")})
			if err != nil {
				t.Fatal(err)
			}
			if res.Updates != 3 || res.Epochs != 1 || len(res.Curve) != 1 || res.TestTop5 < res.TestTop1 {
				t.Fatalf("first run: %+v", res)
			}
			r.Train.MaxUpdates = 7
			res, err = Run(context.Background(), r, RunOptions{RecipeText: []byte("# test\n")})
			if err != nil {
				t.Fatal(err)
			}
			// 5 batches an epoch: the first run stopped inside epoch 1 (an
			// evaluation at update 3), the extension finished it (5) and
			// stopped inside epoch 2 (7).
			if res.Updates != 7 || len(res.Curve) != 3 || res.Curve[1].Epoch != 1 || res.Curve[2].Epoch != 2 {
				t.Fatalf("extended run: %d updates, curve %+v", res.Updates, res.Curve)
			}
			run := train.RunDir{Path: r.RunDir}
			for _, f := range []string{train.LastCheckpoint, train.BestCheckpoint, train.MetricsFile, train.DoneFile, train.EnvFile, train.RecipeFile} {
				if !run.Exists(f) {
					t.Errorf("run folder lacks %s", f)
				}
			}
			resumes, _ := train.ReadMetrics(run.File(train.MetricsFile), "resume")
			if len(resumes) != 1 {
				t.Errorf("%d resume records, want 1", len(resumes))
			}
		})
	}
}

// TestInterruptedRunResumesExactly: a run cancelled mid-epoch and run
// again ends with exactly the weights and scores of one that was never
// interrupted (batch order, augmentation and momentum all restored).
func TestInterruptedRunResumesExactly(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	base := tinyRecipe(t, "cifar10-bin", dir, "rskip-ln", nil)
	base.Train.MaxUpdates = 8

	whole, err := Run(context.Background(), base, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}

	r := base
	r.RunDir = filepath.Join(t.TempDir(), "interrupted")
	ctx, cancel := context.WithCancel(context.Background())
	stopAt = func(updates int64) {
		if updates == 3 {
			cancel()
		}
	}
	_, err = Run(ctx, r, RunOptions{})
	stopAt = nil
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted at update 3") {
		t.Fatalf("cancelled run: error %v", err)
	}
	resumed, err := Run(context.Background(), r, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.TestLoss != whole.TestLoss || resumed.TestTop1 != whole.TestTop1 || resumed.Updates != whole.Updates {
		t.Errorf("resumed run: test loss %.9g top-1 %.2f after %d updates; uninterrupted: %.9g, %.2f, %d",
			resumed.TestLoss, resumed.TestTop1, resumed.Updates, whole.TestLoss, whole.TestTop1, whole.Updates)
	}
	a, b := lastCurve(t, whole), lastCurve(t, resumed)
	if a.TrainLoss == 0 || b.Epoch != a.Epoch {
		t.Errorf("curves differ: %+v vs %+v", a, b)
	}
}

func lastCurve(t *testing.T, r Result) EpochStats {
	t.Helper()
	if len(r.Curve) == 0 {
		t.Fatal("no epochs recorded")
	}
	return r.Curve[len(r.Curve)-1]
}

func TestRecipeValidation(t *testing.T) {
	cases := []struct {
		edit func(*Recipe)
		want string
	}{
		{func(r *Recipe) { r.Residual = "rskip" }, `did you mean "rskip-ln"`},
		{func(r *Recipe) { r.Data.Dataset, r.Data.Format = "", "" }, "set dataset"},
		{func(r *Recipe) { r.Data.Dataset, r.Data.Format, r.Data.Dir = "", "idx", "" }, `format = "idx" needs dir`},
		{func(r *Recipe) { r.Data.PadCrop = -1 }, "pad_crop = -1"},
		{func(r *Recipe) { r.Train.MaxEpochs, r.Train.MaxUpdates = 0, 0 }, "the run would never stop"},
		{func(r *Recipe) { r.Train.BatchSize = 0 }, "batch_size = 0"},
		{func(r *Recipe) { r.Train.Optimizer = "lion" }, `optimizer = "lion": want one of sgd, adam`},
		{func(r *Recipe) { r.Train.LabelSmoothing = 1 }, "label_smoothing = 1"},
		{func(r *Recipe) { r.Train.Schedule.Unit = "hours" }, `unit = "hours"`},
		{func(r *Recipe) { r.Train.SGD.Momentum = 1 }, "momentum = 1"},
		{func(r *Recipe) { r.Model.Depth = 21 }, "depth"},
		{func(r *Recipe) { r.Data.PadCrop = 100 }, "[data] pad_crop = 100: want less than the image side, 28 pixels"},
		{func(r *Recipe) { r.Data.PadCrop = 28 }, "pad_crop = 28"},
		{func(r *Recipe) { r.Data.Dataset, r.Data.PadCrop = "cifar10", 32 }, "32 pixels"},
		{func(r *Recipe) { r.Train.LabelSmoothing = math.NaN() }, "label_smoothing = NaN"},
		{func(r *Recipe) { r.Train.ClipNorm = math.NaN() }, "clip_norm = NaN"},
		{func(r *Recipe) { r.Train.ClipNorm = math.Inf(1) }, "clip_norm = +Inf"},
		{func(r *Recipe) { r.Train.MaxMinutes = math.NaN() }, "max_minutes = NaN"},
		{func(r *Recipe) { r.Train.SGD.Momentum = math.NaN() }, "sgd momentum = NaN"},
		{func(r *Recipe) { r.Train.SGD.WeightDecay = math.Inf(1) }, "sgd weight_decay = +Inf"},
		{func(r *Recipe) { r.Train.Adam.Eps = math.NaN() }, "adam eps = NaN"},
		{func(r *Recipe) { r.Train.Adam.WeightDecay = math.NaN() }, "adam weight_decay = NaN"},
	}
	for _, c := range cases {
		r, err := DefaultRecipe("")
		if err != nil {
			t.Fatal(err)
		}
		r.Data.Dataset, r.Train.MaxEpochs = "fmnist", 1
		c.edit(&r)
		err = r.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to contain %q", err, c.want)
		}
	}
	good, _ := DefaultRecipe("")
	good.Data.Dataset, good.Train.MaxEpochs, good.Data.PadCrop = "fmnist", 1, 27
	if err := good.Validate(); err != nil {
		t.Errorf("pad_crop = 27 on 28×28 images: %v", err)
	}
	// Without a catalogue data set the side is known once the images are.
	folder := DataConfig{Format: "folder", Dir: "x", PadCrop: 8}
	if err := folder.Validate(); err != nil {
		t.Errorf("folder data: %v", err)
	}
	if err := folder.CheckPadCrop(8, 10); err == nil || !strings.Contains(err.Error(), "pad_crop = 8: want less than the image side, 8 pixels") {
		t.Errorf("pad_crop = 8 on 8×10 images: %v", err)
	}
	if _, err := DefaultRecipe("resnet21"); err == nil || !strings.Contains(err.Error(), "resnet20") {
		t.Errorf("unknown preset: error %v, want the known presets listed", err)
	}
}

// TestGradStatsEvery: grad_stats_every = 2 writes a "grads" record at
// updates 2 and 4 with one finite, positive norm per block (named as the
// blocks' variables) and the total; the setting is not part of the run's
// identity, so the run goes on without it.
func TestGradStatsEvery(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	r := tinyRecipe(t, "cifar10-bin", dir, "scaled", map[string]any{"lambda": 2})
	r.Train.MaxUpdates, r.Train.GradStatsEvery = 5, 2
	if _, err := Run(context.Background(), r, RunOptions{RecipeText: []byte("# test\n")}); err != nil {
		t.Fatal(err)
	}
	run := train.RunDir{Path: r.RunDir}
	recs, err := train.ReadMetrics(run.File(train.MetricsFile), "grads")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d grads records, want 2 (updates 2 and 4): %v", len(recs), recs)
	}
	for i, rec := range recs {
		var g struct {
			Updates int64             `json:"updates"`
			Blocks  []train.JSONFloat `json:"blocks"`
			Names   []string          `json:"block_names"`
			Total   train.JSONFloat   `json:"total"`
		}
		if err := train.Remarshal(rec, &g); err != nil {
			t.Fatal(err)
		}
		if g.Updates != int64(2*(i+1)) || len(g.Blocks) != 3 || !slices.Equal(g.Names, []string{"layer1.0", "layer2.0", "layer3.0"}) {
			t.Errorf("record %d: %+v", i, g)
		}
		sumSq := 0.0
		for _, b := range g.Blocks {
			if !(b > 0) || math.IsInf(float64(b), 0) {
				t.Errorf("record %d: block norm %v", i, b)
			}
			sumSq += float64(b) * float64(b)
		}
		if !(float64(g.Total) >= math.Sqrt(sumSq)) {
			t.Errorf("record %d: total %v below the blocks' %v", i, g.Total, math.Sqrt(sumSq))
		}
	}
	r.Train.MaxUpdates, r.Train.GradStatsEvery = 6, 0
	res, err := Run(context.Background(), r, RunOptions{RecipeText: []byte("# test\n")})
	if err != nil || res.Updates != 6 {
		t.Fatalf("extending without grad_stats_every: %v, %d updates", err, res.Updates)
	}
}

// TestDivergedRunIsRecorded: a run whose loss stops being finite is a
// result (done.json says why), not a failure that would stop a sweep, and
// running it again does not train it again.
func TestDivergedRunIsRecorded(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR10(t, dir)
	r := tinyRecipe(t, "cifar10-bin", dir, "scaled", map[string]any{"lambda": 4.0})
	r.Train.Schedule = train.ScheduleConfig{Name: "fixed", LR: 1e12}
	r.Train.MaxUpdates = 10
	res, err := Run(context.Background(), r, RunOptions{})
	if err != nil {
		t.Fatalf("a diverged run returned an error: %v", err)
	}
	if !strings.Contains(res.Diverged, "training diverged") || res.Updates >= 10 {
		t.Fatalf("result %+v: want it marked diverged before update 10", res)
	}
	var log bytes.Buffer
	again, err := Run(context.Background(), r, RunOptions{Out: &log})
	if err != nil || again.Diverged != res.Diverged || !strings.Contains(log.String(), "finished earlier") {
		t.Errorf("second run: %v, %+v\n%s", err, again, log.String())
	}
}
