package nmt

import (
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// newTokenEmbedding makes a [vocab, dim] embedding named "weight" under p
// with fairseq's init: N(0, dim^-0.5), padding row zero.
func newTokenEmbedding(p *nn.Path, vocab, dim, pad int64) (*ts.Tensor, error) {
	return torch.NewParam(p, "weight", []int64{vocab, dim}, func(t *ts.Tensor) error {
		if err := t.Normal_(0, math.Pow(float64(dim), -0.5)); err != nil {
			return err
		}
		return torch.Try(func() {
			row := torch.Must(t.Narrow(0, pad, 1, false))
			torch.Check(row.Zero_())
			torch.Free(row)
		})
	})
}

// sinusoidalTable builds fairseq's SinusoidalPositionalEmbedding weights
// for positions 0..rows-1: for half = dim/2 frequencies
// f_i = exp(-i·ln(10000)/(half-1)), row p is [sin(p·f), cos(p·f)] (the two
// halves concatenated, not interleaved), a zero column when dim is odd,
// and the padding row zero. It is computed with the same float32 ops as
// fairseq so that a model trained there reads the same positions here.
// The table is a constant, not a variable: fairseq does not save it
// either.
func sinusoidalTable(rows, dim, pad int64, dev gotch.Device) (table *ts.Tensor, err error) {
	defer torch.Recover(&err)
	torch.NoGrad(func() {
		half := dim / 2
		step := ts.FloatScalar(-math.Log(10000) / float64(half-1))
		defer step.Drop()
		freq := arange(half, dev)
		freq = torch.Must(freq.MulScalar(step, true))
		freq = torch.Must(freq.Exp(true))
		freq = torch.Must(freq.Unsqueeze(0, true))
		pos := torch.Must(arange(rows, dev).Unsqueeze(1, true))
		angles := torch.Must(pos.Mul(freq, true))
		torch.Free(freq)
		parts := []*ts.Tensor{torch.Must(angles.Sin(false)), torch.Must(angles.Cos(false))}
		torch.Free(angles)
		if dim%2 == 1 {
			parts = append(parts, torch.Must(ts.Zeros([]int64{rows, 1}, gotch.Float, dev)))
		}
		table = torch.Must(ts.Cat(parts, 1))
		torch.Free(parts...)
		row := torch.Must(table.Narrow(0, pad, 1, false))
		torch.Check(row.Zero_())
		torch.Free(row)
	})
	return table, nil
}

// arange returns [0, 1, ..., n-1] as float32 on dev.
func arange(n int64, dev gotch.Device) *ts.Tensor {
	end := ts.IntScalar(n)
	defer end.Drop()
	return torch.Must(ts.Arange(end, gotch.Float, dev))
}

// embedder turns tokens into a stack's input: scaled token embeddings
// plus sinusoidal positions, then dropout.
type embedder struct {
	weight  *ts.Tensor // [vocab, d_model], maybe shared
	table   *ts.Tensor // sinusoidal positions, shared by both stacks
	scale   *ts.Scalar // sqrt(d_model)
	pad     *ts.Scalar
	padIdx  int64
	dropout float64
}

// forward embeds tokens [B, T]. Positions follow fairseq's
// make_positions: each non-pad token gets padIdx+1+(the number of
// non-pad tokens before it), pads get the zero row, so left- and
// right-padded batches give a sentence the same positions.
func (e *embedder) forward(tokens *ts.Tensor, train bool) *ts.Tensor {
	nonPad := torch.Must(tokens.Ne(e.pad, false))
	positions := torch.Must(nonPad.Cumsum(1, gotch.Int64, false))
	positions = torch.Must(positions.Mul(nonPad, true))
	torch.Free(nonPad)
	torch.Check(positions.AddScalar_(e.pad))
	pe := torch.Must(ts.Embedding(e.table, positions, -1, false, false))
	torch.Free(positions)
	return e.combine(tokens, pe, train)
}

// forwardAt embeds one decoding step, tokens [N, 1], all at position
// step (0-based), as fairseq's incremental decoding does.
func (e *embedder) forwardAt(tokens *ts.Tensor, step int64) *ts.Tensor {
	pe := torch.Must(e.table.Narrow(0, e.padIdx+1+step, 1, false))
	return e.combine(tokens, pe, false)
}

// combine returns dropout(scale·embed(tokens) + pe) and frees pe.
func (e *embedder) combine(tokens, pe *ts.Tensor, train bool) *ts.Tensor {
	x := torch.Must(ts.Embedding(e.weight, tokens, e.padIdx, false, false))
	torch.Check(x.MulScalar_(e.scale))
	torch.Check(x.Add_(pe))
	torch.Free(pe)
	return dropout(x, e.dropout, train)
}
