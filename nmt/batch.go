package nmt

import (
	"fmt"
	"math/rand"
	"sort"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// Example is one sentence pair as token ids, without EOS (batching adds it).
type Example struct {
	Src, Tgt []int32
}

// Batch is a padded mini-batch. Src is [B, S] (EOS-terminated), Prev the
// decoder input [B, T] (EOS then the target shifted right, fairseq's
// prev_output_tokens), Target [B, T] (the target then EOS); all
// right-padded with the padding index. The caller frees it.
type Batch struct {
	Src, Prev, Target *ts.Tensor
	Sentences         int
	SrcTokens         int64 // non-padding source tokens, EOS included
	TgtTokens         int64 // non-padding target tokens, EOS included: what the loss averages over
	Indices           []int // positions of the examples in the data set
}

// Free drops the batch's tensors.
func (b *Batch) Free() { torch.Free(b.Src, b.Prev, b.Target) }

// Batching groups examples of similar length into batches of at most
// MaxTokens padded tokens (counting the longer of source and target, EOS
// included, as fairseq's max_tokens does) and MaxSentences sentences.
type Batching struct {
	MaxTokens    int `mapstructure:"max_tokens"`    // default 4096
	MaxSentences int `mapstructure:"max_sentences"` // 0: no limit
}

// Validate reports a batch size that cannot hold anything.
func (c Batching) Validate() error {
	if c.MaxTokens < 1 {
		return fmt.Errorf("max_tokens = %d: want >= 1", c.MaxTokens)
	}
	if c.MaxSentences < 0 {
		return fmt.Errorf("max_sentences = %d: want >= 0 (0 = no limit)", c.MaxSentences)
	}
	return nil
}

// Plan returns batches as lists of example indices. Examples are ordered
// by (target length, source length) so that a batch wastes little on
// padding; the order of batches is shuffled with seed when shuffle is set
// (each epoch passes its own seed), and kept by length otherwise.
func (c Batching) Plan(data []Example, shuffle bool, seed int64) ([][]int, error) {
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	if shuffle {
		// Shuffle first so that ties in length are broken differently each epoch.
		rand.New(rand.NewSource(seed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := data[order[i]], data[order[j]]
		if len(a.Tgt) != len(b.Tgt) {
			return len(a.Tgt) < len(b.Tgt)
		}
		return len(a.Src) < len(b.Src)
	})
	var batches [][]int
	var cur []int
	longest := 0
	for _, i := range order {
		n := max(len(data[i].Src), len(data[i].Tgt)) + 1
		if n > c.MaxTokens {
			return nil, fmt.Errorf("example %d has %d tokens, more than max_tokens = %d: filter by length first", i, n, c.MaxTokens)
		}
		grown := max(longest, n)
		if len(cur) > 0 && (grown*(len(cur)+1) > c.MaxTokens || (c.MaxSentences > 0 && len(cur) >= c.MaxSentences)) {
			batches = append(batches, cur)
			cur, grown = nil, n
		}
		cur = append(cur, i)
		longest = grown
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	if shuffle {
		rand.New(rand.NewSource(seed+1)).Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	}
	return batches, nil
}

// Collate pads the examples at idx into a Batch on device.
func Collate(data []Example, idx []int, pad, eos int64, device gotch.Device) (b *Batch, err error) {
	defer torch.Recover(&err)
	maxS, maxT := 0, 0
	for _, i := range idx {
		maxS = max(maxS, len(data[i].Src)+1)
		maxT = max(maxT, len(data[i].Tgt)+1)
	}
	n := len(idx)
	src := filled(n*maxS, pad)
	prev := filled(n*maxT, pad)
	tgt := filled(n*maxT, pad)
	b = &Batch{Sentences: n, Indices: idx}
	for row, i := range idx {
		ex := data[i]
		s := src[row*maxS:]
		for j, t := range ex.Src {
			s[j] = int64(t)
		}
		s[len(ex.Src)] = eos
		p, y := prev[row*maxT:], tgt[row*maxT:]
		p[0] = eos
		for j, t := range ex.Tgt {
			y[j] = int64(t)
			p[j+1] = int64(t)
		}
		y[len(ex.Tgt)] = eos
		b.SrcTokens += int64(len(ex.Src) + 1)
		b.TgtTokens += int64(len(ex.Tgt) + 1)
	}
	b.Src = idsTensor(src, n, maxS, device)
	b.Prev = idsTensor(prev, n, maxT, device)
	b.Target = idsTensor(tgt, n, maxT, device)
	return b, nil
}

func filled(n int, v int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func idsTensor(vals []int64, rows, cols int, device gotch.Device) *ts.Tensor {
	t := torch.Must(ts.OfSlice(vals))
	t = torch.Must(t.View([]int64{int64(rows), int64(cols)}, true))
	if device != gotch.CPU {
		t = torch.Must(t.To(device, true))
	}
	return t
}
