package metrics

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// The README example of sacreBLEU, with its published 2.x scores.
var (
	readmeHyps = []string{
		"The dog bit the man.",
		"It wasn't surprising.",
		"The man had just bitten him.",
	}
	readmeRefs = [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
)

func ptr(v float64) *float64 { return &v }

func TestCorpusBLEUFixtures(t *testing.T) {
	ref := readFixture(t, fixtureRef)
	b, err := NewBLEU(BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range readExpected(t) {
		t.Run(row.system, func(t *testing.T) {
			got, err := b.CorpusScore(readFixture(t, row.system), [][]string{ref})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Score-row.bleu) > 1e-6 {
				t.Errorf("BLEU = %.9f, want %.6f", got.Score, row.bleu)
			}
			if !slices.Equal(got.Counts, row.counts) || !slices.Equal(got.Totals, row.totals) {
				t.Errorf("counts/totals = %v/%v, want %v/%v", got.Counts, got.Totals, row.counts, row.totals)
			}
			if got.SysLen != row.hypLen || got.RefLen != row.refLen {
				t.Errorf("hyp_len/ref_len = %d/%d, want %d/%d", got.SysLen, got.RefLen, row.hypLen, row.refLen)
			}
		})
	}
}

func TestCorpusBLEUFixtureText(t *testing.T) {
	ref := readFixture(t, fixtureRef)
	b, _ := NewBLEU(BLEUOptions{})
	got, err := b.CorpusScore(readFixture(t, "newstest2017.uedin-nmt.4722.en-de"), [][]string{ref})
	if err != nil {
		t.Fatal(err)
	}
	const want = "BLEU = 28.30 59.9/34.0/21.8/14.4 (BP = 1.000 ratio = 1.026 hyp_len = 62873 ref_len = 61287)"
	if got.String() != want {
		t.Errorf("String() = %q\nwant       %q", got.String(), want)
	}
	const wantLine = "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.2 = 28.3 " +
		"59.9/34.0/21.8/14.4 (BP = 1.000 ratio = 1.026 hyp_len = 62873 ref_len = 61287)"
	if line := got.Format(1, b.Signature(got.NumRefs)); line != wantLine {
		t.Errorf("Format = %q\nwant     %q", line, wantLine)
	}
}

// Published sacreBLEU 2.x corpus scores (its README example and test suite).
func TestCorpusBLEUPublished(t *testing.T) {
	tests := []struct {
		name string
		hyps []string
		opts BLEUOptions
		want float64
	}{
		{"default", readmeHyps, BLEUOptions{}, 48.530827},
		{"13a", readmeHyps, BLEUOptions{Tokenize: Tokenize13a}, 48.530827},
		{"none", readmeHyps, BLEUOptions{Tokenize: TokenizeNone}, 49.1919566},
		{"intl", readmeHyps, BLEUOptions{Tokenize: TokenizeIntl}, 43.91623493},
		{"smooth none", readmeHyps, BLEUOptions{SmoothMethod: SmoothNone}, 48.530827},
		{"empty hypotheses", []string{"", "", ""}, BLEUOptions{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CorpusBLEU(tt.hyps, readmeRefs, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Score-tt.want) > 1e-6 {
				t.Errorf("BLEU = %.9f, want %.9f", got.Score, tt.want)
			}
		})
	}
}

// Sentence BLEU values from sacreBLEU's test suite (published to 1e-3).
func TestSentenceBLEUPublished(t *testing.T) {
	const (
		ref  = "producţia de zahăr brut se exprimă în zahăr alb;"
		hyp  = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"
		ref0 = "okay thanks"
		hyp0 = "this is a cat"
	)
	tests := []struct {
		hyp, ref string
		opts     BLEUOptions
		want     float64
	}{
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothExp}, 8.493},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothNone}, 0},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothFloor}, 4.51688},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothFloor, SmoothValue: ptr(0.1)}, 4.51688},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothFloor, SmoothValue: ptr(0.5)}, 10.10},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothAddK}, 14.882},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothAddK, SmoothValue: ptr(1)}, 14.882},
		{hyp, ref, BLEUOptions{SmoothMethod: SmoothAddK, SmoothValue: ptr(2)}, 21.389},
		{hyp, ref, BLEUOptions{Tokenize: TokenizeNone}, 7.347},
		{hyp, ref, BLEUOptions{Tokenize: TokenizeIntl}, 8.493},
		{hyp, ref, BLEUOptions{Tokenize: TokenizeChar}, 40.8759},
		{hyp, ref, BLEUOptions{Tokenize: TokenizeChar, Lowercase: true}, 42.0267},
		{hyp0, ref0, BLEUOptions{SmoothMethod: SmoothExp}, 0},
		{hyp0, ref0, BLEUOptions{SmoothMethod: SmoothFloor}, 0},
		{hyp0, ref0, BLEUOptions{SmoothMethod: SmoothAddK}, 0},
	}
	for _, tt := range tests {
		got, err := SentenceBLEU(tt.hyp, []string{tt.ref}, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-tt.want) > 1e-3 {
			t.Errorf("%q %+v: BLEU = %.5f, want %.5f", tt.hyp, tt.opts, got.Score, tt.want)
		}
	}
}

