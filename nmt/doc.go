// Package nmt is zoo's Transformer for translation (Vaswani et al., 2017)
// as fairseq builds it, with every sublayer's residual join taken from
// the layers registry, so that the residual variant is a setting and not
// code.
//
// To train:
//
//	cfg, _ := nmt.Preset("small", srcVocab, tgtVocab)
//	cfg.Residual = "pre-ln"
//	vs := nn.NewVarStore(device)
//	model, err := nmt.New(vs.Root(), cfg)
//	logits, err := model.Forward(src, prevOutputTokens, true) // [B, T, V]
//	loss, err := nmt.LabelSmoothedLoss(logits, target, 0.1, cfg.PaddingIdx)
//
// and to decode, model.Generate (beam search) or model.Greedy, or by hand
// with Encode, NewDecoderState, DecodeStep and DecoderState.Reorder.
//
// Layout and conventions: batch-first int64 token tensors on the model's
// device; fairseq's dictionary symbols (pad 1, EOS 2) unless the Config
// says otherwise; the decoder input is the target shifted right behind
// EOS; targets are right-padded, sources may be padded on either side.
//
// Each sublayer's F is dropout(sublayer(x)) and the variant decides
// where the skip and the norm go; a stack ends with a layer norm when its
// variant's FinalNorm says so (pre-ln). Model code never looks at the
// variant's name.
//
// Ownership: exported functions return tensors the caller owns and
// frees, never free their inputs, and free every intermediate as soon
// as it is dead. libtorch failures come back as errors (torch.Recover at
// every exported function).
package nmt
