package nmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/metrics"
	"github.com/zoo-nn/zoo/tokenizer"
	"github.com/zoo-nn/zoo/torch"
	"github.com/zoo-nn/zoo/train"
)

// Result is what a finished translation run reports (done.json, the
// comparison table).
type Result struct {
	Name          string         `json:"name"`
	Residual      string         `json:"residual"`
	Params        map[string]any `json:"residual_params,omitempty"`
	NumParams     int64          `json:"num_params"`
	Epochs        int            `json:"epochs"`
	Updates       int64          `json:"updates"`
	BestValidLoss float64        `json:"best_valid_loss"`
	BestValidPPL  float64        `json:"best_valid_ppl"`
	TestBLEU      float64        `json:"test_bleu"`
	BLEUSignature string         `json:"bleu_signature"`
	BLEUText      string         `json:"bleu"`
	TokBLEU       float64        `json:"test_tokenized_bleu"`
	Checkpoint    string         `json:"checkpoint"`
	TokensPerSec  float64        `json:"train_tokens_per_s"`
	TrainSeconds  float64        `json:"train_seconds"`
	Curve         []EpochStats   `json:"curve"`
	// Diverged says why training stopped early when its gradient norm
	// stopped being finite (empty otherwise). Such a run is not decoded:
	// its test figures are 0 and its validation figures those of the last
	// epoch completed before (none: best_valid_loss is -1).
	Diverged string `json:"diverged,omitempty"`
}

// RunOptions carries what a run needs besides its recipe.
type RunOptions = train.RunOptions

// Run trains the recipe's model (resuming its run folder if it holds an
// unfinished run), decodes the test set and scores it. A run that
// diverges is a result, not an error: it is recorded (done.json, with
// Diverged set) without decoding, so that a sweep goes on. Cancelling ctx
// stops training or decoding with ctx's error (wrapped); the state is
// saved, and running again resumes (or, once trained, decodes).
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
	corpus, err := LoadCorpus(r.Data)
	if err != nil {
		return res, err
	}
	reportCorpus(out, corpus)
	resuming, err := run.Prepare(opts.RecipeText, r, identity(r), opts.Env)
	if err != nil {
		return res, err
	}
	if err := copyPrep(corpus, run); err != nil {
		return res, err
	}
	torch.ManualSeed(r.Train.Seed)
	cfg, err := r.ModelConfig(int64(corpus.Dict.Len()), int64(corpus.Dict.Len()))
	if err != nil {
		return res, err
	}
	vs := nn.NewVarStore(device)
	model, err := New(vs.Root(), cfg)
	if err != nil {
		return res, err
	}
	if resuming {
		fmt.Fprintf(out, "%s: resuming %s\n", r.Name, run.Path)
	}
	fmt.Fprintf(out, "%s: %s, residual %s, %d parameters, device %s\n",
		r.Name, r.Model.Preset, layers.Label(r.Residual, r.ResidualParams), NumParams(vs), torch.DeviceName(device))
	start := time.Now()
	tr := &Trainer{Model: model, VS: vs, Corpus: corpus, Cfg: r.Train, Run: run, Progress: opts.Out}
	_, fitErr := tr.Fit(ctx)
	if fitErr != nil && !errors.Is(fitErr, train.ErrDiverged) {
		return res, fitErr
	}
	res = Result{Name: r.Name, Residual: r.Residual, Params: r.ResidualParams, NumParams: NumParams(vs),
		TrainSeconds: time.Since(start).Seconds()}
	if err := res.fillCurve(run); err != nil {
		return res, err
	}
	if fitErr != nil { // a diverged run is a result: recorded, and the sweep goes on
		res.Diverged = fitErr.Error()
		fmt.Fprintf(out, "%s: %v; recorded in %s\n", r.Name, fitErr, run.File(train.DoneFile))
		return res, run.WriteJSON(train.DoneFile, res)
	}
	if err := testRun(ctx, r, model, vs, corpus, run, &res, out); err != nil {
		return res, err
	}
	return res, run.WriteJSON(train.DoneFile, res)
}

// identity is the recipe less what only says when to stop (and how to
// evaluate or observe): a finished run resumes with a larger max_epochs.
func identity(r Recipe) Recipe {
	r.Train.MaxEpochs, r.Train.MaxUpdates, r.Train.MaxMinutes = 0, 0, 0
	r.Train.GradStatsEvery = 0
	r.Eval = EvalConfig{}
	r.Name, r.RunDir = "", "" // a run folder may be moved or named another way
	return r
}

func reportCorpus(out io.Writer, c *Corpus) {
	s := c.Stats
	how := "prepared"
	if s.Cached {
		how = "cached"
	}
	fmt.Fprintf(out, "data (%s in %s): train %d pairs (%d dropped by length), valid %d (%d dropped), test %d; dictionary %d symbols, %d BPE merges\n",
		how, c.Dir, s.TrainPairs, s.TrainDropped, s.ValidPairs, s.ValidDropped, s.TestPairs, s.DictSize, s.BPEMerges)
}

// copyPrep puts the dictionary and BPE codes next to the checkpoints, so
// that `zoo translate` needs only the run folder.
func copyPrep(c *Corpus, run train.RunDir) error {
	for _, name := range []string{"dict.txt", "codes.bpe"} {
		data, err := os.ReadFile(filepath.Join(c.Dir, name))
		if os.IsNotExist(err) && name == "codes.bpe" {
			continue // format = "bpe": no codes were learned
		}
		if err != nil {
			return fmt.Errorf("run folder: %w", err)
		}
		if err := run.WriteFile(name, data); err != nil {
			return err
		}
	}
	return nil
}