// rawBLEU is sacreBLEU's compat raw_corpus_bleu: floor smoothing,
// tokenizer none, effective order.
func rawBLEU(t *testing.T, hyps, refs []string, floor *float64) float64 {
	t.Helper()
	s, err := CorpusBLEU(hyps, [][]string{refs}, BLEUOptions{
		Tokenize: TokenizeNone, SmoothMethod: SmoothFloor, SmoothValue: floor, EffectiveOrder: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s.Score / 100
}

// Raw BLEU values from sacreBLEU's test suite (published to 1e-8).
func TestRawBLEUPublished(t *testing.T) {
	const amI, symbol = "am I am a character sequence", "I am a symbol string sequence a a"
	tests := []struct {
		hyps, refs []string
		floor      *float64
		want       float64
	}{
		// Without a single match, 2.x returns 0 whatever the smoothing
		// (sacreBLEU issue #141); 1.x gave 0.0037991784 here.
		{[]string{"this is a test", "another test"}, []string{"ref1", "ref2"}, ptr(.01), 0},
		{[]string{"this is a test"}, []string{"this is a test"}, ptr(.01), 1},
		{[]string{"this is a fest"}, []string{"this is a test"}, ptr(.01), 0.223606797749979},
		{[]string{"test"}, []string{"a test"}, ptr(.01), 0.3678794411714425},
		{[]string{"a test"}, []string{"a test"}, ptr(.01), 1},
		{[]string{"a little test"}, []string{"a test"}, ptr(.01), 0.03218297948685433},
		{[]string{amI}, []string{symbol}, ptr(0), 0},
		{[]string{amI}, []string{symbol}, nil, 0.1555722182},
	}
	for _, tt := range tests {
		if got := rawBLEU(t, tt.hyps, tt.refs, tt.floor); math.Abs(got-tt.want) > 1e-8 {
			t.Errorf("%q vs %q: %.12f, want %.12f", tt.hyps, tt.refs, got, tt.want)
		}
	}
}

func TestSegmentStatsCounts(t *testing.T) {
	b, _ := NewBLEU(BLEUOptions{Tokenize: TokenizeNone})
	st, err := b.SegmentStats("am I am a character sequence", []string{"I am a symbol string sequence a a"})
	if err != nil {
		t.Fatal(err)
	}
	// By hand: "am" is clipped to the reference's single "am"; the bigrams
	// "I am" and "am a" and the trigram "I am a" match.
	want := Stats{Counts: []int{4, 2, 1, 0}, Totals: []int{6, 5, 4, 3}, SysLen: 6, RefLen: 8, NumRefs: 1}
	if !statsEqual(st, want) {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func statsEqual(a, b Stats) bool {
	return slices.Equal(a.Counts, b.Counts) && slices.Equal(a.Totals, b.Totals) &&
		a.SysLen == b.SysLen && a.RefLen == b.RefLen && a.NumRefs == b.NumRefs
}

func TestComputeBLEU(t *testing.T) {
	tests := []struct {
		name   string
		st     Stats
		method string
		value  float64
		want   float64
	}{
		// sacreBLEU test suite: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11).
		{"published", Stats{Counts: []int{9, 7, 5, 3}, Totals: []int{10, 8, 6, 4}, SysLen: 11, RefLen: 11}, SmoothNone, 0, 83.75922397},
		// sacreBLEU's degenerate cases: all zero for floor smoothing.
		{"no matches", Stats{Counts: []int{0, 0, 0, 0}, Totals: []int{4, 4, 2, 1}, SysLen: 0, RefLen: 1}, SmoothFloor, 0, 0},
		{"zero totals", Stats{Counts: []int{0, 0, 0, 0}, Totals: []int{10, 11, 12, 0}, SysLen: 14, RefLen: 10}, SmoothFloor, 0, 0},
		{"empty", Stats{Counts: []int{0, 0, 0, 0}, Totals: []int{0, 0, 0, 0}}, SmoothFloor, 0.1, 0},
		{"no 4-gram match", Stats{Counts: []int{6, 5, 4, 0}, Totals: []int{6, 5, 4, 3}, SysLen: 6, RefLen: 6}, SmoothFloor, 0, 0},
		{"zero Stats", Stats{}, SmoothExp, 0, 0},
		// By hand: exp smoothing replaces the zero 4-gram precision by
		// 100/(2*3), so BLEU = (100*100*100*100/6)^(1/4).
		{"exp by hand", Stats{Counts: []int{6, 5, 4, 0}, Totals: []int{6, 5, 4, 3}, SysLen: 6, RefLen: 6}, SmoothExp, 0, 100 * math.Pow(1.0/6, 0.25)},
	}
	for _, tt := range tests {
		got := computeBLEU(tt.st, tt.method, tt.value, false, 4)
		if math.Abs(got.Score-tt.want) > 1e-6 {
			t.Errorf("%s: BLEU = %.9f, want %.9f", tt.name, got.Score, tt.want)
		}
	}
}

func TestEffectiveOrder(t *testing.T) {
	// "a b" has no trigrams or 4-grams. With effective order the mean
	// stops at order 2, so a perfect match scores 100; without it the
	// missing orders contribute sacreBLEU's floored log and the score is 0.
	tests := []struct {
		eff  bool
		want float64
	}{{true, 100}, {false, 0}}
	for _, tt := range tests {
		b, _ := NewBLEU(BLEUOptions{EffectiveOrder: tt.eff, SmoothMethod: SmoothNone})
		got, err := b.SentenceScore("a b", []string{"a b"})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-tt.want) > 1e-9 {
			t.Errorf("eff=%v: BLEU = %v, want %v", tt.eff, got.Score, tt.want)
		}
	}
}

func TestClosestRefLen(t *testing.T) {
	tests := []struct {
		hyp  int
		refs []int
		want int
	}{
		{5, []int{3, 7}, 3}, // tie goes to the shorter reference
		{5, []int{7, 3}, 3},
		{5, []int{6, 2}, 6},
		{5, []int{5, 9}, 5},
	}
	for _, tt := range tests {
		if got := closestRefLen(tt.hyp, tt.refs); got != tt.want {
			t.Errorf("closestRefLen(%d, %v) = %d, want %d", tt.hyp, tt.refs, got, tt.want)
		}
	}
}

// Statistics accumulated batch by batch must give the corpus score bit
// for bit, which is what validation during training relies on.
func TestStatsAddMatchesCorpus(t *testing.T) {
	ref := readFixture(t, fixtureRef)
	hyp := readFixture(t, "newstest2017.uedin-nmt.4722.en-de")
	b, _ := NewBLEU(BLEUOptions{})
	whole, err := b.CorpusScore(hyp, [][]string{ref})
	if err != nil {
		t.Fatal(err)
	}
	var acc Stats
	for lo := 0; lo < len(hyp); lo += 97 {
		hi := min(lo+97, len(hyp))
		st, err := b.CorpusStats(hyp[lo:hi], [][]string{ref[lo:hi]})
		if err != nil {
			t.Fatal(err)
		}
		acc.Add(st)
	}
	if got := b.Score(acc); got.Score != whole.Score || !slices.Equal(got.Counts, whole.Counts) {
		t.Errorf("batched %v (%v), corpus %v (%v)", got.Score, got.Counts, whole.Score, whole.Counts)
	}
}

func TestStatsAddPanicsOnOrderMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("adding order-3 stats to order-4 stats did not panic")
		}
	}()
	s := NewStats(4)
	s.Add(NewStats(3))
}

