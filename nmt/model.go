package nmt

import (
	"fmt"
	"math"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/layers"
	"github.com/zoo-nn/zoo/torch"
)

// Model is the encoder-decoder Transformer. Its variables live in the
// VarStore of the path given to New; the Model keeps pointers to them,
// which keeps them alive.
//
// Tensors are batch-first: sources [B, S] and targets [B, T] are int64
// token ids on the model's device, hidden states are [B, T, D].
type Model struct {
	cfg     Config
	device  gotch.Device
	table   *ts.Tensor // sinusoidal positions, [MaxPositions+pad+1, D]
	encEmb  *embedder
	decEmb  *embedder
	enc     []*encoderLayer
	dec     []*decoderLayer
	encNorm *layerNorm // nil unless the encoder's variant asks for one
	decNorm *layerNorm
	outW    *ts.Tensor // [TgtVocab, D], maybe the target embedding
	pad     *ts.Scalar
	probe   Probe // nil unless SetProbe installed one
}

// Probe observes the input of each block of a stack during a forward
// pass, for analyses that need dL/dx_l (zoo analyze grads): it is called
// with the block's index l (0-based) and its input x_l. x stays the
// model's: a probe must neither free nor modify it, and to keep it past
// the call (to take a gradient with respect to it after backward) it
// keeps its own handle, torch.Must(x.ShallowClone()), and frees that.
type Probe func(block int, x *ts.Tensor)

// SetProbe makes every encoder pass (Forward, Encode, and so decoding)
// call p with the input of each encoder layer, the embeddings being
// layer 0's; nil, the default, removes it and costs nothing. A layer is
// one block here: its self-attention and feed-forward residual joins
// together.
func (m *Model) SetProbe(p Probe) { m.probe = p }

// BlockPrefixes returns the name prefix of each layer's variables in
// the VarStore, encoder layers first: "encoder.layers.0.", ...,
// "decoder.layers.0.", .... Embeddings, positions, final norms and the
// output projection belong to no layer. (train.BlockGradNorms groups
// gradients by these.)
func (m *Model) BlockPrefixes() []string {
	var out []string
	for _, stack := range []struct {
		name string
		n    int
	}{{"encoder", len(m.enc)}, {"decoder", len(m.dec)}} {
		for i := range stack.n {
			out = append(out, fmt.Sprintf("%s.layers.%d.", stack.name, i))
		}
	}
	return out
}

// New validates cfg and creates the model's variables under p, named as
// fairseq's state dict with two deliberate differences: attention keeps
// PyTorch's packed in_proj_weight / in_proj_bias (fairseq's q_proj, k_proj
// and v_proj stacked in that order, so splitting it in three converts),
// and each residual's variables sit under <sublayer>_residual (for
// example encoder.layers.0.self_attn_residual.norm.weight, which is
// fairseq's encoder.layers.0.self_attn_layer_norm.weight for post-ln and
// pre-ln). Shared matrices are stored once: encoder.embed_tokens.weight
// under share_all_embeddings, decoder.embed_tokens.weight for a tied
// output projection, else decoder.output_projection.weight.
func New(p *nn.Path, cfg Config) (m *Model, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			m = nil
		}
	}()
	defer torch.Recover(&err)
	m = &Model{cfg: cfg.clone(), device: p.Device(), pad: ts.IntScalar(cfg.PaddingIdx)}
	m.table, err = sinusoidalTable(cfg.MaxPositions+cfg.PaddingIdx+1, cfg.DModel, cfg.PaddingIdx, m.device)
	if err != nil {
		return nil, fmt.Errorf("nmt: positions: %w", err)
	}
	if err := m.newEncoder(p.Sub("encoder")); err != nil {
		return nil, fmt.Errorf("nmt: encoder: %w", err)
	}
	if err := m.newDecoder(p.Sub("decoder")); err != nil {
		return nil, fmt.Errorf("nmt: decoder: %w", err)
	}
	return m, nil
}

func (m *Model) newEmbedder(weight *ts.Tensor) *embedder {
	return &embedder{
		weight: weight, table: m.table, pad: m.pad, padIdx: m.cfg.PaddingIdx,
		scale: ts.FloatScalar(math.Sqrt(float64(m.cfg.DModel))), dropout: m.cfg.Dropout,
	}
}

