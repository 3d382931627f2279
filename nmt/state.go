package nmt

import (
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"

	"github.com/zoo-nn/zoo/torch"
)

// layerCache is one decoder layer's incremental state.
type layerCache struct {
	selfK, selfV   *ts.Tensor // [N, H, t, d]: every step so far; nil before step 0
	crossK, crossV *ts.Tensor // [N/group, H, S, d]: the encoder output, projected once
}

// DecoderState is what incremental decoding carries from one step to the
// next for N hypotheses: each layer's self-attention keys and values, its
// projected encoder keys and values, and the source padding mask. It owns
// its tensors; Free drops them.
//
// Beams of one sentence share its encoder keys and values: the cross
// cache holds one entry per sentence, and the group rows
// [i·group, (i+1)·group) all read entry i, so beam search never copies
// the encoder side to follow its beams.
type DecoderState struct {
	layers  []layerCache
	srcMask *ts.Tensor // [N/group, 1, 1, S]
	group   int64      // rows per sentence
	sents   int64      // entries of the cross cache
	step    int64
	device  gotch.Device
}

// NewDecoderState projects enc for every decoder layer. Call it (and
// DecodeStep) under torch.NoGrad unless you mean to backpropagate
// through decoding. enc stays the caller's and may be freed at once.
func (m *Model) NewDecoderState(enc *EncoderOut) (st *DecoderState, err error) {
	defer torch.Recover(&err)
	return m.newState(enc), nil
}

func (m *Model) newState(enc *EncoderOut) *DecoderState {
	st := &DecoderState{layers: make([]layerCache, len(m.dec)), group: 1, device: m.device}
	for i, l := range m.dec {
		st.layers[i].crossK, st.layers[i].crossV = l.crossAttn.crossKV(enc.Out)
	}
	st.srcMask = torch.Must(enc.PadMask.ShallowClone())
	st.sents = torch.Shape(st.srcMask)[0]
	return st
}

// Step is the number of tokens decoded so far, the position of the next.
func (s *DecoderState) Step() int64 { return s.step }

// Reorder keeps rows idx (int64 [N'] on any device) of the state, in
// that order; rows may repeat. It is the general form, which gives every
// row its own copy of the encoder side; Generate follows its beams
// without such copies.
func (s *DecoderState) Reorder(idx *ts.Tensor) (err error) {
	defer torch.Recover(&err)
	s.reorder(hostInts(torch.Must(idx.ShallowClone())))
	return nil
}

func (s *DecoderState) reorder(rows []int64) {
	sents := make([]int64, len(rows))
	for i, r := range rows {
		sents[i] = r / s.group
	}
	s.keepBeams(rows, sents, 1)
}

// keepBeams keeps self-attention rows rows and cross-cache entries
// sents, after which every group consecutive rows belong to one entry.
func (s *DecoderState) keepBeams(rows, sents []int64, group int64) {
	rowIdx := int64Tensor(rows, []int64{int64(len(rows))}, s.device)
	defer torch.Free(rowIdx)
	for i := range s.layers {
		c := &s.layers[i]
		c.selfK, c.selfV = indexRows(c.selfK, rowIdx), indexRows(c.selfV, rowIdx)
	}
	s.group = group
	if isIota(sents, s.sents) {
		return
	}
	sentIdx := int64Tensor(sents, []int64{int64(len(sents))}, s.device)
	defer torch.Free(sentIdx)
	for i := range s.layers {
		c := &s.layers[i]
		c.crossK, c.crossV = indexRows(c.crossK, sentIdx), indexRows(c.crossV, sentIdx)
	}
	s.srcMask = indexRows(s.srcMask, sentIdx)
	s.sents = int64(len(sents))
}

// indexRows returns t's rows idx and frees t; nil stays nil.
func indexRows(t, idx *ts.Tensor) *ts.Tensor {
	if t == nil {
		return nil
	}
	return torch.Must(t.IndexSelect(0, idx, true))
}

// isIota reports whether xs is 0, 1, ..., n-1.
func isIota(xs []int64, n int64) bool {
	if int64(len(xs)) != n {
		return false
	}
	for i, x := range xs {
		if x != int64(i) {
			return false
		}
	}
	return true
}

// Free drops the state's tensors; the state is unusable afterwards.
func (s *DecoderState) Free() {
	for i := range s.layers {
		c := &s.layers[i]
		torch.Free(c.selfK, c.selfV, c.crossK, c.crossV)
		*c = layerCache{}
	}
	torch.Free(s.srcMask)
	s.srcMask = nil
}

// DecodeStep feeds each hypothesis's latest token (int64 [N]; EOS at
// step 0) and returns the logits [N, TgtVocab] of the next, in eval mode
// (no dropout). It extends st by one step.
func (m *Model) DecodeStep(tokens *ts.Tensor, st *DecoderState) (logits *ts.Tensor, err error) {
	defer torch.Recover(&err)
	return m.decodeStep(tokens, st), nil
}

func (m *Model) decodeStep(tokens *ts.Tensor, st *DecoderState) *ts.Tensor {
	if st.step >= m.cfg.MaxPositions {
		torch.Errorf("decoding step %d: max_positions = %d reached", st.step, m.cfg.MaxPositions)
	}
	col := torch.Must(tokens.View([]int64{-1, 1}, false))
	x := m.decEmb.forwardAt(col, st.step)
	torch.Free(col)
	for i, l := range m.dec {
		y := l.step(x, &st.layers[i], st.srcMask, st.group)
		torch.Free(x)
		x = y
	}
	st.step++
	logits := m.head(m.normDecoded(x))
	return torch.Must(logits.View([]int64{-1, m.cfg.TgtVocab}, true))
}
