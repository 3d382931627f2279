package metrics

import (
	"math"
	"strings"
	"testing"
)

// chrfOpts returns the default options changed by f.
func chrfOpts(f func(*CHRFOptions)) CHRFOptions {
	o := DefaultCHRFOptions()
	if f != nil {
		f(&o)
	}
	return o
}

func beta3(o *CHRFOptions)    { o.Beta = 3 }
func beta3eps(o *CHRFOptions) { o.Beta = 3; o.EpsSmoothing = true }

// Tiny cases computed by hand; the derivation is in each comment.
func TestCHRFByHand(t *testing.T) {
	tests := []struct {
		name      string
		hyps      []string
		refs      [][]string
		opts      CHRFOptions
		want      float64
		wantStats []int // first orders only; nil to skip
	}{
		{
			// Orders 1 and 2 match fully; orders 3-6 do not exist in the
			// reference and drop out of the effective order: P = R = 1.
			name: "identical", hyps: []string{"ab"}, refs: [][]string{{"ab"}},
			opts: chrfOpts(nil), want: 100, wantStats: []int{2, 2, 2, 1, 1, 1, 0, 0, 0},
		},
		{
			// Whitespace is removed before character n-grams.
			name: "spaces ignored", hyps: []string{"a b"}, refs: [][]string{{"ab"}},
			opts: chrfOpts(nil), want: 100,
		},
		{
			// Order 1: {a:2} vs {a,b}: 1 match, P = R = 1/2. Order 2: aa vs
			// ab: P = R = 0. Effective order 2: P = R = 1/4, F = 25.
			name: "aa/ab", hyps: []string{"aa"}, refs: [][]string{{"ab"}},
			opts: chrfOpts(beta3), want: 25, wantStats: []int{2, 2, 1, 1, 1, 0},
		},
		{
			// Corpus stats are summed before the F-score: order 1 gives
			// 1 match of 2 on each side, P = R = 1/2, F = 50.
			name: "corpus sum", hyps: []string{"a", "b"}, refs: [][]string{{"a", "c"}},
			opts: chrfOpts(beta3), want: 50,
		},
		{
			// Eps smoothing: order 1 has F = 1; orders 2-6 have no n-grams
			// on either side and contribute eps each: (1 + 5e-16)/6.
			name: "eps a/a", hyps: []string{"a"}, refs: [][]string{{"a"}},
			opts: chrfOpts(beta3eps), want: 100 * (1 + 5e-16) / 6,
		},
		{
			// chrF++ with CharOrder 2, WordOrder 2, beta 2. Characters
			// "ab." vs "ac.": order 1 P = R = 2/3, order 2 P = R = 0.
			// Words "a b ." vs "a c ." (the period is split off): order 1
			// P = R = 2/3, order 2 P = R = 0. Four effective orders give
			// P = R = 1/3, hence F = 1/3.
			name: "chrF++", hyps: []string{"a b."}, refs: [][]string{{"a c."}},
			opts: CHRFOptions{CharOrder: 2, WordOrder: 2, Beta: 2}, want: 100.0 / 3,
			wantStats: []int{3, 3, 2, 2, 2, 0, 3, 3, 2, 2, 2, 0},
		},
		{
			// The best of several references is kept, per segment.
			name: "best reference", hyps: []string{"ab"}, refs: [][]string{{"cd"}, {"ab"}},
			opts: chrfOpts(nil), want: 100,
		},
		{
			// Case-insensitive.
			name: "lowercase", hyps: []string{"AB"}, refs: [][]string{{"ab"}},
			opts: chrfOpts(func(o *CHRFOptions) { o.Lowercase = true }), want: 100,
		},
		{
			name: "empty hypothesis", hyps: []string{""}, refs: [][]string{{"reference"}},
			opts: chrfOpts(nil), want: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCHRF(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.CorpusStats(tt.hyps, tt.refs)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Score(st).Score; math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("chrF = %.12f, want %.12f", got, tt.want)
			}
			if tt.wantStats != nil && !intsPrefix(st.Counts, tt.wantStats) {
				t.Errorf("stats = %v, want prefix %v", st.Counts, tt.wantStats)
			}
		})
	}
}

func intsPrefix(xs, prefix []int) bool {
	if len(xs) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if xs[i] != p {
			return false
		}
	}
	return true
}

