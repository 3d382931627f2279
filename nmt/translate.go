package nmt

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/zoo-nn/zoo/tokenizer"
	"github.com/zoo-nn/zoo/train"
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
// order, and how many sources were cut to the model's max_positions
// (fairseq refuses such inputs; a translation of the first part is more
// use than a failed file). Sources are decoded in length-sorted batches
// so that little is spent on padding. Once ctx is done it stops (between
// decoding steps) and returns ctx's error, wrapped: a test set takes
// minutes, and Ctrl-C must not wait for it.
func (t Translator) TranslateIDs(ctx context.Context, srcs [][]int32) (out []string, truncated int, err error) {
	limit := int(t.Model.cfg.MaxPositions) - 1 // EOS takes the last position
	data := make([]Example, len(srcs))
	for i, s := range srcs {
		if len(s) > limit {
			s, truncated = s[:limit], truncated+1
		}
		data[i] = Example{Src: s}
	}
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(data[order[a]].Src) < len(data[order[b]].Src) })
	out = make([]string, len(data))
	for lo := 0; lo < len(order); {
		if err := ctx.Err(); err != nil {
			return nil, truncated, fmt.Errorf("decoding stopped after %d of %d sentences: %w", lo, len(order), err)
		}
		hi := t.batchEnd(data, order, lo)
		if err := t.decodeBatch(ctx, data, order[lo:hi], out); err != nil {
			if ctx.Err() != nil { // stopped inside the batch
				return nil, truncated, fmt.Errorf("decoding stopped after %d of %d sentences: %w", lo, len(order), err)
			}
			return nil, truncated, err
		}
		if afterDecodeBatch != nil {
			afterDecodeBatch(hi)
		}
		lo = hi
	}
	return out, truncated, nil
}

// afterDecodeBatch, set by a test, runs after every decoded batch with
// the number of sentences decoded so far (to cancel a run mid-decoding).
var afterDecodeBatch func(decoded int)

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

func (t Translator) decodeBatch(ctx context.Context, data []Example, idx []int, out []string) error {
	b, err := Collate(data, idx, t.Model.cfg.PaddingIdx, t.Model.cfg.EOSIdx, t.Model.Device())
	if err != nil {
		return err
	}
	defer b.Free()
	best := make([]Hypothesis, len(idx))
	if t.Greedy {
		if best, err = t.Model.GreedyContext(ctx, b.Src, t.Gen); err != nil {
			return fmt.Errorf("greedy search: %w", err)
		}
	} else {
		hyps, err := t.Model.GenerateContext(ctx, b.Src, t.Gen)
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

// Pipeline translates raw text with a trained run: the run folder's
// config, dictionary and BPE codes, and one of its checkpoints.
type Pipeline struct {
	Recipe     Recipe
	Translator Translator
	tok        *tokenizer.Tokenizer
	detok      *tokenizer.Tokenizer
	bpe        *tokenizer.BPE // nil for format = "bpe" (input already segmented)
	vs         *nn.VarStore
}

// LoadPipeline rebuilds the model of the run in runDir and loads
// checkpoint into it (a path, or a name inside runDir; it may live
// elsewhere, e.g. an average written by zoo average).
func LoadPipeline(runDir, checkpoint string, device gotch.Device) (*Pipeline, error) {
	run := train.RunDir{Path: runDir}
	var r Recipe
	if err := run.ReadJSON(train.ConfigFile, &r); err != nil {
		return nil, fmt.Errorf("run folder %s: %w (is it a zoo run folder?)", runDir, err)
	}
	dict, err := tokenizer.LoadDictionary(run.File("dict.txt"))
	if err != nil {
		return nil, fmt.Errorf("run folder %s: %w", runDir, err)
	}
	p := &Pipeline{Recipe: r, tok: tokenizer.NewTokenizer(r.Data.Source), detok: tokenizer.NewTokenizer(r.Data.Target)}
	if r.Data.Format != FormatBPE {
		codes, err := tokenizer.LoadCodes(run.File("codes.bpe"))
		if err != nil {
			return nil, fmt.Errorf("run folder %s: %w", runDir, err)
		}
		if p.bpe, err = tokenizer.NewBPE(codes, tokenizer.ApplyOptions{}); err != nil {
			return nil, err
		}
	}
	cfg, err := r.ModelConfig(int64(dict.Len()), int64(dict.Len()))
	if err != nil {
		return nil, err
	}
	p.vs = nn.NewVarStore(device)
	model, err := New(p.vs.Root(), cfg)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(checkpoint); err != nil {
		checkpoint = run.File(checkpoint)
	}
	if _, err := train.LoadCheckpoint(checkpoint, p.vs, nil); err != nil {
		return nil, err
	}
	p.Translator = Translator{Model: model, Dict: dict, Gen: r.Eval.GenerateConfig, Greedy: r.Eval.Greedy,
		Batching: Batching{MaxTokens: r.Eval.MaxTokens}}
	return p, nil
}

// Segment turns a raw source line into subwords as training did.
func (p *Pipeline) Segment(line string) string {
	switch p.Recipe.Data.Format {
	case FormatRaw:
		line = p.tok.TokenizeString(line)
	default:
		line = normalizeSpaces(line)
	}
	if p.bpe != nil {
		line = p.bpe.ProcessLine(line)
	}
	return line
}

// TranslateLines translates raw source lines into detokenized target
// lines, in order, and says how many were cut to max_positions.
func (p *Pipeline) TranslateLines(lines []string) ([]string, int, error) {
	srcs := make([][]int32, len(lines))
	for i, l := range lines {
		srcs[i] = ids(p.Translator.Dict, p.Segment(l))
	}
	// zoo translate keeps the default signal handling (Ctrl-C ends it at
	// once: there is no state to save), so nothing here is cancelled.
	subwords, truncated, err := p.Translator.TranslateIDs(context.Background(), srcs)
	if err != nil {
		return nil, truncated, err
	}
	out := make([]string, len(subwords))
	for i, s := range subwords {
		out[i] = p.detok.DetokenizeString(tokenizer.RemoveBPE(s, tokenizer.DefaultSeparator))
	}
	return out, truncated, nil
}