// fillCurve reads the epoch records of the metrics log (all of them,
// including those from before a resume).
func (res *Result) fillCurve(run train.RunDir) error {
	recs, err := train.ReadMetrics(run.File(train.MetricsFile), "epoch")
	if err != nil {
		return err
	}
	res.BestValidLoss = -1
	for _, rec := range recs {
		var s EpochStats
		if err := train.Remarshal(rec, &s); err != nil {
			return err
		}
		res.Curve = append(res.Curve, s)
		res.Epochs, res.Updates = s.Epoch, s.Updates
		if res.BestValidLoss < 0 || s.ValidLoss < res.BestValidLoss {
			res.BestValidLoss, res.BestValidPPL = s.ValidLoss, s.ValidPPL
		}
		res.TokensPerSec = s.TokensPerS
	}
	return nil
}

// testRun loads the chosen checkpoint, decodes the test set, writes the
// hypotheses and scores them. Cancelling ctx stops the decoding at its
// next step; training is saved by then, so running again only decodes.
func testRun(ctx context.Context, r Recipe, model *Model, vs *nn.VarStore, c *Corpus, run train.RunDir, res *Result, out io.Writer) error {
	if len(c.Test) == 0 {
		return nil
	}
	interrupted := func(err error) error {
		return fmt.Errorf("test set: %w (training is saved in %s; run again to decode)", err, run.Path)
	}
	if err := ctx.Err(); err != nil { // before averaging checkpoints, which takes a while too
		return interrupted(err)
	}
	ckpt, err := chooseCheckpoint(r.Eval, run)
	if err != nil {
		return err
	}
	if _, err := train.LoadCheckpoint(ckpt, vs, nil); err != nil {
		return err
	}
	res.Checkpoint = filepath.Base(ckpt)
	tr := Translator{Model: model, Dict: c.Dict, Gen: r.Eval.GenerateConfig, Greedy: r.Eval.Greedy,
		Batching: Batching{MaxTokens: r.Eval.MaxTokens}}
	srcs := make([][]int32, len(c.Test))
	for i, ex := range c.Test {
		srcs[i] = ex.Src
	}
	fmt.Fprintf(out, "%s: decoding %d test sentences with %s (beam %d, lenpen %g)\n", r.Name, len(srcs), res.Checkpoint, r.Eval.Beam, r.Eval.LenPenalty)
	subwords, truncated, err := tr.TranslateIDs(ctx, srcs)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return interrupted(err)
	}
	if err != nil {
		return fmt.Errorf("test set: %w", err)
	}
	if truncated > 0 {
		fmt.Fprintf(out, "%s: %d test sources longer than max_positions were cut to fit\n", r.Name, truncated)
	}
	return score(r, c, subwords, run, res, out)
}

func chooseCheckpoint(e EvalConfig, run train.RunDir) (string, error) {
	switch e.Checkpoint {
	case "last":
		return run.File(train.LastCheckpoint), nil
	case "average":
		all := run.EpochCheckpoints()
		if len(all) > e.AverageLast {
			all = all[len(all)-e.AverageLast:]
		}
		avg := run.File("checkpoint_avg.pt")
		return avg, train.AverageCheckpoints(all, avg)
	}
	return run.File(train.BestCheckpoint), nil
}

// score writes test.hyp (detokenized) and test.bpe (subwords) and computes
// sacreBLEU on detokenized text and the tokenized BLEU.
func score(r Recipe, c *Corpus, subwords []string, run train.RunDir, res *Result, out io.Writer) error {
	detok := tokenizer.NewTokenizer(r.Data.Target)
	hyps := make([]string, len(subwords))
	tokHyps := make([]string, len(subwords))
	for i, s := range subwords {
		tokHyps[i] = tokenizer.RemoveBPE(s, tokenizer.DefaultSeparator)
		hyps[i] = detok.DetokenizeString(tokHyps[i])
	}
	refs, tokRefs := c.TestRefs, c.TestRefs
	switch r.Data.Format {
	case FormatRaw:
		tokRefs = mapParallel(c.TestRefs, detok.TokenizeString)
	case FormatTok, FormatBPE:
		tokRefs = mapParallel(c.TestRefs, func(l string) string { return tokenizer.RemoveBPE(normalizeSpaces(l), tokenizer.DefaultSeparator) })
		refs = mapParallel(tokRefs, detok.DetokenizeString)
	}
	for name, lines := range map[string][]string{"test.hyp": hyps, "test.bpe": subwords} {
		if err := run.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n")); err != nil {
			return err
		}
	}
	bleu, err := metrics.NewBLEU(metrics.BLEUOptions{})
	if err != nil {
		return err
	}
	s, err := bleu.CorpusScore(hyps, [][]string{refs})
	if err != nil {
		return fmt.Errorf("test BLEU: %w", err)
	}
	res.TestBLEU, res.BLEUSignature = s.Score, bleu.Signature(1)
	res.BLEUText = s.Format(2, res.BLEUSignature)
	tb := metrics.NewTokenizedBLEU(metrics.TokenizedBLEUOptions{CompoundSplit: r.Eval.CompoundSplit})
	ts, err := tb.CorpusScore(tokHyps, [][]string{tokRefs})
	if err != nil {
		return fmt.Errorf("test tokenized BLEU: %w", err)
	}
	res.TokBLEU = ts.Score
	fmt.Fprintf(out, "%s: sacreBLEU %s\n%s: tokenized BLEU %.2f (%s)\n", r.Name, res.BLEUText, r.Name, ts.Score, tb.Signature(1))
	return nil
}