func TestVariableReferences(t *testing.T) {
	// The second stream lacks a reference for segment 2: nrefs becomes
	// "var", and segment 2 is scored against stream 1 alone.
	refs := [][]string{readmeRefs[0], {readmeRefs[1][0], "", readmeRefs[1][2]}}
	b, _ := NewBLEU(BLEUOptions{})
	got, err := b.CorpusScore(readmeHyps, refs)
	if err != nil {
		t.Fatal(err)
	}
	if got.NumRefs != -1 {
		t.Errorf("NumRefs = %d, want -1", got.NumRefs)
	}
	if sig := b.Signature(got.NumRefs); !strings.HasPrefix(sig, "nrefs:var|") {
		t.Errorf("signature %q does not start with nrefs:var", sig)
	}
}

func TestBLEUSignature(t *testing.T) {
	tests := []struct {
		opts BLEUOptions
		n    int
		want string
	}{
		{BLEUOptions{}, 1, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.2"},
		{BLEUOptions{Lowercase: true, Tokenize: TokenizeIntl, SmoothMethod: SmoothFloor}, 2,
			"nrefs:2|case:lc|eff:no|tok:intl|smooth:floor[0.10]|version:2.4.2"},
		{BLEUOptions{SmoothMethod: SmoothAddK, EffectiveOrder: true, Tokenize: TokenizeChar}, -1,
			"nrefs:var|case:mixed|eff:yes|tok:char|smooth:add-k[1.00]|version:2.4.2"},
		{BLEUOptions{SmoothMethod: SmoothFloor, SmoothValue: ptr(0.5), Tokenize: TokenizeNone}, 1,
			"nrefs:1|case:mixed|eff:no|tok:none|smooth:floor[0.50]|version:2.4.2"},
	}
	for _, tt := range tests {
		b, err := NewBLEU(tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Signature(tt.n); got != tt.want {
			t.Errorf("Signature = %q, want %q", got, tt.want)
		}
	}
}

func TestBLEUErrors(t *testing.T) {
	b, _ := NewBLEU(BLEUOptions{})
	tests := []struct {
		name    string
		hyps    []string
		refs    [][]string
		wantMsg string
	}{
		{"line count", []string{"a", "b"}, [][]string{{"a"}}, "hypotheses have 2 lines but reference stream 1 has 1 lines"},
		{"invalid hyp", []string{"ok", "bad\xff"}, [][]string{{"a", "b"}}, "hypothesis line 2: invalid UTF-8"},
		{"invalid ref", []string{"ok"}, [][]string{{"a"}, {"\xc3"}}, "reference 2 line 1: invalid UTF-8"},
		{"all refs empty", []string{"a", "b"}, [][]string{{"a", ""}}, "line 2: every reference is empty"},
		{"no streams", []string{"a"}, nil, "no reference streams"},
	}
	for _, tt := range tests {
		_, err := b.CorpusScore(tt.hyps, tt.refs)
		if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.wantMsg)
		}
	}
	_, err := b.CorpusScore([]string{"a", "b"}, [][]string{{"a"}})
	var lc *LineCountError
	if !errors.As(err, &lc) || lc.HypLines != 2 || lc.RefLines != 1 || lc.Stream != 0 {
		t.Errorf("error %v is not a LineCountError{0, 2, 1}", err)
	}
}

func TestNewBLEUInvalid(t *testing.T) {
	for _, opts := range []BLEUOptions{
		{Tokenize: "moses"}, {SmoothMethod: "laplace"}, {MaxNgramOrder: -1},
	} {
		if _, err := NewBLEU(opts); err == nil {
			t.Errorf("NewBLEU(%+v) succeeded", opts)
		}
	}
}

func TestLowercaseBLEU(t *testing.T) {
	mixed, _ := SentenceBLEU("THE CAT", []string{"the cat"}, BLEUOptions{})
	lower, _ := SentenceBLEU("THE CAT", []string{"the cat"}, BLEUOptions{Lowercase: true})
	if mixed.Score != 0 || math.Abs(lower.Score-100) > 1e-9 {
		t.Errorf("mixed %v (want 0), lowercased %v (want 100)", mixed.Score, lower.Score)
	}
}
