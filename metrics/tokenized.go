package metrics

import (
	"fmt"
	"math"
	"strings"
)

// BPE symbols understood by TokenizedBLEUOptions.RemoveBPE, as in fairseq's
// --remove-bpe / --post-process.
const (
	BPESubwordNMT    = "@@ "           // subword-nmt continuation marker
	BPESentencePiece = "sentencepiece" // undo SentencePiece "▁" pieces
)

// TokenizedBLEUOptions configures TokenizedBLEU.
type TokenizedBLEUOptions struct {
	Lowercase bool // fairseq-score --ignore-case
	// RemoveBPE undoes subword segmentation on hypotheses and references
	// before scoring: "" leaves text alone, BPESentencePiece joins
	// SentencePiece pieces, and any other string is deleted wherever it
	// occurs (fairseq's generic rule; "@@ " for subword-nmt).
	RemoveBPE string
	// CompoundSplit rewrites each "-" between non-space characters as
	// " ##AT##-##AT## ", as tensor2tensor's get_ende_bleu.sh does to match
	// the GNMT and ConvS2S papers' WMT14 En-De numbers.
	CompoundSplit bool
}

// TokenizedBLEU is the "tokenized BLEU" of fairseq's scorer and
// multi-bleu.perl: whitespace tokens are taken as they are (tokenizer
// none), there is no smoothing, and a reference token "<unk>" never
// matches, as in fairseq. It is NOT sacreBLEU and its scores must not be
// compared with sacreBLEU's; it exists to reproduce numbers reported that
// way. Several reference streams are accepted with multi-bleu.perl's rule
// (max counts, closest reference length); fairseq itself takes one.
type TokenizedBLEU struct {
	opts    TokenizedBLEUOptions
	counter wordCounter
}

// unkToken is fairseq's unknown-word symbol.
const unkToken = "<unk>"

// NewTokenizedBLEU returns the metric.
func NewTokenizedBLEU(opts TokenizedBLEUOptions) *TokenizedBLEU {
	t := &TokenizedBLEU{opts: opts}
	t.counter = wordCounter{maxOrder: DefaultMaxNgramOrder, drop: unkToken, prep: t.prep}
	return t
}

// prep removes BPE first (fairseq does so before scoring), then
// lowercases, then splits compounds, so the ##AT## marker keeps its case.
func (t *TokenizedBLEU) prep(s string) string {
	s = RemoveBPE(s, t.opts.RemoveBPE)
	if t.opts.Lowercase {
		s = pyLower(s)
	}
	if t.opts.CompoundSplit {
		s = SplitCompounds(s)
	}
	return s
}

// RemoveBPE undoes subword segmentation like fairseq's post_process; see
// TokenizedBLEUOptions.RemoveBPE for the meaning of symbol.
func RemoveBPE(s, symbol string) string {
	switch symbol {
	case "", "none":
		return s
	case BPESentencePiece:
		s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "\u2581", " ")
		return strings.TrimFunc(s, pyIsSpace)
	}
	return pyRstrip(strings.ReplaceAll(s+" ", symbol, ""))
}

