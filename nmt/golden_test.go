package nmt

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"sort"
	"testing"

	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

type goldenTensor struct {
	Shape []int64   `json:"shape"`
	Data  []float32 `json:"data"`
}

type goldenFile struct {
	DModel        int64     `json:"d_model"`
	Heads         int64     `json:"heads"`
	FFNDim        int64     `json:"ffn_dim"`
	EncoderLayers int       `json:"encoder_layers"`
	DecoderLayers int       `json:"decoder_layers"`
	SrcVocab      int64     `json:"src_vocab"`
	TgtVocab      int64     `json:"tgt_vocab"`
	PaddingIdx    int64     `json:"padding_idx"`
	Src           [][]int64 `json:"src"`
	Prev          [][]int64 `json:"prev"`
	Cases         []struct {
		Residual string                  `json:"residual"`
		Weights  map[string]goldenTensor `json:"weights"`
		Logits   goldenTensor            `json:"logits"`
	} `json:"cases"`
}

// TestMatchesPyTorchTransformer loads weights written by
// testdata/transformer_golden.py (PyTorch's nn.TransformerEncoderLayer
// and nn.TransformerDecoderLayer, post-norm and norm-first, with
// fairseq's embedding scale and sinusoidal positions) under zoo's names
// and compares the logits: this pins the attention, masks, the FFN, the
// place of every norm and the positional table to an implementation
// that shares no code with this package.
func TestMatchesPyTorchTransformer(t *testing.T) {
	raw, err := os.ReadFile("testdata/transformer_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		t.Run(c.Residual, func(t *testing.T) {
			cfg := tinyConfig(c.Residual)
			cfg.DModel, cfg.Heads, cfg.FFNDim = g.DModel, g.Heads, g.FFNDim
			cfg.EncoderLayers, cfg.DecoderLayers = g.EncoderLayers, g.DecoderLayers
			cfg.SrcVocab, cfg.TgtVocab, cfg.PaddingIdx = g.SrcVocab, g.TgtVocab, g.PaddingIdx
			m, vs := newModel(t, cfg, 1)
			var names []string
			for n := range vs.Variables() {
				names = append(names, n)
			}
			sort.Strings(names)
			if want := slices.Sorted(maps.Keys(c.Weights)); !slices.Equal(names, want) {
				t.Fatalf("variables\n got %v\nwant %v", names, want)
			}
			for _, n := range names {
				v, err := vs.Root().Get(n)
				if err != nil {
					t.Fatal(err)
				}
				w := c.Weights[n]
				src := torch.Must(torch.Must(ts.OfSlice(w.Data)).View(w.Shape, true))
				torch.CopyInto(v, src)
			}
			logits := evalLogits(t, m, g.Src, g.Prev)
			want := make([]float64, len(c.Logits.Data))
			for i, x := range c.Logits.Data {
				want[i] = float64(x)
			}
			d := maxAbsDiff(values(logits), want)
			t.Logf("max |Δlogit| = %.2g", d)
			if d > 1e-5 {
				t.Errorf("logits differ from PyTorch's by %g", d)
			}
		})
	}
}
