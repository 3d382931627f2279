package tokenizer

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMinFrequency is subword-nmt's --min-frequency default.
const DefaultMinFrequency = 2

// LearnOptions configures LearnBPE.
type LearnOptions struct {
	// Merges is how many merge operations to learn (subword-nmt's
	// --symbols); learning stops earlier when no pair is frequent enough.
	Merges int
	// MinFrequency stops learning once the most frequent pair occurs fewer
	// times; 0 means DefaultMinFrequency.
	MinFrequency int
	// Verbose, when set, receives one line per merge in subword-nmt's
	// --verbose format.
	Verbose io.Writer
}

// LearnBPE learns merge operations from the word counts in v exactly as
// subword-nmt's learn_bpe.py (version 0.2) does, so that the codes file is
// byte-identical: the most frequent pair wins, ties go to the
// lexicographically greatest pair, and the same pruned statistics are
// kept, including their approximations, because those decide ties too.
func LearnBPE(v Vocab, opt LearnOptions) (*Codes, error) {
	if opt.Merges < 0 || opt.MinFrequency < 0 {
		return nil, fmt.Errorf("learn bpe: merges (%d) and min frequency (%d) must not be negative", opt.Merges, opt.MinFrequency)
	}
	if opt.MinFrequency == 0 {
		opt.MinFrequency = DefaultMinFrequency
	}
	l := newLearner(v)
	codes := &Codes{Version: [2]int{0, 2}}
	err := l.run(opt, func(p Pair, freq int) {
		codes.Merges = append(codes.Merges, p)
		if opt.Verbose != nil {
			fmt.Fprintf(opt.Verbose, "pair %d: %s %s -> %s%s (frequency %d)\n",
				len(codes.Merges)-1, p.Left, p.Right, p.Left, p.Right, freq)
		}
	})
	return codes, err
}

// ErrNoPairs is returned when the vocabulary has no two-character word, so
// that there is nothing to merge (subword-nmt crashes in that case).
var ErrNoPairs = errors.New("learn bpe: no symbol pairs in the vocabulary")

// learner mirrors learn_bpe.py's data structures with dense integer ids:
// stats and big are its stats and big_stats (membership matters, since
// pruned entries restart from zero), and index maps a pair to the words
// that hold it. A lazy max-heap replaces its linear max() over stats.
type learner struct {
	symbolTable

	words [][]int32
	freqs []int
	// odd marks words with whitespace other than " ": subword-nmt merges
	// through a regular expression whose \S boundaries misfire there, and
	// those words replay that exactly.
	odd []bool

	pairID map[uint64]int32
	pairs  [][2]int32

	stats, big pairStats
	index      []map[int32]int32
	heap       pairHeap
}

// pairStats is a dictionary from pair id to count whose membership is
// tracked apart from the count, as Python's defaultdict has it.
type pairStats struct {
	cnt     []int
	in      []bool
	members []int32
}

func (s *pairStats) grow(n int) {
	for len(s.cnt) < n {
		s.cnt = append(s.cnt, 0)
		s.in = append(s.in, false)
	}
}

// add applies d and reports whether p must be pushed on the heap: it is new
// or grew. A shrinking count leaves a stale, larger heap entry that the
// heap repairs when it reaches the top.
func (s *pairStats) add(p int32, d int) bool {
	if !s.in[p] {
		s.in[p], s.cnt[p] = true, d
		s.members = append(s.members, p)
		return true
	}
	s.cnt[p] += d
	return d > 0
}

func (s *pairStats) set(p int32, c int) bool {
	grew := !s.in[p] || c > s.cnt[p]
	if !s.in[p] {
		s.in[p] = true
		s.members = append(s.members, p)
	}
	s.cnt[p] = c
	return grew
}

func newLearner(v Vocab) *learner {
	l := &learner{symbolTable: newSymbolTable(), pairID: map[uint64]int32{}}
	for w, f := range v {
		rs := []rune(w)
		syms := make([]int32, len(rs))
		for i, r := range rs {
			s := string(r)
			if i == len(rs)-1 {
				s += EndOfWord
			}
			syms[i] = l.sym(s)
		}
		l.words = append(l.words, syms)
		l.freqs = append(l.freqs, f)
		l.odd = append(l.odd, strings.IndexFunc(w, isPySpace) >= 0)
	}
	for j, w := range l.words {
		for i := 1; i < len(w); i++ {
			p := l.pair(w[i-1], w[i])
			l.stats.add(p, l.freqs[j])
			l.indexAdd(p, int32(j), 1)
		}
	}
	l.big = pairStats{
		cnt:     append([]int(nil), l.stats.cnt...),
		in:      append([]bool(nil), l.stats.in...),
		members: append([]int32(nil), l.stats.members...),
	}
	l.rebuildHeap()
	return l
}

