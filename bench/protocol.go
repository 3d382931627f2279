package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// The child-process protocol: the parent writes one Request as a JSON
// object on a line of the child's stdin, the child answers with one
// Response line on its stdout (nothing else goes to stdout; logs go to
// stderr). Commands:
//
//	setup   build the case: Spec (and, for PyTorch, the ModelDesc zoo
//	        built and the export Dir to load); zoo exports into Dir when
//	        it is set. Answers Model (zoo), Params and Info.
//	train   run Steps training steps; answers Seconds and Items per step
//	        and the last Loss.
//	infer   one inference pass over the fixed set (beam search or an
//	        evaluation forward); answers Seconds, Items and, with Hyps,
//	        the best hypothesis of each sentence.
//	check   loss, gradient norm and loss after one update on the batch,
//	        without dropout (Check).
//	stats   resident memory (RSS) and, for zoo, live tensors.
//	gemm    the median GFLOP/s of Reps N x N float32 products.
//	memory  (zoo) train Updates updates on a data pipeline, sampling
//	        memory at Samples (Memory).
//	quit    answer and exit.
//
// An error answers OK = false with Error; the child stays usable unless
// setup failed.
type Request struct {
	Cmd     string     `json:"cmd"`
	Spec    *Spec      `json:"spec,omitempty"`
	Model   *ModelDesc `json:"model,omitempty"`
	Dir     string     `json:"dir,omitempty"`
	Steps   int        `json:"steps,omitempty"`
	Hyps    bool       `json:"hyps,omitempty"`
	N       int        `json:"n,omitempty"`
	Reps    int        `json:"reps,omitempty"`
	Updates int        `json:"updates,omitempty"`
	Samples []int      `json:"samples,omitempty"`
}

// Response is a child's answer to one Request.
type Response struct {
	OK      bool          `json:"ok"`
	Error   string        `json:"error,omitempty"`
	Info    *Info         `json:"info,omitempty"`
	Model   *ModelDesc    `json:"model,omitempty"`
	Params  int64         `json:"params,omitempty"`
	Seconds []float64     `json:"seconds,omitempty"`
	Items   []float64     `json:"items,omitempty"`
	Loss    float64       `json:"loss,omitempty"`
	Hyps    [][]int64     `json:"hyps,omitempty"`
	Check   *CheckResult  `json:"check,omitempty"`
	RSS     *RSS          `json:"rss,omitempty"`
	Live    *int          `json:"live_tensors,omitempty"`
	GFLOPs  float64       `json:"gflops,omitempty"`
	Memory  *MemoryResult `json:"memory,omitempty"`
}

// Info describes a child's implementation and runtime.
type Info struct {
	Impl        string `json:"impl"`    // "zoo" or "pytorch"
	Version     string `json:"version"` // zoo's libtorch, or torch.__version__
	Threads     int    `json:"threads"` // intra-op threads in force
	BLASThreads int    `json:"blas_threads"`
	Python      string `json:"python,omitempty"`
}

// ModelDesc is the case as zoo built it, everything the PyTorch side
// needs to build the same model and step.
type ModelDesc struct {
	Kind           string         `json:"kind"`
	Name           string         `json:"name"`
	Residual       string         `json:"residual"`
	ResidualParams map[string]any `json:"residual_params"` // typed, defaults filled in
	NMT            *NMTDesc       `json:"nmt,omitempty"`
	Vision         *VisionDesc    `json:"vision,omitempty"`
	Optim          OptimDesc      `json:"optim"`
	LabelSmoothing float64        `json:"label_smoothing"`
	Generate       *GenerateDesc  `json:"generate,omitempty"`
	Params         int64          `json:"params"`
	// TrainFLOPs and InferFLOPs count one training step and one
	// inference pass (InferFLOPs is 0 for beam search, whose work depends
	// on when hypotheses finish).
	TrainFLOPs float64 `json:"train_flops"`
	InferFLOPs float64 `json:"infer_flops,omitempty"`
	// TrainItems is what a training step processes (non-padding target
	// tokens, or images) and InferItems an inference pass (sentences or
	// images); Unit names them.
	TrainItems float64 `json:"train_items"`
	InferItems float64 `json:"infer_items"`
	TrainUnit  string  `json:"train_unit"`
	InferUnit  string  `json:"infer_unit"`
	// BatchShape describes the training batch ("128x32" or "128x3x32x32").
	BatchShape string `json:"batch_shape"`
}

