package nmt

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// TestShapesEveryVariant builds the model with each registered variant
// (and one mixed encoder/decoder pair) and checks the logits' shape in
// training and evaluation.
func TestShapesEveryVariant(t *testing.T) {
	cfgs := map[string]Config{}
	for _, name := range layers.Variants.Names() {
		cfgs[name] = tinyConfig(name)
	}
	mixed := tinyConfig("post-ln")
	mixed.EncoderResidual, mixed.DecoderResidual = "pre-ln", "rskip-ln"
	mixed.Activation = ActivationGELU
	cfgs["pre-ln encoder, rskip-ln decoder, gelu"] = mixed
	rng := rand.New(rand.NewSource(1))
	src := randomRows(rng, 3, 7, 11)
	src[0][5], src[0][6] = tPad, tPad
	prev := withEOSFirst(randomRows(rng, 3, 4, 13))
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			m, _ := newModel(t, cfg, 1)
			for _, train := range []bool{true, false} {
				logits, err := m.Forward(tokens(t, src), tokens(t, prev), train)
				if err != nil {
					t.Fatal(err)
				}
				if got := torch.Shape(logits); fmt.Sprint(got) != "[3 5 13]" {
					t.Fatalf("train=%v: logits %v, want [3 5 13]", train, got)
				}
				for _, v := range values(logits) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("train=%v: non-finite logit %v", train, v)
					}
				}
			}
		})
	}
}