// isPySpace is Python's str.isspace, which is what \s matches in
// subword-nmt's pattern: Go's unicode.IsSpace plus four separators.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func (l *learner) pair(a, b int32) int32 {
	key := uint64(uint32(a))<<32 | uint64(uint32(b))
	id, ok := l.pairID[key]
	if !ok {
		id = int32(len(l.pairs))
		l.pairs = append(l.pairs, [2]int32{a, b})
		l.pairID[key] = id
		l.index = append(l.index, nil)
		l.stats.grow(len(l.pairs))
		l.big.grow(len(l.pairs))
	}
	return id
}

func (l *learner) indexAdd(p, word int32, d int32) {
	m := l.index[p]
	if m == nil {
		m = map[int32]int32{}
		l.index[p] = m
	}
	m[word] += d
}

func (l *learner) statAdd(p int32, d int) {
	if l.stats.add(p, d) {
		l.heap.push(l, heapItem{l.stats.cnt[p], p})
	}
}

func (l *learner) statSet(p int32, c int) {
	if l.stats.set(p, c) {
		l.heap.push(l, heapItem{c, p})
	}
}

// run is learn_bpe's main loop; emit receives each merge and its count.
func (l *learner) run(opt LearnOptions, emit func(Pair, int)) error {
	best, ok := l.heap.top(l)
	if !ok {
		return ErrNoPairs
	}
	threshold := float64(l.stats.cnt[best]) / 10
	for i := 0; i < opt.Merges; i++ {
		best, ok = l.heap.top(l)
		// The best pair may have been pruned: go back to full statistics.
		if !ok || (i > 0 && float64(l.stats.cnt[best]) < threshold) {
			if best, ok = l.restore(&threshold, i); !ok {
				return nil
			}
		}
		freq := 0
		if l.stats.in[best] {
			freq = l.stats.cnt[best]
		}
		if freq < opt.MinFrequency {
			return nil
		}
		a, b := l.pairs[best][0], l.pairs[best][1]
		emit(Pair{l.syms[a], l.syms[b]}, freq)
		l.update(best, l.replace(best))
		l.statSet(best, 0)
		if i%100 == 0 {
			l.prune(threshold)
		}
	}
	return nil
}

// restore replaces stats by the full statistics and lowers the threshold,
// as learn_bpe does when pruning may have hidden the best pair.
func (l *learner) restore(threshold *float64, i int) (int32, bool) {
	l.prune(*threshold)
	l.stats.members = append(l.stats.members[:0], l.big.members...)
	for _, p := range l.big.members {
		l.stats.in[p], l.stats.cnt[p] = true, l.big.cnt[p]
	}
	l.rebuildHeap()
	best, ok := l.heap.top(l)
	if !ok {
		return 0, false
	}
	*threshold = float64(l.stats.cnt[best]*i) / (float64(i) + 10000.0)
	l.prune(*threshold)
	return best, true
}

// prune moves pairs below threshold from stats to big. A pair whose stats
// entry is negative was pruned before and holds only the changes since, so
// it is added; any other value overwrites, exactly as learn_bpe does.
func (l *learner) prune(threshold float64) {
	keep := l.stats.members[:0]
	for _, p := range l.stats.members {
		c := l.stats.cnt[p]
		if float64(c) >= threshold {
			keep = append(keep, p)
			continue
		}
		l.stats.in[p] = false
		if c < 0 && l.big.in[p] {
			l.big.cnt[p] += c
		} else {
			l.big.set(p, c)
		}
	}
	l.stats.members = keep
	l.rebuildHeap()
}

func (l *learner) rebuildHeap() {
	l.heap.items = l.heap.items[:0]
	for _, p := range l.stats.members {
		l.heap.items = append(l.heap.items, heapItem{l.stats.cnt[p], p})
	}
	l.heap.init(l)
}

// change records one word rewritten by a merge.
type change struct {
	word     int32
	old, new []int32
}

