package metrics

import "testing"

// BenchmarkCorpusBLEU scores the 3,004-line newstest2017 En-De fixture
// (uedin-nmt against the reference), tokenization included.
func BenchmarkCorpusBLEU(b *testing.B) {
	ref := readFixture(b, fixtureRef)
	hyp := readFixture(b, "newstest2017.uedin-nmt.4722.en-de")
	bleu, err := NewBLEU(BLEUOptions{})
	if err != nil {
		b.Fatal(err)
	}
	refs := [][]string{ref}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bleu.CorpusScore(hyp, refs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCorpusCHRF is the same corpus under chrF2.
func BenchmarkCorpusCHRF(b *testing.B) {
	ref := readFixture(b, fixtureRef)
	hyp := readFixture(b, "newstest2017.uedin-nmt.4722.en-de")
	chrf, err := NewCHRF(DefaultCHRFOptions())
	if err != nil {
		b.Fatal(err)
	}
	refs := [][]string{ref}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chrf.CorpusScore(hyp, refs); err != nil {
			b.Fatal(err)
		}
	}
}
