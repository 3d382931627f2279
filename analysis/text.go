package analysis

import (
	"fmt"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/nmt"
	"github.com/zoo-nn/zoo/torch"
)

// multi30kData is the [data] section of recipes/multi30k-*.toml: the
// same settings (test split included, which the cache key hashes) find
// the corpus those recipes prepared in the cache.
func multi30kData() nmt.DataConfig {
	d := nmt.DefaultDataConfig()
	d.Source, d.Target = "de", "en"
	d.Train, d.Valid, d.Test = "multi30k:train", "multi30k:val", "multi30k:test_2016_flickr"
	d.BPEMerges, d.MaxLen = 8000, 128
	return d
}

// labelSmoothing is the recipes' ε.
const labelSmoothing = 0.1

// textTask is the Transformer on a translation corpus's training pairs.
type textTask struct {
	base    nmt.Config // widths, vocabulary, symbols; the depth and variant are set per model
	data    []nmt.Example
	measure [][]int // the measured batches (example indices)
	stream  [][]int // the training batches, cycled
	device  gotch.Device
	name    string // e.g. "multi30k:train (de→en)"
}

// loadTextTask prepares (or loads from the cache) multi30k and plans
// its batches.
func loadTextTask(c GradsConfig) (*textTask, error) { return loadTextTaskFrom(c, multi30kData()) }

// loadTextTaskFrom prepares (or loads from the cache) the corpus d
// names and plans its batches.
func loadTextTaskFrom(c GradsConfig, d nmt.DataConfig) (*textTask, error) {
	corpus, err := nmt.LoadCorpus(d)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if c.Log != nil {
		fmt.Fprintf(c.Log, "data: %s, %d training pairs, dictionary %d symbols (%s)\n", d.Train, len(corpus.Train), corpus.Dict.Len(), corpus.Dir)
	}
	vocab := int64(corpus.Dict.Len())
	base, err := transformerBase(vocab)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s (%s→%s, %d pairs)", d.Train, d.Source, d.Target, len(corpus.Train))
	return newTextTask(c, base, corpus.Train, name)
}

// transformerBase is the analysed Transformer: the small preset's widths
// (d 256, 4 heads, FFN 1024), no dropout of any kind (so that a forward
// pass is a function of the weights and the batch alone), one decoder
// layer, shared embeddings as in the recipes.
func transformerBase(vocab int64) (nmt.Config, error) {
	c, err := nmt.Preset("small", vocab, vocab)
	if err != nil {
		return c, err
	}
	c.Dropout, c.AttentionDropout, c.ActivationDropout = 0, 0, 0
	c.DecoderLayers = 1
	c.ShareAllEmbeddings = true
	return c, nil
}

// newTextTask plans batches of at most c.MaxTokens padded tokens over
// data, shuffled with c.Seed: the first c.Batches are measured, the rest
// feed training (cycled).
func newTextTask(c GradsConfig, base nmt.Config, data []nmt.Example, name string) (*textTask, error) {
	plan, err := nmt.Batching{MaxTokens: c.MaxTokens}.Plan(data, true, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if len(plan) < c.Batches {
		return nil, fmt.Errorf("data: %s makes %d batches of max %d tokens, fewer than the %d to measure", name, len(plan), c.MaxTokens, c.Batches)
	}
	t := &textTask{base: base, data: data, measure: plan[:c.Batches], stream: plan[c.Batches:], device: c.Device, name: name}
	if len(t.stream) == 0 {
		t.stream = plan
	}
	return t, nil
}

func (t *textTask) newModel(vs *nn.VarStore, v Variant, depth int) (model, error) {
	c := t.base
	c.EncoderLayers = depth
	c.Residual, c.ResidualParams = v.Name, v.Params
	c.EncoderResidual, c.DecoderResidual = "", ""
	c.EncoderResidualParams, c.DecoderResidualParams = nil, nil
	m, err := nmt.New(vs.Root(), c)
	if err != nil {
		return nil, err
	}
	return &textModel{t: t, m: m, depth: depth}, nil
}

func (t *textTask) measured() int { return len(t.measure) }

func (t *textTask) weight(i int) int64 {
	var n int64
	for _, j := range t.measure[i] {
		n += int64(len(t.data[j].Tgt) + 1) // EOS included, as Collate counts
	}
	return n
}

func (t *textTask) describe() (string, string) {
	return t.name, "encoder layer (self-attention and feed-forward residual joins together)"
}

func (t *textTask) close() {}

// textModel is one Transformer under analysis.
type textModel struct {
	t     *textTask
	m     *nmt.Model
	depth int
}

func (tm *textModel) blocks() []string { return tm.m.BlockPrefixes()[:tm.depth] }

func (tm *textModel) setProbe(p func(int, *ts.Tensor)) { tm.m.SetProbe(p) }

// loss returns the label-smoothed loss of the batch idx summed over its
// target tokens, and their count.
func (tm *textModel) loss(idx []int) (*ts.Tensor, int64) {
	c := tm.m.Config()
	b, err := nmt.Collate(tm.t.data, idx, c.PaddingIdx, c.EOSIdx, tm.t.device)
	torch.Check(err)
	defer b.Free()
	logits, err := tm.m.Forward(b.Src, b.Prev, true)
	torch.Check(err)
	defer torch.Free(logits)
	l, err := nmt.LabelSmoothedLoss(logits, b.Target, labelSmoothing, c.PaddingIdx)
	torch.Check(err)
	return l, b.TgtTokens
}

func (tm *textModel) measureLoss(i int) *ts.Tensor {
	l, _ := tm.loss(tm.t.measure[i])
	return l
}

func (tm *textModel) trainLoss(s int) *ts.Tensor {
	l, n := tm.loss(tm.t.stream[s%len(tm.t.stream)])
	return meanOf(l, n)
}

func (tm *textModel) close() {}

// meanOf returns sum/n and frees sum.
func meanOf(sum *ts.Tensor, n int64) *ts.Tensor {
	s := ts.FloatScalar(1 / float64(max(n, 1)))
	defer s.Drop()
	return torch.Must(sum.MulScalar(s, true))
}