// NMTDesc is an nmt.Config in snake case.
type NMTDesc struct {
	SrcVocab          int64   `json:"src_vocab"`
	TgtVocab          int64   `json:"tgt_vocab"`
	DModel            int64   `json:"d_model"`
	Heads             int64   `json:"heads"`
	FFNDim            int64   `json:"ffn_dim"`
	EncoderLayers     int     `json:"encoder_layers"`
	DecoderLayers     int     `json:"decoder_layers"`
	Dropout           float64 `json:"dropout"`
	AttentionDropout  float64 `json:"attention_dropout"`
	ActivationDropout float64 `json:"activation_dropout"`
	Activation        string  `json:"activation"`
	ShareAll          bool    `json:"share_all_embeddings"`
	ShareDecoderIO    bool    `json:"share_decoder_input_output_embed"`
	MaxPositions      int64   `json:"max_positions"`
	PaddingIdx        int64   `json:"padding_idx"`
	EOSIdx            int64   `json:"eos_idx"`
}

// VisionDesc is a vision.Config in snake case, with the image size.
type VisionDesc struct {
	Arch           string `json:"arch"`
	Depth          int    `json:"depth"`
	Block          string `json:"block"`
	Width          int64  `json:"width"`
	Shortcut       string `json:"shortcut"`
	ZeroInitLastBN bool   `json:"zero_init_last_bn"`
	InChannels     int64  `json:"in_channels"`
	Classes        int64  `json:"classes"`
	Image          int    `json:"image"`
}

// OptimDesc is the optimizer of the training step: Adam (translation)
// or SGD (classification), with zoo's hyper-parameters.
type OptimDesc struct {
	Name        string  `json:"name"` // "adam" or "sgd"
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1,omitempty"`
	Beta2       float64 `json:"beta2,omitempty"`
	Eps         float64 `json:"eps,omitempty"`
	Momentum    float64 `json:"momentum,omitempty"`
	WeightDecay float64 `json:"weight_decay"`
	Nesterov    bool    `json:"nesterov,omitempty"`
}

// GenerateDesc is the beam search of the inference pass.
type GenerateDesc struct {
	Beam       int     `json:"beam"`
	LenPenalty float64 `json:"lenpen"`
	MaxLenA    float64 `json:"max_len_a"`
	MaxLenB    int     `json:"max_len_b"`
	MinLen     int     `json:"min_len"`
}

// CheckResult is what the check command computes on the case's batch:
// the loss (per target token for translation, the mean for images), the
// L2 norm of all gradients as the optimizer receives them, and the loss
// after one update with them.
type CheckResult struct {
	Params    int64   `json:"params"`
	Loss      float64 `json:"loss"`
	GradNorm  float64 `json:"grad_norm"`
	LossAfter float64 `json:"loss_after_step"`
}

// Child is a running child process that speaks the protocol.
type Child struct {
	Impl   string
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
	exited chan struct{} // closed once the process has been waited for
	err    error         // its exit status, once exited is closed
}

