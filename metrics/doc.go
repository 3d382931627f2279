// Package metrics computes corpus- and sentence-level machine translation
// metrics that reproduce sacreBLEU 2.x exactly: BLEU (tokenizers 13a, intl,
// char and none; smoothing exp, floor, add-k and none) and chrF / chrF++.
//
// Scores are built from sufficient statistics (Stats for BLEU, CHRFStats for
// chrF) that can be accumulated sentence by sentence or batch by batch with
// Add and turned into a score once, so the same code serves offline corpus
// evaluation and validation during training.
//
// A separate, clearly different metric, TokenizedBLEU, reproduces the
// "tokenized BLEU" that fairseq and multi-bleu.perl report on already
// tokenized text (optionally after BPE removal and tensor2tensor-style
// compound splitting). Its numbers are not comparable with sacreBLEU's.
//
// Text handling follows Python's str semantics where sacreBLEU relies on
// them (str.split, str.rstrip, str.lower), because those differ from Go's
// strings package on a few code points.
package metrics

// SacreBLEUVersion is the sacreBLEU release whose behaviour this package
// reproduces; it is the version field of every signature, so a signature
// printed here can be compared with one printed by that sacreBLEU.
const SacreBLEUVersion = "2.4.2"
