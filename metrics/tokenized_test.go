package metrics

import (
	"math"
	"testing"
)

func TestTokenizedBLEUByHand(t *testing.T) {
	tb := NewTokenizedBLEU(TokenizedBLEUOptions{})
	tests := []struct {
		name       string
		hyps, refs []string
		want       float64
	}{
		// p = 4/5, 3/4, 2/3, 1/2, so BLEU = 100 * (1/5)^(1/4).
		{"one wrong token", []string{"a b c d e"}, []string{"a b c d f"}, 100 * math.Pow(0.2, 0.25)},
		// No smoothing: a single zero precision gives 0.
		{"no 4-gram match", []string{"a b c d"}, []string{"a b c e"}, 0},
		// All precisions 1, BP = exp(1 - 8/4).
		{"short", []string{"a b c d"}, []string{"a b c d e f g h"}, 100 * math.Exp(-1)},
		// fairseq's unknown word never matches, even against itself.
		{"unk", []string{"<unk> a b c d"}, []string{"<unk> a b c d"}, 100 * math.Pow(4.0/5*3.0/4*2.0/3*1.0/2, 0.25)},
		{"empty hypothesis", []string{""}, []string{"a"}, 0},
	}
	for _, tt := range tests {
		got, err := tb.CorpusScore(tt.hyps, [][]string{tt.refs})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-tt.want) > 1e-9 {
			t.Errorf("%s: BLEU = %.12f, want %.12f", tt.name, got.Score, tt.want)
		}
	}
}

// On one reference, fairseq's formula is sacreBLEU's with tokenizer none
// and no smoothing, up to rounding in the last bits.
func TestTokenizedBLEUMatchesSacreBLEUNone(t *testing.T) {
	ref := readFixture(t, fixtureRef)
	hyp := readFixture(t, "newstest2017.uedin-nmt.4722.en-de")
	tok, err := NewTokenizedBLEU(TokenizedBLEUOptions{}).CorpusScore(hyp, [][]string{ref})
	if err != nil {
		t.Fatal(err)
	}
	sacre, err := CorpusBLEU(hyp, [][]string{ref}, BLEUOptions{Tokenize: TokenizeNone, SmoothMethod: SmoothNone})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tok.Score-sacre.Score) > 1e-9 {
		t.Errorf("tokenized %v, sacreBLEU none/none %v", tok.Score, sacre.Score)
	}
}

func TestTokenizedBLEUString(t *testing.T) {
	s := TokenizedBLEUScore{
		Score: 28.301225, Precisions: []float64{59.92, 34.04, 21.8, 14.43},
		BP: 1, Ratio: 1.0259, SysLen: 62873, RefLen: 61287,
	}
	const want = "BLEU4 = 28.30, 59.9/34.0/21.8/14.4 (BP=1.000, ratio=1.026, syslen=62873, reflen=61287)"
	if s.String() != want {
		t.Errorf("String() = %q, want %q", s.String(), want)
	}
}

func TestTokenizedPreprocessing(t *testing.T) {
	tests := []struct {
		name string
		opts TokenizedBLEUOptions
		in   string
		want string
	}{
		{"subword-nmt", TokenizedBLEUOptions{RemoveBPE: BPESubwordNMT}, "un@@ believ@@ able day@@", "unbelievable day"},
		{"sentencepiece", TokenizedBLEUOptions{RemoveBPE: BPESentencePiece}, "▁un believ able ▁day", "unbelievable day"},
		{"none", TokenizedBLEUOptions{}, "un@@ believ@@ able", "un@@ believ@@ able"},
		// The Perl one-liner's matches do not overlap: "a-b-c" keeps its
		// second hyphen, and "x--y" splits only the first.
		{"compound", TokenizedBLEUOptions{CompoundSplit: true}, "rich-text format a-b-c x--y é-ü -a",
			"rich ##AT##-##AT## text format a ##AT##-##AT## b-c x ##AT##-##AT## -y é ##AT##-##AT## ü -a"},
		{"bpe, case, then compound", TokenizedBLEUOptions{RemoveBPE: BPESubwordNMT, CompoundSplit: true, Lowercase: true},
			"Rich@@ -Text", "rich ##AT##-##AT## text"},
	}
	for _, tt := range tests {
		if got := NewTokenizedBLEU(tt.opts).prep(tt.in); got != tt.want {
			t.Errorf("%s: %q -> %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestTokenizedBLEUSignature(t *testing.T) {
	tb := NewTokenizedBLEU(TokenizedBLEUOptions{RemoveBPE: BPESubwordNMT, CompoundSplit: true})
	const want = "nrefs:1|case:mixed|tok:none|smooth:none|bpe:subword-nmt|compound:yes|style:fairseq"
	if got := tb.Signature(1); got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
}

func TestTokenizedBLEUFormat(t *testing.T) {
	s := TokenizedBLEUScore{Score: 28.301225, Precisions: []float64{59.92, 34.04, 21.8, 14.43}, BP: 1, Ratio: 1.0259, SysLen: 62873, RefLen: 61287}
	const want = "TokenizedBLEU|nrefs:1 = 28.3, 59.9/34.0/21.8/14.4 (BP=1.000, ratio=1.026, syslen=62873, reflen=61287)"
	if got := s.Format(1, "nrefs:1"); got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}