// Values published in sacreBLEU 2.x's test suite (to 1e-4).
func TestCHRFPublished(t *testing.T) {
	wsOn := func(o *CHRFOptions) { o.Beta = 3; o.Whitespace = true }
	const (
		riskHyp = "risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."
		riskRef = "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."
		obamaR  = "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."
	)
	tests := []struct {
		hyps, refs []string
		opts       CHRFOptions
		want       float64
	}{
		{[]string{"abcdefg"}, []string{"hijklmnop"}, chrfOpts(beta3eps), 0},
		{[]string{"a"}, []string{"b"}, chrfOpts(beta3eps), 0},
		{[]string{""}, []string{"b"}, chrfOpts(beta3eps), 0},
		{[]string{""}, []string{"reference"}, chrfOpts(beta3eps), 0},
		{[]string{"aa"}, []string{"ab"}, chrfOpts(beta3eps), 8.3333},
		{[]string{"a", "b"}, []string{"a", "c"}, chrfOpts(beta3eps), 8.3333},
		{[]string{"a"}, []string{"a"}, chrfOpts(beta3eps), 16.6667},
		{[]string{"a b c"}, []string{"a b c"}, chrfOpts(beta3eps), 50},
		{[]string{"a b c"}, []string{"abc"}, chrfOpts(beta3eps), 50},
		{[]string{" " + riskHyp}, []string{riskRef}, chrfOpts(beta3eps), 63.361730},
		{[]string{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
			[]string{obamaR}, chrfOpts(beta3eps), 64.1302698},
		{[]string{"Niemand hat die Absicht, eine Mauer zu errichten"},
			[]string{"Niemand hat die Absicht, eine Mauer zu errichten"}, chrfOpts(beta3eps), 100},
		{[]string{"a"}, []string{"a"}, chrfOpts(beta3), 100},
		{[]string{""}, []string{"reference"}, chrfOpts(beta3), 0},
		{[]string{"a b c"}, []string{"a b c"}, chrfOpts(beta3), 100},
		{[]string{"a b c"}, []string{"abc"}, chrfOpts(beta3), 100},
		{[]string{""}, []string{"c"}, chrfOpts(beta3), 0},
		{[]string{"a", "b"}, []string{"a", "c"}, chrfOpts(beta3), 50},
		{[]string{"aa"}, []string{"ab"}, chrfOpts(beta3), 25},
		{[]string{"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
			[]string{obamaR}, chrfOpts(wsOn), 67.3481606},
		{[]string{riskHyp}, []string{riskRef}, chrfOpts(wsOn), 65.2414427},
	}
	for _, tt := range tests {
		got, err := CorpusCHRF(tt.hyps, [][]string{tt.refs}, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-tt.want) > 1e-4 {
			t.Errorf("%q vs %q %+v: chrF = %.7f, want %.7f", tt.hyps, tt.refs, tt.opts, got.Score, tt.want)
		}
	}
}

// Sentence-level chrF with eps smoothing, from sacreBLEU's test suite.
func TestSentenceCHRFPublished(t *testing.T) {
	tests := []struct {
		hyp, ref string
		want     float64
	}{
		{"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
			"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509},
		{"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
			"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079},
		{"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
			"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367},
	}
	opts := chrfOpts(func(o *CHRFOptions) { o.EpsSmoothing = true })
	for _, tt := range tests {
		got, err := SentenceCHRF(tt.hyp, []string{tt.ref}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-tt.want) > 1e-4 {
			t.Errorf("%q: chrF = %.8f, want %.8f", tt.hyp, got.Score, tt.want)
		}
	}
}

func TestSplitPunctuation(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, world!", []string{"Hello", ",", "world", "!"}},
		{"(hi)", []string{"(hi", ")"}}, // the trailing mark wins (sacreBLEU #124)
		{"(hi", []string{"(", "hi"}},
		{"- a", []string{"-", "a"}},
		{"é.", []string{"é", "."}},
		{"„quoted“", []string{"„quoted“"}}, // only ASCII marks are split
	}
	for _, tt := range tests {
		if got := splitPunctuation(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitPunctuation(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCHRFSignatureAndName(t *testing.T) {
	tests := []struct {
		opts     CHRFOptions
		n        int
		name     string
		wantSig  string
		wantLine string
	}{
		{DefaultCHRFOptions(), 1, "chrF2", "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.2",
			"chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.4.2 = 12.3"},
		{chrfOpts(func(o *CHRFOptions) { o.WordOrder = 2 }), 2, "chrF2++",
			"nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.4.2",
			"chrF2++|nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.4.2 = 12.3"},
		{CHRFOptions{CharOrder: 4, WordOrder: 1, Beta: 1, Lowercase: true, Whitespace: true, EpsSmoothing: true}, -1, "chrF1+",
			"nrefs:var|case:lc|eff:no|nc:4|nw:1|space:yes|version:2.4.2",
			"chrF1+|nrefs:var|case:lc|eff:no|nc:4|nw:1|space:yes|version:2.4.2 = 12.3"},
	}
	for _, tt := range tests {
		c, err := NewCHRF(tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		sig := c.Signature(tt.n)
		line := CHRFScore{Name: c.Name(), Score: 12.345}.Format(1, sig)
		if c.Name() != tt.name || sig != tt.wantSig || line != tt.wantLine {
			t.Errorf("name %q sig %q line %q; want %q %q %q", c.Name(), sig, line, tt.name, tt.wantSig, tt.wantLine)
		}
	}
}

func TestCHRFErrors(t *testing.T) {
	c, _ := NewCHRF(DefaultCHRFOptions())
	if _, err := c.CorpusScore([]string{"a"}, [][]string{{"a", "b"}}); err == nil ||
		!strings.Contains(err.Error(), "hypotheses have 1 lines but reference stream 1 has 2 lines") {
		t.Errorf("line-count mismatch: %v", err)
	}
	if _, err := c.CorpusScore([]string{"a", "\xff"}, [][]string{{"a", "b"}}); err == nil ||
		!strings.Contains(err.Error(), "hypothesis line 2: invalid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := c.SentenceScore("a", []string{""}); err == nil {
		t.Error("empty reference accepted")
	}
	for _, o := range []CHRFOptions{{}, {CharOrder: -1, WordOrder: 2}, {CharOrder: 6, Beta: -1}} {
		if _, err := NewCHRF(o); err == nil {
			t.Errorf("NewCHRF(%+v) succeeded", o)
		}
	}
}

func TestCHRFStatsAddMatchesCorpus(t *testing.T) {
	ref := readFixture(t, fixtureRef)
	hyp := readFixture(t, "newstest2017.online-F.0.en-de")
	c, _ := NewCHRF(chrfOpts(func(o *CHRFOptions) { o.WordOrder = 2 }))
	whole, err := c.CorpusScore(hyp, [][]string{ref})
	if err != nil {
		t.Fatal(err)
	}
	var acc CHRFStats
	for i := range hyp {
		st, err := c.SegmentStats(hyp[i], []string{ref[i]})
		if err != nil {
			t.Fatal(err)
		}
		acc.Add(st)
	}
	if got := c.Score(acc).Score; got != whole.Score {
		t.Errorf("summed segments %v, corpus %v", got, whole.Score)
	}
}

// Corpus chrF on the fixtures. sacreBLEU itself was not available to
// produce these; they were cross-checked bit for bit against a separate
// Python transcription of sacreBLEU 2.x's CHRF run on the same files, and
// guard against regressions.
func TestCHRFFixtureRegression(t *testing.T) {
	ref := readFixture(t, fixtureRef)
	tests := []struct {
		system    string
		wordOrder int
		want      float64
	}{
		{"newstest2017.uedin-nmt.4722.en-de", 0, 57.722703142285},
		{"newstest2017.uedin-nmt.4722.en-de", 2, 55.009688497763},
		{"newstest2017.online-F.0.en-de", 0, 49.258783591967},
		{"newstest2017.online-F.0.en-de", 2, 45.712909936102},
		{"newstest2017.PROMT-Rule-based.4735.en-de", 0, 50.357340806228},
		{"newstest2017.PROMT-Rule-based.4735.en-de", 2, 46.989525019610},
	}
	for _, tt := range tests {
		opts := chrfOpts(func(o *CHRFOptions) { o.WordOrder = tt.wordOrder })
		got, err := CorpusCHRF(readFixture(t, tt.system), [][]string{ref}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-tt.want) > 1e-9 {
			t.Errorf("%s nw=%d: chrF = %.12f, want %.12f", tt.system, tt.wordOrder, got.Score, tt.want)
		}
	}
}
