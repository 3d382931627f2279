package nmt

import (
	"fmt"
	"testing"

	"github.com/sugarme/gotch"
)

func examples(lens ...[2]int) []Example {
	out := make([]Example, len(lens))
	for i, l := range lens {
		out[i] = Example{Src: make([]int32, l[0]), Tgt: make([]int32, l[1])}
		for j := range out[i].Src {
			out[i].Src[j] = int32(10 + j)
		}
		for j := range out[i].Tgt {
			out[i].Tgt[j] = int32(20 + j)
		}
	}
	return out
}

func TestPlanRespectsMaxTokens(t *testing.T) {
	var lens [][2]int
	for i := 0; i < 200; i++ {
		lens = append(lens, [2]int{1 + i*7%23, 1 + i*5%19})
	}
	data := examples(lens...)
	c := Batching{MaxTokens: 64, MaxSentences: 10}
	batches, err := c.Plan(data, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, b := range batches {
		longest := 0
		for _, i := range b {
			if seen[i] {
				t.Fatalf("example %d in two batches", i)
			}
			seen[i] = true
			longest = max(longest, max(len(data[i].Src), len(data[i].Tgt))+1)
		}
		if longest*len(b) > c.MaxTokens || len(b) > c.MaxSentences {
			t.Errorf("batch of %d with longest %d exceeds max_tokens %d / max_sentences %d", len(b), longest, c.MaxTokens, c.MaxSentences)
		}
	}
	if len(seen) != len(data) {
		t.Errorf("%d of %d examples batched", len(seen), len(data))
	}
	again, _ := c.Plan(data, true, 3)
	other, _ := c.Plan(data, true, 4)
	if fmt.Sprint(again) != fmt.Sprint(batches) {
		t.Error("same seed, different plan")
	}
	if fmt.Sprint(other) == fmt.Sprint(batches) {
		t.Error("different seeds, same plan")
	}
	if _, err := (Batching{MaxTokens: 8}).Plan(examples([2]int{10, 2}), false, 0); err == nil {
		t.Error("an example longer than max_tokens was batched")
	}
}

func TestCollate(t *testing.T) {
	data := examples([2]int{2, 3}, [2]int{3, 1})
	b, err := Collate(data, []int{0, 1}, 1, 2, gotch.CPU)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	want := map[string]string{
		"src":    "[10 11 2 1 10 11 12 2]",
		"prev":   "[2 20 21 22 2 20 1 1]",
		"target": "[20 21 22 2 20 2 1 1]",
	}
	got := map[string]string{
		"src":    fmt.Sprint(b.Src.Int64Values()),
		"prev":   fmt.Sprint(b.Prev.Int64Values()),
		"target": fmt.Sprint(b.Target.Int64Values()),
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %s, want %s", k, got[k], want[k])
		}
	}
	if b.SrcTokens != 7 || b.TgtTokens != 6 || b.Sentences != 2 {
		t.Errorf("counts: %d src, %d tgt tokens, %d sentences", b.SrcTokens, b.TgtTokens, b.Sentences)
	}
}