func (m *Model) newEncoder(p *nn.Path) error {
	c := m.cfg
	w, err := newTokenEmbedding(p.Sub("embed_tokens"), c.SrcVocab, c.DModel, c.PaddingIdx)
	if err != nil {
		return fmt.Errorf("embed_tokens: %w", err)
	}
	m.encEmb = m.newEmbedder(w)
	build, err := layers.Variants.Build(c.stackResidual("encoder"))
	if err != nil {
		return err
	}
	for i := range c.EncoderLayers {
		l, err := newEncoderLayer(p.Sub("layers").Sub(fmt.Sprint(i)), c, build)
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		m.enc = append(m.enc, l)
	}
	m.encNorm, err = m.finalNorm(p, m.enc[len(m.enc)-1].ffnRes.res)
	return err
}

func (m *Model) newDecoder(p *nn.Path) error {
	c := m.cfg
	w := m.encEmb.weight
	if !c.ShareAllEmbeddings {
		var err error
		if w, err = newTokenEmbedding(p.Sub("embed_tokens"), c.TgtVocab, c.DModel, c.PaddingIdx); err != nil {
			return fmt.Errorf("embed_tokens: %w", err)
		}
	}
	m.decEmb = m.newEmbedder(w)
	build, err := layers.Variants.Build(c.stackResidual("decoder"))
	if err != nil {
		return err
	}
	for i := range c.DecoderLayers {
		l, err := newDecoderLayer(p.Sub("layers").Sub(fmt.Sprint(i)), c, build)
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		m.dec = append(m.dec, l)
	}
	if m.decNorm, err = m.finalNorm(p, m.dec[len(m.dec)-1].ffnRes.res); err != nil {
		return err
	}
	m.outW, err = m.outputProjection(p, w)
	return err
}

// finalNorm makes a stack's layer_norm when its last block leaves the
// output un-normalized, and returns nil otherwise.
func (m *Model) finalNorm(p *nn.Path, last layers.Residual) (*layerNorm, error) {
	if !last.FinalNorm() {
		return nil, nil
	}
	n, err := newLayerNorm(p.Sub("layer_norm"), m.cfg.DModel)
	if err != nil {
		return nil, fmt.Errorf("layer_norm: %w", err)
	}
	return n, nil
}

// outputProjection returns the target embedding when tied, else a new
// matrix with fairseq's init, N(0, D^-0.5), and no bias.
func (m *Model) outputProjection(p *nn.Path, embedding *ts.Tensor) (*ts.Tensor, error) {
	c := m.cfg
	if c.sharesOutput() {
		return embedding, nil
	}
	w, err := torch.NewParam(p.Sub("output_projection"), "weight", []int64{c.TgtVocab, c.DModel}, normal(math.Pow(float64(c.DModel), -0.5)))
	if err != nil {
		return nil, fmt.Errorf("output_projection: %w", err)
	}
	return w, nil
}

// Config returns a copy of the model's configuration.
func (m *Model) Config() Config { return m.cfg.clone() }

// Device is where the model's variables are and its inputs must be.
func (m *Model) Device() gotch.Device { return m.device }

// EncoderOut is the encoder's result for a batch of sources.
type EncoderOut struct {
	Out     *ts.Tensor // [B, S, D]
	PadMask *ts.Tensor // [B, 1, 1, S] bool, true at padded source positions
}

// Free drops the tensors; the EncoderOut is unusable afterwards.
func (e *EncoderOut) Free() {
	torch.Free(e.Out, e.PadMask)
	e.Out, e.PadMask = nil, nil
}

// Forward returns the logits [B, T, TgtVocab] for sources src [B, S] and
// decoder inputs prev [B, T] (the targets shifted right behind EOS, as
// fairseq's prev_output_tokens). Targets are right-padded: decoder
// self-attention masks only the future, which already hides every pad
// from every real token. The caller owns the result.
func (m *Model) Forward(src, prev *ts.Tensor, train bool) (logits *ts.Tensor, err error) {
	defer torch.Recover(&err)
	enc := m.encode(src, train)
	defer enc.Free()
	return m.decode(prev, enc, train), nil
}

// Encode runs the encoder on src [B, S]. The caller frees the result.
func (m *Model) Encode(src *ts.Tensor, train bool) (enc *EncoderOut, err error) {
	defer torch.Recover(&err)
	return m.encode(src, train), nil
}

