package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// Options configures a suite run (`zoo bench`).
type Options struct {
	Models   []string
	Variants []Variant // nil: each model's default (post-ln, or plain for ResNets)

	// ComparePyTorch runs the PyTorch reference beside zoo; Check runs
	// only the same-weights check (loss, gradient norm, parameters).
	ComparePyTorch bool
	Check          bool
	// Memory runs the memory-flatness run (zoo only) of Updates updates.
	Memory  bool
	Updates int
	// VariantTable times every residual variant against post-ln (zoo
	// only) on VariantModels.
	VariantTable  bool
	VariantModels []string

	Reps   int // timed repetitions per implementation
	Warmup int // untimed training steps first
	Steps  int // training steps per repetition
	Quick  bool

	// Sizes overriding the models' defaults (0: default).
	Batch, Length, InferBatch int

	Threads            int // both implementations; 0: one per core
	BLASThreads        int // OpenBLAS's, both implementations; 0: Threads
	GEMMSize, GEMMReps int // the ceiling's matrices

	// ZooCommand starts a zoo child (default: this executable with
	// "--threads N bench --child"); Python and PyTorchDir the PyTorch one.
	ZooCommand []string
	Python     string
	PyTorchDir string
	// Env is the children's environment (default os.Environ()), to
	// which the thread variables are added.
	Env []string
	// Tolerance is the relative difference the check accepts (1e-4).
	Tolerance float64
	// Log receives progress lines, ChildStderr the children's stderr
	// (nil: none; the end of it comes with any error anyway).
	Log         io.Writer
	ChildStderr io.Writer
	// Workdir holds the exports (default: a temporary folder, removed).
	Workdir string
}

