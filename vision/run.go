package vision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
	"github.com/zoo-nn/zoo/vision/images"
)

// Result is what a finished classification run reports (done.json, the
// comparison table). Test* are the last epoch's figures; Best* the best
// epoch's, which picks on the test set and is shown for reference only.
type Result struct {
	Name         string         `json:"name"`
	Dataset      string         `json:"dataset"`
	Model        string         `json:"model"` // e.g. "resnet depth 20"
	Residual     string         `json:"residual"`
	Params       map[string]any `json:"residual_params,omitempty"`
	NumParams    int64          `json:"num_params"`
	Epochs       int            `json:"epochs"`
	Updates      int64          `json:"updates"`
	TestLoss     float64        `json:"test_loss"`
	TestTop1     float64        `json:"test_top1"`
	TestTop5     float64        `json:"test_top5"`
	TestError    float64        `json:"test_error"` // 100 - top-1
	BestTop1     float64        `json:"best_test_top1"`
	BestEpoch    int            `json:"best_epoch"`
	ImagesPerSec float64        `json:"train_images_per_s"`
	TrainSeconds float64        `json:"train_seconds"`
	Curve        []EpochStats   `json:"curve"`
	// Diverged says why training stopped early when its loss or gradient
	// stopped being finite (empty otherwise); the figures are those of the
	// last epoch evaluated before.
	Diverged string `json:"diverged,omitempty"`
}

// RunOptions carries what a run needs besides its recipe.
type RunOptions = train.RunOptions

// Run trains the recipe's model (resuming its run folder if it holds an
// unfinished run) and reports the test accuracy.
func Run(ctx context.Context, r Recipe, opts RunOptions) (res Result, err error) {
	out := opts.Output()
	if err := r.Validate(); err != nil {
		return res, err
	}
	run := train.RunDir{Path: r.RunDir}
	if run.Reuse(r, &res, r.Name, out) {
		return res, nil
	}
	device, err := torch.ParseDevice(r.Device)
	if err != nil {
		return res, err
	}
	trainSet, testSet, err := loadData(r.Data)
	if err != nil {
		return res, fmt.Errorf("[data] %w", err)
	}
	fmt.Fprintf(out, "data: %s, train %d and test %d images of %dx%dx%d, %d classes\n",
		trainSet.Name, trainSet.N, testSet.N, trainSet.C, trainSet.H, trainSet.W, len(trainSet.Classes))
	resuming, err := run.Prepare(opts.RecipeText, r, identity(r), opts.Env)
	if err != nil {
		return res, err
	}
	cfg, err := r.ModelConfig(int64(trainSet.C), int64(len(trainSet.Classes)))
	if err != nil {
		return res, err
	}
	torch.ManualSeed(r.Train.Seed)
	vs := nn.NewVarStore(device)
	model, err := New(vs.Root(), cfg)
	if err != nil {
		return res, err
	}
	if resuming {
		fmt.Fprintf(out, "%s: resuming %s\n", r.Name, run.Path)
	}
	fmt.Fprintf(out, "%s: %s depth %d, residual %s, %d parameters, device %s\n",
		r.Name, cfg.Arch, cfg.Depth, layers.Label(r.Residual, r.ResidualParams), NumParams(vs), torch.DeviceName(device))
	start := time.Now()
	tr := &Trainer{Model: model, VS: vs, Train: trainSet, Test: testSet, Data: r.Data, Cfg: r.Train, Run: run, Progress: opts.Out}
	_, fitErr := tr.Fit(ctx)
	if fitErr != nil && !errors.Is(fitErr, train.ErrDiverged) {
		return res, fitErr
	}
	res = Result{Name: r.Name, Dataset: trainSet.Name, Model: fmt.Sprintf("%s depth %d", cfg.Arch, cfg.Depth),
		Residual: r.Residual, Params: r.ResidualParams, NumParams: NumParams(vs), TrainSeconds: time.Since(start).Seconds()}
	if err := res.fillCurve(run); err != nil {
		return res, err
	}
	if fitErr != nil { // a diverged run is a result: recorded, and the sweep goes on
		res.Diverged = fitErr.Error()
		fmt.Fprintf(out, "%s: %v; recorded in %s\n", r.Name, fitErr, run.File(train.DoneFile))
		return res, run.WriteJSON(train.DoneFile, res)
	}
	fmt.Fprintf(out, "%s: test top-1 %.2f%% (error %.2f%%), top-5 %.2f%% after %s\n", r.Name, res.TestTop1, res.TestError, res.TestTop5, epochs(res.Epochs))
	return res, run.WriteJSON(train.DoneFile, res)
}

// identity is the recipe less what only says when to stop (or what to
// observe): a finished run resumes with a larger max_epochs.
func identity(r Recipe) Recipe {
	r.Train.MaxEpochs, r.Train.MaxUpdates, r.Train.MaxMinutes = 0, 0, 0
	r.Train.GradStatsEvery = 0
	r.Name, r.RunDir = "", "" // a run folder may be moved or named another way
	return r
}

func loadData(d DataConfig) (trainSet, testSet *images.Set, err error) {
	trainSet, testSet, err = images.Load(d.Images())
	if err != nil {
		return nil, nil, err
	}
	return head(trainSet, d.LimitTrain), head(testSet, d.LimitTest), nil
}

// head is s cut to its first n images (n <= 0 or >= s.N: all of s).
func head(s *images.Set, n int) *images.Set {
	if n <= 0 || n >= s.N {
		return s
	}
	c := *s
	c.N = n
	c.Pixels = s.Pixels[:n*s.C*s.H*s.W]
	c.Labels = s.Labels[:n]
	return &c
}

// fillCurve reads the epoch records of the metrics log (all of them,
// including those from before a resume).
func (res *Result) fillCurve(run train.RunDir) error {
	recs, err := train.ReadMetrics(run.File(train.MetricsFile), "epoch")
	if err != nil {
		return err
	}
	for _, rec := range recs {
		var s EpochStats
		if err := train.Remarshal(rec, &s); err != nil {
			return err
		}
		res.Curve = append(res.Curve, s)
		res.Epochs, res.Updates = s.Epoch, s.Updates
		res.TestLoss, res.TestTop1, res.TestTop5, res.TestError = s.TestLoss, s.TestTop1, s.TestTop5, 100-s.TestTop1
		res.ImagesPerSec = s.ImagesPerS
		if s.TestTop1 > res.BestTop1 {
			res.BestTop1, res.BestEpoch = s.TestTop1, s.Epoch
		}
	}
	return nil
}

// epochs is "1 epoch" or "N epochs".
func epochs(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}
