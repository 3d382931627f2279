package metrics_test

import (
	"fmt"

	"github.com/zoo-nn/zoo/metrics"
)

func ExampleBLEU_CorpusScore() {
	hyps := []string{"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."}
	refs := [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
	bleu, _ := metrics.NewBLEU(metrics.BLEUOptions{})
	score, _ := bleu.CorpusScore(hyps, refs)
	fmt.Println(score.Format(1, bleu.Signature(score.NumRefs)))
	// Output:
	// BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.2 = 48.5 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)
}

// Validation during training: add statistics batch by batch, score once.
func ExampleStats_Add() {
	bleu, _ := metrics.NewBLEU(metrics.BLEUOptions{})
	batches := []struct{ hyps, refs []string }{
		{[]string{"the cat sat on the mat"}, []string{"the cat sat on the mat"}},
		{[]string{"a dog barked"}, []string{"the dog barked loudly"}},
	}
	var total metrics.Stats
	for _, b := range batches {
		st, err := bleu.CorpusStats(b.hyps, [][]string{b.refs})
		if err != nil {
			panic(err)
		}
		total.Add(st)
	}
	fmt.Printf("%.2f\n", bleu.Score(total).Score)
	// Output:
	// 79.07
}