// Results is everything a suite run measured (the --out JSON).
type Results struct {
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"seconds"`
	Threads  int               `json:"threads"`
	BLAS     int               `json:"blas_threads"`
	CPUs     int               `json:"cpus"`
	Env      map[string]string `json:"env"`
	Reps     int               `json:"reps"`
	Warmup   int               `json:"warmup"`
	Steps    int               `json:"steps"`
	Quick    bool              `json:"quick"`
	Ceiling  *Ceiling          `json:"gemm_ceiling,omitempty"`
	Cases    []*Case           `json:"cases,omitempty"`
	Variants []*VariantCost    `json:"variant_costs,omitempty"`
	Memory   []*MemoryResult   `json:"memory,omitempty"`
	Errors   []string          `json:"errors,omitempty"`
}

// Ceiling is the measured GEMM rate: zoo's through libtorch from Go, and
// PyTorch's torch.mm when the reference ran.
type Ceiling struct {
	N       int     `json:"n"`
	Reps    int     `json:"reps"`
	Zoo     float64 `json:"zoo_gflops"`
	PyTorch float64 `json:"pytorch_gflops,omitempty"`
}

// Case is one model and variant, measured with zoo and maybe PyTorch.
type Case struct {
	Spec    Spec       `json:"spec"`
	Model   *ModelDesc `json:"model,omitempty"`
	Zoo     *Side      `json:"zoo,omitempty"`
	PyTorch *Side      `json:"pytorch,omitempty"`
	// SameHyps counts the inference sentences whose best hypothesis is
	// the same on both sides, out of Sentences.
	SameHyps  int    `json:"same_hyps,omitempty"`
	Sentences int    `json:"sentences,omitempty"`
	CheckOK   *bool  `json:"check_ok,omitempty"`
	CheckNote string `json:"check_note,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Side is one implementation's measurements of a case.
type Side struct {
	Info   *Info `json:"info,omitempty"`
	Params int64 `json:"params"`
	// TrainSeconds and TrainItems are each repetition's total over its
	// steps; InferSeconds each inference pass.
	TrainSeconds []float64    `json:"train_seconds,omitempty"`
	TrainItems   []float64    `json:"train_items,omitempty"`
	InferSeconds []float64    `json:"infer_seconds,omitempty"`
	InferItems   float64      `json:"infer_items,omitempty"`
	Loss         float64      `json:"last_loss,omitempty"`
	Check        *CheckResult `json:"check,omitempty"`
	// Peak is VmHWM after training (the process's peak), Steady the
	// VmRSS after the last repetition.
	Peak   int64 `json:"peak_rss_kb,omitempty"`
	Steady int64 `json:"steady_rss_kb,omitempty"`
	// LiveBefore and LiveAfter count zoo's live tensors after the
	// warm-up and after the last repetition.
	LiveBefore *int `json:"live_tensors_before,omitempty"`
	LiveAfter  *int `json:"live_tensors_after,omitempty"`
}

// TrainRate is the median over repetitions of items per second.
func (s *Side) TrainRate() float64 { return medianRate(s.TrainItems, s.TrainSeconds) }

// StepSeconds is the median seconds of one training step.
func (s *Side) StepSeconds(steps int) float64 {
	per := make([]float64, len(s.TrainSeconds))
	for i, t := range s.TrainSeconds {
		per[i] = t / float64(max(steps, 1))
	}
	return Median(per)
}

// InferRate is the median items per second of the inference passes.
func (s *Side) InferRate() float64 {
	items := make([]float64, len(s.InferSeconds))
	for i := range items {
		items[i] = s.InferItems
	}
	return medianRate(items, s.InferSeconds)
}

func medianRate(items, secs []float64) float64 {
	rates := make([]float64, 0, len(secs))
	for i, t := range secs {
		if t > 0 {
			rates = append(rates, items[i]/t)
		}
	}
	return Median(rates)
}

// VariantCost is one residual variant's training step time relative to
// post-ln on the same model, measured in alternation with it.
type VariantCost struct {
	Model        string  `json:"model"`
	Variant      string  `json:"variant"`
	StepSeconds  float64 `json:"step_seconds"`
	PostLN       float64 `json:"post_ln_step_seconds"`
	Relative     float64 `json:"relative"`
	Error        string  `json:"error,omitempty"`
	PeakRSSKB    int64   `json:"peak_rss_kb,omitempty"`
	PostLNPeakKB int64   `json:"post_ln_peak_rss_kb,omitempty"`
}

// VariantTableVariants are the variants of the cost table.
var VariantTableVariants = []string{"plain", "scaled:lambda=0.5", "scaled-ln:lambda=2", "post-ln", "pre-ln", "rskip-ln:order=2", "rskip-ln:order=3"}

// Validate checks the options and fills defaults.
func (o *Options) Validate() error {
	switch {
	case o.Reps < 1:
		return fmt.Errorf("--reps %d: want at least 1 repetition", o.Reps)
	case o.Warmup < 0:
		return fmt.Errorf("--warmup %d: want 0 or more steps", o.Warmup)
	case o.Steps < 1:
		return fmt.Errorf("--steps %d: want at least 1 step per repetition", o.Steps)
	case o.Batch < 0 || o.Length < 0 || o.InferBatch < 0:
		return fmt.Errorf("--batch %d, --length %d, --infer-batch %d: want positive sizes (0 = default)", o.Batch, o.Length, o.InferBatch)
	case o.Length == 1:
		return fmt.Errorf("--length 1: want at least 2 tokens, a word and EOS (0 = default)")
	case o.GEMMSize < 0 || o.GEMMReps < 0:
		return fmt.Errorf("--gemm-size %d, gemm repetitions %d: want positive values (0 = default)", o.GEMMSize, o.GEMMReps)
	case !(o.Tolerance >= 0) || math.IsInf(o.Tolerance, 0):
		return fmt.Errorf("--tolerance %g: want a finite relative difference > 0", o.Tolerance)
	case o.Memory && o.Updates < 1:
		return fmt.Errorf("--updates %d: want at least 1", o.Updates)
	case o.Memory && (o.Check || o.ComparePyTorch):
		return errors.New("--memory runs zoo alone: give it without --check and --compare-pytorch")
	case o.Check && o.VariantTable:
		return errors.New("--check and --variant-table: give one")
	case len(o.Models) == 0:
		return errors.New("no models")
	}
	if o.Threads == 0 {
		o.Threads = runtime.NumCPU()
	}
	if o.BLASThreads == 0 {
		o.BLASThreads = o.Threads
	}
	if o.Tolerance == 0 {
		o.Tolerance = 1e-4
	}
	if o.GEMMSize == 0 {
		o.GEMMSize = 2048
		if o.Quick {
			o.GEMMSize = 512
		}
	}
	if o.GEMMReps == 0 {
		o.GEMMReps = 5
		if o.Quick {
			o.GEMMReps = 3
		}
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Python == "" {
		o.Python = "/usr/bin/python3"
	}
	if len(o.VariantModels) == 0 {
		o.VariantModels = []string{"small", "resnet20"}
	}
	// Every case's sizes, checked before any child starts.
	if _, err := o.specs(); err != nil {
		return err
	}
	return nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "bench: "+format+"\n", args...)
	}
}