// isPerlSpace is Perl's byte-mode \s, which get_ende_bleu.sh's one-liner
// uses: multi-byte characters are never spaces there.
func isPerlSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// SplitCompounds applies s{(\S)-(\S)}{$1 ##AT##-##AT## $2}g: leftmost,
// non-overlapping matches, so "a-b-c" becomes "a ##AT##-##AT## b-c",
// exactly as the Perl one-liner leaves it.
func SplitCompounds(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		if i+2 < len(s) && !isPerlSpace(s[i]) && s[i+1] == '-' && !isPerlSpace(s[i+2]) {
			b.WriteByte(s[i])
			b.WriteString(" ##AT##-##AT## ")
			b.WriteByte(s[i+2])
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// CorpusStats returns summed statistics; see BLEU.CorpusStats.
func (t *TokenizedBLEU) CorpusStats(hyps []string, refStreams [][]string) (Stats, error) {
	st, err := t.counter.corpus(hyps, refStreams)
	if err != nil {
		return Stats{}, fmt.Errorf("tokenized BLEU: %w", err)
	}
	return st, nil
}

// CorpusScore is Score(CorpusStats(hyps, refStreams)).
func (t *TokenizedBLEU) CorpusScore(hyps []string, refStreams [][]string) (TokenizedBLEUScore, error) {
	st, err := t.CorpusStats(hyps, refStreams)
	if err != nil {
		return TokenizedBLEUScore{}, err
	}
	return t.Score(st), nil
}

// TokenizedBLEUScore is a fairseq-style BLEU result.
type TokenizedBLEUScore struct {
	Score      float64   // 0..100
	Precisions []float64 // unsmoothed, in percent
	Counts     []int
	Totals     []int
	BP         float64
	Ratio      float64
	SysLen     int
	RefLen     int
	NumRefs    int
}

// Score computes BLEU from statistics with fairseq's formula:
// BP * exp(mean(log p_n)) * 100, a zero precision giving 0.
func (t *TokenizedBLEU) Score(st Stats) TokenizedBLEUScore {
	order := DefaultMaxNgramOrder
	s := TokenizedBLEUScore{
		Counts: padInts(st.Counts, order), Totals: padInts(st.Totals, order),
		Precisions: make([]float64, order), SysLen: st.SysLen, RefLen: st.RefLen,
		NumRefs: st.NumRefs,
	}
	psum := 0.0
	for n := range order {
		p := 0.0
		if s.Totals[n] > 0 {
			p = float64(s.Counts[n]) / float64(s.Totals[n])
		}
		s.Precisions[n] = 100 * p
		if p > 0 {
			psum += math.Log(p)
		} else {
			psum = math.Inf(-1)
		}
	}
	// fairseq divides by zero on an empty hypothesis; report 0 instead.
	if st.SysLen > 0 {
		s.BP = math.Min(1, math.Exp(1-float64(st.RefLen)/float64(st.SysLen)))
	}
	if st.RefLen > 0 {
		s.Ratio = float64(st.SysLen) / float64(st.RefLen)
	}
	s.Score = s.BP * math.Exp(psum/float64(order)) * 100
	return s
}

// String renders the score exactly as fairseq's BleuScorer.result_string:
// "BLEU4 = 28.30, 59.9/34.0/21.8/14.4 (BP=1.000, ratio=1.026, syslen=62873, reflen=61287)".
func (s TokenizedBLEUScore) String() string {
	return fmt.Sprintf("BLEU%d = %2.2f, %s", len(s.Precisions), s.Score, s.Verbose())
}

// Verbose is the part of fairseq's line after the score:
// "59.9/34.0/21.8/14.4 (BP=1.000, ratio=1.026, syslen=62873, reflen=61287)".
func (s TokenizedBLEUScore) Verbose() string {
	prec := make([]string, len(s.Precisions))
	for i, p := range s.Precisions {
		prec[i] = fmt.Sprintf("%2.1f", p)
	}
	return fmt.Sprintf("%s (BP=%.3f, ratio=%.3f, syslen=%d, reflen=%d)",
		strings.Join(prec, "/"), s.BP, s.Ratio, s.SysLen, s.RefLen)
}

// TokenizedBLEUName labels tokenized BLEU in output lines, so that it is
// never mistaken for sacreBLEU's "BLEU".
const TokenizedBLEUName = "TokenizedBLEU"

// Format renders a labelled line in the style of sacreBLEU's text output,
// "TokenizedBLEU|signature = 28.30, 59.9/... (BP=1.000, ...)", with width
// decimals on the score.
func (s TokenizedBLEUScore) Format(width int, signature string) string {
	return formatScoreLine(TokenizedBLEUName, signature, s.Score, width) + ", " + s.Verbose()
}

// Signature describes the settings, in sacreBLEU's key:value style, so a
// tokenized score can never be mistaken for a sacreBLEU one.
func (t *TokenizedBLEU) Signature(numRefs int) string {
	bpe := "none"
	switch t.opts.RemoveBPE {
	case "", "none":
	case BPESubwordNMT:
		bpe = "subword-nmt"
	default:
		bpe = strings.TrimSpace(t.opts.RemoveBPE)
	}
	return strings.Join([]string{
		"nrefs:" + nrefsString(numRefs),
		"case:" + caseString(t.opts.Lowercase),
		"tok:none",
		"smooth:none",
		"bpe:" + bpe,
		"compound:" + yesNo(t.opts.CompoundSplit),
		"style:fairseq",
	}, "|")
}
