package tokenizer

import (
	"io"
	"strings"
	"testing"
)

// multi30kTokenized returns the 29,000 English and 29,000 German training
// sentences of Multi30k, pre-tokenized, as one text (joint BPE input).
func multi30kTokenized(b *testing.B) string {
	b.Helper()
	var sb strings.Builder
	for _, lang := range []string{"en", "de"} {
		tk := NewTokenizer(lang)
		for _, line := range readLines(b, "data/multi30k/train."+lang+".gz") {
			sb.WriteString(tk.TokenizeString(line))
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

func jointVocab(b *testing.B, text string) Vocab {
	b.Helper()
	v := Vocab{}
	if err := v.AddText(strings.NewReader(text), "multi30k"); err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkLearnBPE learns 10,000 joint merges on Multi30k En+De.
func BenchmarkLearnBPE(b *testing.B) {
	v := jointVocab(b, multi30kTokenized(b))
	b.ResetTimer()
	for b.Loop() {
		c, err := LearnBPE(v, LearnOptions{Merges: 10000})
		if err != nil || len(c.Merges) != 10000 {
			b.Fatalf("learned %d merges: %v", len(c.Merges), err)
		}
	}
}

// BenchmarkCountWords builds the joint vocabulary from the tokenized text.
func BenchmarkCountWords(b *testing.B) {
	text := multi30kTokenized(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		jointVocab(b, text)
	}
}

// BenchmarkApplyBPE segments all 58,000 tokenized sentences with those
// 10,000 merges, starting each time from an empty cache.
func BenchmarkApplyBPE(b *testing.B) {
	text := multi30kTokenized(b)
	codes, err := LearnBPE(jointVocab(b, text), LearnOptions{Merges: 10000})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		bpe, err := NewBPE(codes, ApplyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := bpe.Apply(strings.NewReader(text), io.Discard, "multi30k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenize pre-tokenizes the 29,000 English sentences.
func BenchmarkTokenize(b *testing.B) {
	lines := readLines(b, "data/multi30k/train.en.gz")
	tk := NewTokenizer("en")
	b.ResetTimer()
	for b.Loop() {
		for _, l := range lines {
			tk.Tokenize(l)
		}
	}
}