// replace rewrites every word that the index lists for pair p.
func (l *learner) replace(p int32) []change {
	a, b := l.pairs[p][0], l.pairs[p][1]
	ab := l.sym(l.syms[a] + l.syms[b])
	var changes []change
	for j, n := range l.index[p] {
		if n < 1 {
			continue
		}
		old := l.words[j]
		var nw []int32
		if l.odd[j] {
			nw = l.regexMerge(old, a, b)
		} else {
			nw = mergeSymbols(old, a, b, ab)
		}
		l.words[j] = nw
		changes = append(changes, change{j, old, nw})
	}
	return changes
}

// mergeSymbols replaces the non-overlapping occurrences of a b, left to
// right, by ab.
func mergeSymbols(w []int32, a, b, ab int32) []int32 {
	out := make([]int32, 0, len(w))
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) && w[i] == a && w[i+1] == b {
			out = append(out, ab)
			i++
			continue
		}
		out = append(out, w[i])
	}
	return out
}

// regexMerge replays subword-nmt's re.sub(r'(?<!\S)A B(?!\S)', 'AB') on
// the space-joined symbols, which matches inside a symbol when that symbol
// contains other whitespace.
func (l *learner) regexMerge(w []int32, a, b int32) []int32 {
	parts := make([]string, len(w))
	for i, s := range w {
		parts[i] = l.syms[s]
	}
	s := strings.Join(parts, " ")
	target := l.syms[a] + " " + l.syms[b]
	var out strings.Builder
	last, pos := 0, 0
	for {
		k := strings.Index(s[pos:], target)
		if k < 0 {
			break
		}
		k += pos
		end := k + len(target)
		if spaceBefore(s, k) && spaceAfter(s, end) {
			out.WriteString(s[last:k])
			out.WriteString(l.syms[a] + l.syms[b])
			last, pos = end, end
		} else {
			pos = k + 1
		}
	}
	out.WriteString(s[last:])
	fields := strings.Split(out.String(), " ")
	nw := make([]int32, len(fields))
	for i, f := range fields {
		nw[i] = l.sym(f)
	}
	return nw
}

func spaceBefore(s string, k int) bool {
	if k == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:k])
	return isPySpace(r)
}

func spaceAfter(s string, end int) bool {
	if end == len(s) {
		return true
	}
	for _, r := range s[end:] {
		return isPySpace(r)
	}
	return true
}

// update is learn_bpe's update_pair_statistics: it adjusts the counts of
// the pairs around each merged occurrence. It scans for the merged symbol
// by value, so an equal symbol that already existed is counted again, as
// subword-nmt counts it.
func (l *learner) update(p int32, changes []change) {
	l.statSet(p, 0)
	l.index[p] = nil
	a, b := l.pairs[p][0], l.pairs[p][1]
	ab := l.symID[l.syms[a]+l.syms[b]]
	for _, ch := range changes {
		f := l.freqs[ch.word]
		l.forgetOld(ch.word, ch.old, a, b, f)
		l.countNew(ch.word, ch.new, ab, f)
	}
}

func (l *learner) bump(x, y, word int32, f int, d int32) {
	q := l.pair(x, y)
	l.statAdd(q, f*int(d))
	l.indexAdd(q, word, d)
}

func (l *learner) forgetOld(j int32, old []int32, a, b int32, f int) {
	for i := 0; i < len(old); {
		i = indexFrom(old, a, i)
		if i < 0 {
			return
		}
		if i >= len(old)-1 || old[i+1] != b {
			i++
			continue
		}
		if i > 0 {
			l.bump(old[i-1], old[i], j, f, -1)
		}
		// In "A B C B C", the "C B" is decremented by the next
		// occurrence's left neighbour already.
		if i < len(old)-2 && (old[i+2] != a || i >= len(old)-3 || old[i+3] != b) {
			l.bump(old[i+1], old[i+2], j, f, -1)
		}
		i += 2
	}
}

func (l *learner) countNew(j int32, nw []int32, ab int32, f int) {
	for i := 0; i < len(nw); i++ {
		i = indexFrom(nw, ab, i)
		if i < 0 {
			return
		}
		if i > 0 {
			l.bump(nw[i-1], nw[i], j, f, 1)
		}
		// In "A BC BC" the second pair is counted by the next occurrence.
		if i < len(nw)-1 && nw[i+1] != ab {
			l.bump(nw[i], nw[i+1], j, f, 1)
		}
	}
}

func indexFrom(w []int32, s int32, from int) int {
	for i := from; i < len(w); i++ {
		if w[i] == s {
			return i
		}
	}
	return -1
}