// StartChild starts argv in dir with env, its stderr kept (the last few
// KiB, for error messages) and copied to log when log is not nil.
func StartChild(impl string, argv, env []string, dir string, log io.Writer) (*Child, error) {
	if len(argv) == 0 {
		return nil, errors.New("bench: empty child command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	c := &Child{Impl: impl, cmd: cmd, stderr: &tailBuffer{max: 8 << 10}, exited: make(chan struct{})}
	if log != nil {
		cmd.Stderr = io.MultiWriter(c.stderr, log)
	} else {
		cmd.Stderr = c.stderr
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s child %s: %w", impl, argv[0], err)
	}
	c.in, c.out = in, bufio.NewReaderSize(out, 1<<20)
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Do sends req and returns the answer; an answer with OK = false comes
// back as an error too.
func (c *Child) Do(req Request) (Response, error) {
	line, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	if _, err := c.in.Write(append(line, '\n')); err != nil {
		return Response{}, c.died(req.Cmd, err)
	}
	raw, err := c.out.ReadBytes('\n')
	if err != nil {
		return Response{}, c.died(req.Cmd, err)
	}
	var resp Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return Response{}, fmt.Errorf("%s child: %s: answer %q is not a protocol line: %w", c.Impl, req.Cmd, truncate(string(raw), 200), err)
	}
	if !resp.OK {
		return resp, fmt.Errorf("%s child: %s: %s", c.Impl, req.Cmd, resp.Error)
	}
	return resp, nil
}

func (c *Child) died(cmd string, err error) error {
	werr := c.wait(5 * time.Second)
	msg := strings.TrimSpace(c.stderr.String())
	if msg != "" {
		msg = "; its stderr ends:\n" + msg
	}
	return fmt.Errorf("%s child died during %s (%v, exit: %v)%s", c.Impl, cmd, err, werr, msg)
}

// Close asks the child to quit and waits for it (killing it after a
// grace period).
func (c *Child) Close() error {
	if c == nil {
		return nil
	}
	line, _ := json.Marshal(Request{Cmd: "quit"})
	_, _ = c.in.Write(append(line, '\n'))
	_ = c.in.Close()
	return c.wait(30 * time.Second)
}

func (c *Child) wait(grace time.Duration) error {
	select {
	case <-c.exited:
		return c.err
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("killed after %v", grace)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// childEnv is env with the thread settings both implementations get.
func childEnv(env []string, threads, blas int) []string {
	out := make([]string, 0, len(env)+3)
	set := map[string]string{
		"OMP_NUM_THREADS":      fmt.Sprint(threads),
		"OPENBLAS_NUM_THREADS": fmt.Sprint(blas),
		"MKL_NUM_THREADS":      fmt.Sprint(threads),
	}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			out = append(out, kv)
		}
	}
	for _, k := range []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} {
		out = append(out, k+"="+set[k])
	}
	return out
}

// ReportedEnv lists the environment variables that change libtorch's and
// the allocator's behaviour, as they are in env (for the results).
func ReportedEnv(env []string) map[string]string {
	keys := []string{"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", "OMP_NUM_THREADS",
		"OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ZOO_TUNED", "ZOO_NO_REEXEC"}
	out := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		for _, want := range keys {
			if k == want {
				out[k] = v
			}
		}
	}
	return out
}

// FindPyTorchDir returns the folder holding bench.py: dir when given,
// else bench/ in the first zoo checkout found upwards from the working
// directory or from the executable.
func FindPyTorchDir(dir string) (string, error) {
	has := func(d string) bool {
		_, err := os.Stat(d + "/bench.py")
		return err == nil
	}
	if dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("--pytorch-dir %s holds no bench.py", dir)
		}
		return dir, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, exe)
	}
	for _, s := range starts {
		for d := s; ; {
			if has(d+"/bench") && fileExists(d+"/go.mod") {
				return d + "/bench", nil
			}
			parent := parentDir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return "", errors.New("cannot find bench/bench.py: run zoo bench from a zoo checkout, or pass --pytorch-dir")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func parentDir(p string) string {
	i := strings.LastIndex(p, "/")
	switch {
	case i < 0:
		return p
	case i == 0:
		return "/"
	}
	return p[:i]
}

// ErrNoPyTorch is wrapped by the error of PythonHasTorch (and of Run
// when it needs PyTorch).
var ErrNoPyTorch = errors.New("no PyTorch")

// PythonHasTorch reports whether python can import torch (run from the
// temporary folder, so that a zoo checkout's torch/ does not shadow it),
// and the error when it cannot.
func PythonHasTorch(python string) error {
	cmd := exec.Command(python, "-c", "import torch, numpy")
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s cannot import torch and numpy (install python3-torch): %v: %s", ErrNoPyTorch, python, err, truncate(strings.TrimSpace(string(out)), 300))
	}
	return nil
}
