// Package bench measures zoo's training and inference speed and memory,
// and compares them with a PyTorch eager reference of the same models
// (bench/models.py, bench/bench.py: Debian's python3-torch 1.13, the same
// libtorch build zoo links).
//
// Each case (a model, a residual variant, a batch) runs in fresh child
// processes, one per implementation: `zoo bench --child` for zoo and
// `python3 bench/bench.py --serve` for PyTorch. Both speak the same
// JSON-lines protocol on stdin/stdout (Request, Response): the parent
// sends a command, the child does the work and answers one line. A fresh
// process per case makes each peak RSS (VmHWM) its own, and driving both
// children from one parent lets the repetitions alternate zoo, PyTorch,
// PyTorch, zoo, ... so that drift on a shared machine hits both alike.
//
// The zoo child builds the model from a seed and writes its weights and
// batches (Export: a JSON index and raw little-endian data) for the
// PyTorch child, which loads them by name: both then run the same
// weights on the same batch, the check command compares loss, gradient
// norm and the loss after one optimizer step, and beam search on the
// same weights returns the same hypotheses.
//
// FLOPs are counted analytically (matrix products and convolutions,
// backward = 2x forward) and the GEMM ceiling is measured through
// libtorch, so a table can show achieved FLOP/s as a share of what the
// machine's matrix multiply reaches. docs/performance.md describes the
// method and the columns; bench/profile_step.py prints the reference
// step's op table under torch.profiler.
package bench