// TestVariableNames pins the state-dict names of a one-layer model.
func TestVariableNames(t *testing.T) {
	attn := func(p string) []string {
		return []string{p + ".in_proj_weight", p + ".in_proj_bias", p + ".out_proj.weight", p + ".out_proj.bias"}
	}
	norm := func(p string) []string { return []string{p + ".weight", p + ".bias"} }
	layer := func(p string, dec bool, resNorm func(string) []string) []string {
		n := append(attn(p+".self_attn"), resNorm(p+".self_attn_residual")...)
		if dec {
			n = append(n, attn(p+".encoder_attn")...)
			n = append(n, resNorm(p+".encoder_attn_residual")...)
		}
		n = append(n, p+".fc1.weight", p+".fc1.bias", p+".fc2.weight", p+".fc2.bias")
		return append(n, resNorm(p+".ffn_residual")...)
	}
	lnNorm := func(p string) []string { return norm(p + ".norm") }
	none := func(string) []string { return nil }
	cases := []struct {
		name string
		edit func(*Config)
		want []string
	}{
		{"post-ln, untied", func(*Config) {}, slices.Concat(
			[]string{"encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "decoder.output_projection.weight"},
			layer("encoder.layers.0", false, lnNorm), layer("decoder.layers.0", true, lnNorm))},
		{"pre-ln adds the final norms", func(c *Config) { c.Residual = "pre-ln" }, slices.Concat(
			[]string{"encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "decoder.output_projection.weight"},
			norm("encoder.layer_norm"), norm("decoder.layer_norm"),
			layer("encoder.layers.0", false, lnNorm), layer("decoder.layers.0", true, lnNorm))},
		{"rskip-ln order 2 with plain decoder, tied output", func(c *Config) {
			c.Residual, c.DecoderResidual, c.ShareDecoderInputOutputEmbed = "rskip-ln", "plain", true
		}, slices.Concat(
			[]string{"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"},
			layer("encoder.layers.0", false, func(p string) []string {
				return append(norm(p+".norms.0"), norm(p+".norms.1")...)
			}), layer("decoder.layers.0", true, none))},
		{"all shared", func(c *Config) { c.ShareAllEmbeddings, c.TgtVocab = true, 11 }, slices.Concat(
			[]string{"encoder.embed_tokens.weight"},
			layer("encoder.layers.0", false, lnNorm), layer("decoder.layers.0", true, lnNorm))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig("post-ln")
			cfg.EncoderLayers, cfg.DecoderLayers = 1, 1
			tc.edit(&cfg)
			_, vs := newModel(t, cfg, 1)
			var got []string
			for n := range vs.Variables() {
				got = append(got, n)
			}
			sort.Strings(got)
			want := slices.Clone(tc.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("variables\n got %s\nwant %s", strings.Join(got, " "), strings.Join(want, " "))
			}
		})
	}
}

// TestGradientReachesEveryParameter: every variable of every variant
// gets a non-zero gradient from one loss (the key bias within in_proj_bias
// is mathematically gradient-free, but each tensor as a whole is not).
func TestGradientReachesEveryParameter(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	src := randomRows(rng, 2, 6, 11)
	tgt := randomRows(rng, 2, 5, 13)
	for _, name := range layers.Variants.Names() {
		t.Run(name, func(t *testing.T) {
			m, vs := newModel(t, tinyConfig(name), 3)
			logits, err := m.Forward(tokens(t, src), tokens(t, withEOSFirst(tgt)), true)
			if err != nil {
				t.Fatal(err)
			}
			tgtEOS := make([][]int64, len(tgt))
			for i, r := range tgt {
				tgtEOS[i] = append(slices.Clone(r), tEOS)
			}
			var loss *ts.Tensor
			if err := torch.Try(func() { loss = meanLoss(m, logits, tokens(t, tgtEOS)) }); err != nil {
				t.Fatal(err)
			}
			torch.Check(loss.Backward())
			for vname := range vs.Variables() {
				v, err := vs.Root().Get(vname)
				if err != nil {
					t.Fatal(err)
				}
				g := torch.Must(v.Grad(false))
				if !g.MustDefined() {
					t.Errorf("%s: no gradient", vname)
					continue
				}
				total := 0.0
				for _, x := range values(g) {
					total += math.Abs(x)
				}
				if total == 0 || math.IsNaN(total) {
					t.Errorf("%s: gradient sum |g| = %v", vname, total)
				}
			}
		})
	}
}

// TestCausalMaskBlocksTheFuture: changing target token j changes no
// logit before j (and does change position j's).
func TestCausalMaskBlocksTheFuture(t *testing.T) {
	for _, variant := range []string{"post-ln", "pre-ln"} {
		t.Run(variant, func(t *testing.T) {
			m, _ := newModel(t, tinyConfig(variant), 4)
			src := [][]int64{{5, 6, 7, 8, tEOS}}
			prev := [][]int64{{tEOS, 4, 5, 6, 7, 8}}
			base := evalLogits(t, m, src, prev)
			for j := int64(1); j < 6; j++ {
				changed := [][]int64{slices.Clone(prev[0])}
				changed[0][j] = 12
				other := evalLogits(t, m, src, changed)
				if d := maxAbsDiff(narrowValues(base, 1, 0, j), narrowValues(other, 1, 0, j)); d != 0 {
					t.Errorf("token %d changed earlier logits by %g", j, d)
				}
				if d := maxAbsDiff(narrowValues(base, 1, j, 1), narrowValues(other, 1, j, 1)); d == 0 {
					t.Errorf("token %d did not change its own logits", j)
				}
			}
		})
	}
}

// TestPaddingMaskBlocksPads: a sentence's logits do not depend on how
// much padding surrounds it, nor on which side.
func TestPaddingMaskBlocksPads(t *testing.T) {
	m, _ := newModel(t, tinyConfig("post-ln"), 5)
	prev := [][]int64{{tEOS, 4, 9, 6}}
	alone := evalLogits(t, m, [][]int64{{5, 6, 7, tEOS}}, prev)
	for name, src := range map[string][][]int64{
		"right": {{5, 6, 7, tEOS, tPad, tPad, tPad}},
		"left":  {{tPad, tPad, 5, 6, 7, tEOS}},
	} {
		padded := evalLogits(t, m, src, prev)
		if d := maxAbsDiff(values(alone), values(padded)); d > 1e-5 {
			t.Errorf("%s padding changed the logits by %g", name, d)
		}
	}
	// And batching: a short padded sentence next to a long one.
	batch := evalLogits(t, m, [][]int64{{5, 6, 7, tEOS, tPad}, {4, 8, 9, 10, tEOS}}, [][]int64{prev[0], prev[0]})
	if d := maxAbsDiff(values(alone), narrowValues(batch, 0, 0, 1)); d > 1e-5 {
		t.Errorf("batching with a longer sentence changed the logits by %g", d)
	}
}

// TestSinusoidalPositions checks the table against fairseq's formula
// computed in float64.
func TestSinusoidalPositions(t *testing.T) {
	for _, dim := range []int64{8, 9} {
		const rows, pad = 40, 1
		table, err := sinusoidalTable(rows, dim, pad, gotch.CPU)
		if err != nil {
			t.Fatal(err)
		}
		if got := torch.Shape(table); fmt.Sprint(got) != fmt.Sprint([]int64{rows, dim}) {
			t.Fatalf("table shape %v", got)
		}
		got := values(table)
		half := dim / 2
		for p := int64(0); p < rows; p++ {
			for i := int64(0); i < dim; i++ {
				want := 0.0
				if p != pad && i < 2*half {
					f := math.Exp(-float64(i%half) * math.Log(10000) / float64(half-1))
					want = math.Sin(float64(p) * f)
					if i >= half {
						want = math.Cos(float64(p) * f)
					}
				}
				if d := math.Abs(got[p*dim+i] - want); d > 2e-5 {
					t.Fatalf("dim %d: table[%d][%d] = %v, want %v", dim, p, i, got[p*dim+i], want)
				}
			}
		}
	}
}

// fairseqParams counts a fairseq Transformer's parameters from its
// architecture (post-ln: two LN per encoder layer, three per decoder
// layer, no final norms; sinusoidal positions have none).
func fairseqParams(c Config) int64 {
	d, f := c.DModel, c.FFNDim
	attn := 4*d*d + 4*d
	ffn := 2*d*f + f + d
	ln := 2 * d
	enc := int64(c.EncoderLayers) * (attn + ffn + 2*ln)
	dec := int64(c.DecoderLayers) * (2*attn + ffn + 3*ln)
	emb := c.SrcVocab * d
	if !c.ShareAllEmbeddings {
		emb += c.TgtVocab * d
	}
	if !c.sharesOutput() {
		emb += c.TgtVocab * d
	}
	return emb + enc + dec
}

func TestParamCountMatchesFairseq(t *testing.T) {
	base, _ := Preset("transformer_wmt_en_de", 32768, 32768)
	base.ShareAllEmbeddings = true
	tied := tinyConfig("post-ln")
	tied.ShareDecoderInputOutputEmbed = true
	for name, cfg := range map[string]Config{
		"base, shared, 32768": base,
		"tiny, untied":        tinyConfig("post-ln"),
		"tiny, tied output":   tied,
	} {
		_, vs := newModel(t, cfg, 1)
		if got, want := NumParams(vs), fairseqParams(cfg); got != want {
			t.Errorf("%s: %d parameters, fairseq has %d", name, got, want)
		}
	}
	if got := fairseqParams(base); got != 60_915_712 {
		t.Errorf("formula: base with a shared 32768 vocabulary has %d parameters", got)
	}
}

// TestModelErrors: bad inputs come back as errors, not crashes.
func TestModelErrors(t *testing.T) {
	m, _ := newModel(t, tinyConfig("post-ln"), 1)
	long := make([]int64, 65)
	for i := range long {
		long[i] = 5
	}
	if _, err := m.Forward(tokens(t, [][]int64{long}), tokens(t, [][]int64{{tEOS}}), false); err == nil ||
		!strings.Contains(err.Error(), "source length 65 exceeds max_positions = 64") {
		t.Errorf("too long: %v", err)
	}
	if _, err := m.Forward(tokens(t, [][]int64{{5, 11}}), tokens(t, [][]int64{{tEOS}}), false); err == nil {
		t.Error("a source token beyond the vocabulary gave no error")
	}
	if _, err := New(nn.NewVarStore(gotch.CPU).Root(), Config{}); err == nil || !strings.Contains(err.Error(), "nmt config") {
		t.Errorf("zero config: %v", err)
	}
}
