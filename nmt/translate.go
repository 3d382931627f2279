package nmt

import (
	"fmt"
	"sort"

	"github.com/zoo-nn/zoo/tokenizer"
)

// Translator turns token-id sources into detokenized text with a model.
type Translator struct {
	Model    *Model
	Dict     *tokenizer.Dictionary
	Gen      GenerateConfig
	Greedy   bool // greedy search instead of beam search
	Batching Batching
}

// TranslateIDs decodes every source (ids without EOS) and returns the
// best hypothesis of each, as a line of subwords (joiners kept), in input
// order. Sources are decoded in length-sorted batches so that little is
// spent on padding.
func (t Translator) TranslateIDs(srcs [][]int32) ([]string, error) {
	data := make([]Example, len(srcs))
	for i, s := range srcs {
		data[i] = Example{Src: s}
	}
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(data[order[a]].Src) < len(data[order[b]].Src) })
	out := make([]string, len(data))
	for lo := 0; lo < len(order); {
		hi := t.batchEnd(data, order, lo)
		if err := t.decodeBatch(data, order[lo:hi], out); err != nil {
			return nil, err
		}
		lo = hi
	}
	return out, nil
}

// batchEnd grows a batch of sources until max_tokens (or max_sentences)
// would be exceeded.
func (t Translator) batchEnd(data []Example, order []int, lo int) int {
	longest, hi := 0, lo
	for hi < len(order) {
		n := len(data[order[hi]].Src) + 1
		grown := max(longest, n)
		if hi > lo && (grown*(hi-lo+1) > t.Batching.MaxTokens || (t.Batching.MaxSentences > 0 && hi-lo >= t.Batching.MaxSentences)) {
			break
		}
		longest, hi = grown, hi+1
	}
	return hi
}

func (t Translator) decodeBatch(data []Example, idx []int, out []string) error {
	b, err := Collate(data, idx, t.Model.cfg.PaddingIdx, t.Model.cfg.EOSIdx, t.Model.Device())
	if err != nil {
		return err
	}
	defer b.Free()
	best := make([]Hypothesis, len(idx))
	if t.Greedy {
		if best, err = t.Model.Greedy(b.Src, t.Gen); err != nil {
			return fmt.Errorf("greedy search: %w", err)
		}
	} else {
		hyps, err := t.Model.Generate(b.Src, t.Gen)
		if err != nil {
			return fmt.Errorf("beam search: %w", err)
		}
		for i, h := range hyps {
			best[i] = h[0]
		}
	}
	for i, h := range best {
		ids := make([]int, len(h.Tokens))
		for j, v := range h.Tokens {
			ids[j] = int(v)
		}
		out[idx[i]] = t.Dict.Decode(ids)
	}
	return nil
}