// specs returns the cases: every model with every variant.
func (o *Options) specs() ([]Spec, error) {
	var out []Spec
	for _, m := range o.Models {
		vs := o.Variants
		if len(vs) == 0 {
			vs = []Variant{{}}
		}
		for _, v := range vs {
			s, err := o.spec(m, v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func (o *Options) spec(model string, v Variant) (Spec, error) {
	s := Spec{Model: model, Variant: v.Name, Params: v.Params, Label: v.Label, Batch: o.Batch, Length: o.Length,
		InferBatch: o.InferBatch, Threads: o.Threads}
	s, err := s.Defaults(o.Quick)
	if err != nil {
		return s, fmt.Errorf("%s %s: %w", model, v.Label, err)
	}
	return s, nil
}

func (o *Options) zooChild() (*Child, error) {
	argv := o.ZooCommand
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		argv = []string{exe, "--threads", fmt.Sprint(o.Threads), "--blas-threads", fmt.Sprint(o.BLASThreads), "bench", "--child"}
	}
	return StartChild("zoo", argv, childEnv(o.Env, o.Threads, o.BLASThreads), "", o.ChildStderr)
}

func (o *Options) pytorchChild() (*Child, error) {
	argv := []string{o.Python, filepath.Join(o.PyTorchDir, "bench.py"), "--serve"}
	// Run outside any checkout: from zoo's root, `import torch` would
	// find zoo's Go torch/ folder.
	return StartChild("pytorch", argv, childEnv(o.Env, o.Threads, o.BLASThreads), os.TempDir(), o.ChildStderr)
}

// Run runs the suite the options describe.
func Run(o Options) (*Results, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	res := &Results{Started: time.Now(), Threads: o.Threads, BLAS: o.BLASThreads, CPUs: runtime.NumCPU(), Env: ReportedEnv(o.Env),
		Reps: o.Reps, Warmup: o.Warmup, Steps: o.Steps, Quick: o.Quick}
	defer func() { res.Seconds = time.Since(res.Started).Seconds() }()
	needPy := o.ComparePyTorch || o.Check
	if needPy {
		dir, err := FindPyTorchDir(o.PyTorchDir)
		if err != nil {
			return nil, err
		}
		o.PyTorchDir = dir
		if err := PythonHasTorch(o.Python); err != nil {
			return nil, err
		}
	}
	work := o.Workdir
	if work == "" {
		d, err := os.MkdirTemp("", "zoo-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		work = d
	}
	specs, err := o.specs()
	if err != nil {
		return nil, err
	}
	if o.Memory {
		for _, s := range specs {
			m := o.runMemory(s)
			res.Memory = append(res.Memory, m)
			if m.Error != "" {
				res.Errors = append(res.Errors, fmt.Sprintf("memory %s %s: %s", s.Model, s.Label, m.Error))
			}
		}
		return res, nil
	}
	if !o.Check {
		res.Ceiling = &Ceiling{N: o.GEMMSize, Reps: o.GEMMReps}
		o.logf("GEMM ceiling: %d x %d float32, %d reps", o.GEMMSize, o.GEMMSize, o.GEMMReps)
		if res.Ceiling.Zoo, err = GEMM(o.GEMMSize, o.GEMMReps); err != nil {
			return nil, err
		}
		if o.ComparePyTorch {
			res.Ceiling.PyTorch, err = o.pytorchGEMM()
			if err != nil {
				res.Errors = append(res.Errors, err.Error())
			}
		}
	}
	for i, s := range specs {
		o.logf("case %d/%d: %s %s", i+1, len(specs), s.Model, s.Label)
		c := o.runCase(s, filepath.Join(work, fmt.Sprintf("case%d", i)))
		res.Cases = append(res.Cases, c)
		if c.Error != "" {
			res.Errors = append(res.Errors, fmt.Sprintf("%s %s: %s", s.Model, s.Label, c.Error))
		} else if c.CheckOK != nil && !*c.CheckOK {
			res.Errors = append(res.Errors, fmt.Sprintf("%s %s: check failed: %s", s.Model, s.Label, c.CheckNote))
		}
	}
	if o.VariantTable {
		for _, m := range o.VariantModels {
			vc := o.runVariantTable(m)
			res.Variants = append(res.Variants, vc...)
			for _, v := range vc {
				if v.Error != "" {
					res.Errors = append(res.Errors, fmt.Sprintf("variant table %s %s: %s", v.Model, v.Variant, v.Error))
				}
			}
		}
	}
	return res, nil
}

func (o *Options) pytorchGEMM() (float64, error) {
	py, err := o.pytorchChild()
	if err != nil {
		return 0, err
	}
	defer py.Close()
	r, err := py.Do(Request{Cmd: "gemm", N: o.GEMMSize, Reps: o.GEMMReps})
	return r.GFLOPs, err
}

// pair is the two children of a case, in the order a repetition runs
// them; flip swaps it, so that repetitions go zoo, PyTorch, PyTorch,
// zoo, ...
type pair struct {
	sides []*Child
	into  map[*Child]*Side
}

func (p *pair) each(rep int, fn func(c *Child, s *Side) error) error {
	order := p.sides
	if rep%2 == 1 {
		order = slices.Clone(order)
		slices.Reverse(order)
	}
	for _, c := range order {
		if err := fn(c, p.into[c]); err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) runCase(s Spec, dir string) *Case {
	c := &Case{Spec: s, Zoo: &Side{}}
	if err := o.measure(c, dir); err != nil {
		c.Error = err.Error()
	}
	if !o.ComparePyTorch && !o.Check {
		c.PyTorch = nil
	}
	return c
}

func (o *Options) measure(c *Case, dir string) error {
	withPy := o.ComparePyTorch || o.Check
	zoo, err := o.zooChild()
	if err != nil {
		return err
	}
	defer zoo.Close()
	setup := Request{Cmd: "setup", Spec: &c.Spec}
	if withPy {
		setup.Dir = dir
		defer os.RemoveAll(dir)
	}
	r, err := zoo.Do(setup)
	if err != nil {
		return err
	}
	c.Model, c.Zoo.Params, c.Zoo.Info = r.Model, r.Params, r.Info
	p := &pair{sides: []*Child{zoo}, into: map[*Child]*Side{zoo: c.Zoo}}
	if withPy {
		c.PyTorch = &Side{}
		py, err := o.pytorchChild()
		if err != nil {
			return err
		}
		defer py.Close()
		r, err := py.Do(Request{Cmd: "setup", Spec: &c.Spec, Model: c.Model, Dir: dir})
		if err != nil {
			return err
		}
		c.PyTorch.Params, c.PyTorch.Info = r.Params, r.Info
		p.sides = append(p.sides, py)
		p.into[py] = c.PyTorch
		os.RemoveAll(dir) // loaded: free the disk
	}
	if o.Check {
		return o.check(c, p)
	}
	// Inference first, on the weights both sides loaded, so that the
	// hypotheses can be compared.
	o.logf("  inference (%d reps)", o.Reps)
	hyps := map[*Child][][]int64{}
	if err := p.each(0, func(ch *Child, _ *Side) error {
		r, err := ch.Do(Request{Cmd: "infer", Hyps: true})
		hyps[ch] = r.Hyps
		return err
	}); err != nil {
		return err
	}
	if withPy {
		c.SameHyps, c.Sentences = sameHyps(hyps[p.sides[0]], hyps[p.sides[1]])
	}
	for rep := range o.Reps {
		if err := p.each(rep, func(ch *Child, s *Side) error {
			r, err := ch.Do(Request{Cmd: "infer"})
			if err == nil {
				s.InferSeconds = append(s.InferSeconds, sum(r.Seconds))
				s.InferItems = sum(r.Items)
			}
			return err
		}); err != nil {
			return err
		}
	}
	if withPy {
		if err := o.check(c, p); err != nil {
			return err
		}
	}
	o.logf("  training (%d warm-up steps, %d reps of %d steps)", o.Warmup, o.Reps, o.Steps)
	if o.Warmup > 0 {
		if err := p.each(0, func(ch *Child, _ *Side) error {
			_, err := ch.Do(Request{Cmd: "train", Steps: o.Warmup})
			return err
		}); err != nil {
			return err
		}
	}
	if r, err := zoo.Do(Request{Cmd: "stats"}); err == nil {
		c.Zoo.LiveBefore = r.Live
	} else {
		return err
	}
	for rep := range o.Reps {
		if err := p.each(rep, func(ch *Child, s *Side) error {
			r, err := ch.Do(Request{Cmd: "train", Steps: o.Steps})
			if err == nil {
				s.TrainSeconds = append(s.TrainSeconds, sum(r.Seconds))
				s.TrainItems = append(s.TrainItems, sum(r.Items))
				s.Loss = r.Loss
			}
			return err
		}); err != nil {
			return err
		}
	}
	return p.each(0, func(ch *Child, s *Side) error {
		r, err := ch.Do(Request{Cmd: "stats"})
		if err != nil {
			return err
		}
		s.Peak, s.Steady, s.LiveAfter = r.RSS.HWMKB, r.RSS.RSSKB, r.Live
		return nil
	})
}

// check runs the check on both sides and compares.
func (o *Options) check(c *Case, p *pair) error {
	if err := p.each(0, func(ch *Child, s *Side) error {
		r, err := ch.Do(Request{Cmd: "check"})
		s.Check = r.Check
		return err
	}); err != nil {
		return err
	}
	ok, note := CompareChecks(*c.Zoo.Check, *c.PyTorch.Check, o.Tolerance)
	c.CheckOK, c.CheckNote = &ok, note
	return nil
}

// CompareChecks accepts two check results when the parameter counts are
// equal and the losses and gradient norms agree to tol (relative); note
// says what differs.
func CompareChecks(zoo, py CheckResult, tol float64) (ok bool, note string) {
	var bad []string
	if zoo.Params != py.Params {
		bad = append(bad, fmt.Sprintf("parameters %d vs %d", zoo.Params, py.Params))
	}
	for _, q := range []struct {
		name string
		a, b float64
	}{{"loss", zoo.Loss, py.Loss}, {"grad norm", zoo.GradNorm, py.GradNorm}, {"loss after step", zoo.LossAfter, py.LossAfter}} {
		if d := relDiff(q.a, q.b); !(d <= tol) {
			bad = append(bad, fmt.Sprintf("%s %.7g vs %.7g (rel %.2g > %.0e)", q.name, q.a, q.b, d, tol))
		}
	}
	if len(bad) == 0 {
		return true, fmt.Sprintf("max rel diff %.1e", max(relDiff(zoo.Loss, py.Loss), relDiff(zoo.GradNorm, py.GradNorm), relDiff(zoo.LossAfter, py.LossAfter)))
	}
	return false, fmt.Sprint(bad)
}

// sameHyps counts the positions where a and b hold the same tokens.
func sameHyps(a, b [][]int64) (same, n int) {
	n = max(len(a), len(b))
	for i := range min(len(a), len(b)) {
		if slices.Equal(a[i], b[i]) {
			same++
		}
	}
	return same, n
}

func (o *Options) runMemory(s Spec) *MemoryResult {
	m := &MemoryResult{Model: s.Model, Variant: s.Label, Batch: s.Batch, Updates: o.Updates}
	o.logf("memory: %s %s, %d updates", s.Model, s.Label, o.Updates)
	zoo, err := o.zooChild()
	if err != nil {
		m.Error = err.Error()
		return m
	}
	defer zoo.Close()
	if _, err := zoo.Do(Request{Cmd: "setup", Spec: &s}); err != nil {
		m.Error = err.Error()
		return m
	}
	r, err := zoo.Do(Request{Cmd: "memory", Updates: o.Updates, Samples: DefaultSamples(o.Updates)})
	if err != nil {
		m.Error = err.Error()
		return m
	}
	return r.Memory
}

// runVariantTable times each variant of VariantTableVariants in a
// child of its own, alternating repetitions with one post-ln child kept
// for the whole table.
func (o *Options) runVariantTable(model string) []*VariantCost {
	var out []*VariantCost
	fail := func(v string, err error) []*VariantCost {
		return append(out, &VariantCost{Model: model, Variant: v, Error: err.Error()})
	}
	base, err := o.variantChild(model, "post-ln")
	if err != nil {
		return fail("post-ln", err)
	}
	defer base.Close()
	for _, label := range VariantTableVariants {
		if label == "post-ln" {
			continue
		}
		o.logf("variant table: %s %s vs post-ln", model, label)
		ch, err := o.variantChild(model, label)
		if err != nil {
			out = fail(label, err)
			continue
		}
		sides := map[*Child]*Side{base: {}, ch: {}}
		p := &pair{sides: []*Child{base, ch}, into: sides}
		err = nil
		for rep := 0; rep < o.Reps && err == nil; rep++ {
			err = p.each(rep, func(c *Child, s *Side) error {
				r, err := c.Do(Request{Cmd: "train", Steps: o.Steps})
				s.TrainSeconds = append(s.TrainSeconds, sum(r.Seconds))
				return err
			})
		}
		var peaks [2]int64
		for i, c := range p.sides {
			if r, serr := c.Do(Request{Cmd: "stats"}); serr == nil {
				peaks[i] = r.RSS.HWMKB
			}
		}
		ch.Close()
		if err != nil {
			out = fail(label, err)
			continue
		}
		v, b := sides[ch].StepSeconds(o.Steps), sides[base].StepSeconds(o.Steps)
		out = append(out, &VariantCost{Model: model, Variant: label, StepSeconds: v, PostLN: b, Relative: v / b,
			PeakRSSKB: peaks[1], PostLNPeakKB: peaks[0]})
	}
	// post-ln's own row: the median of its step times over the pairings.
	ref := &VariantCost{Model: model, Variant: "post-ln", Relative: 1}
	var bs []float64
	for _, v := range out {
		if v.Error == "" {
			bs = append(bs, v.PostLN)
			ref.PeakRSSKB = max(ref.PeakRSSKB, v.PostLNPeakKB)
		}
	}
	if len(bs) > 0 {
		ref.StepSeconds, ref.PostLN = Median(bs), Median(bs)
	}
	return append([]*VariantCost{ref}, out...)
}

func (o *Options) variantChild(model, label string) (*Child, error) {
	vs, err := ParseVariants(label)
	if err != nil {
		return nil, err
	}
	s, err := o.spec(model, vs[0])
	if err != nil {
		return nil, err
	}
	ch, err := o.zooChild()
	if err != nil {
		return nil, err
	}
	if _, err := ch.Do(Request{Cmd: "setup", Spec: &s}); err != nil {
		ch.Close()
		return nil, err
	}
	if o.Warmup > 0 {
		if _, err := ch.Do(Request{Cmd: "train", Steps: o.Warmup}); err != nil {
			ch.Close()
			return nil, err
		}
	}
	return ch, nil
}