// Decode runs the decoder on a whole target prefix prev [B, T] at once
// and returns the logits [B, T, TgtVocab]; enc stays the caller's.
func (m *Model) Decode(prev *ts.Tensor, enc *EncoderOut, train bool) (logits *ts.Tensor, err error) {
	defer torch.Recover(&err)
	return m.decode(prev, enc, train), nil
}

func (m *Model) encode(src *ts.Tensor, train bool) *EncoderOut {
	m.checkTokens("source", src)
	mask := torch.Must(src.Eq(m.pad, false))
	shape := torch.Shape(src)
	mask = torch.Must(mask.View([]int64{shape[0], 1, 1, shape[1]}, true))
	x := m.encEmb.forward(src, train)
	for i, l := range m.enc {
		if m.probe != nil {
			m.probe(i, x)
		}
		y := l.forward(x, mask, train)
		torch.Free(x)
		x = y
	}
	if m.encNorm != nil {
		x = m.encNorm.forward(x)
	}
	return &EncoderOut{Out: x, PadMask: mask}
}

// ForwardLoss runs the model on a batch and returns fairseq's
// label-smoothed loss (smoothing epsilon) summed over the non-pad target
// tokens, as a scalar tensor the caller owns and may call Backward on,
// and the summed NLL. It is Forward followed by LabelSmoothedLoss and
// NLLLoss, with the output projection and the loss fused on the CPU
// (headLoss): faster, and the [B, T, V] logits are not kept for backward.
func (m *Model) ForwardLoss(src, prev, target *ts.Tensor, epsilon float64, train bool) (loss *ts.Tensor, nll float64, err error) {
	defer torch.Recover(&err)
	enc := m.encode(src, train)
	defer enc.Free()
	h := m.decodeHidden(prev, enc, train)
	defer torch.Free(h)
	loss, nll = headLoss(h, m.outW, target, epsilon, m.cfg.PaddingIdx)
	return loss, nll, nil
}

func (m *Model) decode(prev *ts.Tensor, enc *EncoderOut, train bool) *ts.Tensor {
	return m.head(m.decodeHidden(prev, enc, train))
}

// decodeHidden runs the decoder stack and its final norm, if any: the
// input of the output projection.
func (m *Model) decodeHidden(prev *ts.Tensor, enc *EncoderOut, train bool) *ts.Tensor {
	m.checkTokens("target", prev)
	x := m.decEmb.forward(prev, train)
	causal := causalMask(torch.Shape(prev)[1], m.device)
	defer torch.Free(causal)
	for _, l := range m.dec {
		k, v := l.crossAttn.crossKV(enc.Out)
		y := l.forward(x, causal, k, v, enc.PadMask, train)
		torch.Free(x, k, v)
		x = y
	}
	return m.normDecoded(x)
}

// normDecoded applies the decoder's final norm, if any, and frees x.
func (m *Model) normDecoded(x *ts.Tensor) *ts.Tensor {
	if m.decNorm == nil {
		return x
	}
	return m.decNorm.forward(x)
}

// head applies the output projection to x [N, T, D] and frees x.
func (m *Model) head(x *ts.Tensor) *ts.Tensor {
	logits := linear(x, m.outW, nil)
	torch.Free(x)
	return logits
}

// checkTokens raises a readable error for a batch the positional table
// cannot cover (libtorch's own message is an index error).
func (m *Model) checkTokens(what string, t *ts.Tensor) {
	shape := torch.Shape(t)
	if len(shape) != 2 {
		torch.Errorf("%s tokens have shape %v: want [batch, length]", what, shape)
	}
	if shape[1] > m.cfg.MaxPositions {
		torch.Errorf("%s length %d exceeds max_positions = %d", what, shape[1], m.cfg.MaxPositions)
	}
}

// causalMask is true above the diagonal of a [T, T] matrix: query t may
// not see keys after t.
func causalMask(t int64, dev gotch.Device) *ts.Tensor {
	ones := torch.Must(ts.Ones([]int64{t, t}, gotch.Bool, dev))
	return torch.Must(ones.Triu(1, true))
}

// NumParams counts the trainable values in vs, a shared matrix once (as
// fairseq's model.parameters() does).
func NumParams(vs *nn.VarStore) int64 {
	var n int64
	for _, v := range vs.TrainableVariables() {
		n += int64(v.Numel())
	}
	return n
}
