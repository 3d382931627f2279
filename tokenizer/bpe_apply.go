package tokenizer

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultSeparator marks a subword that the next one continues.
const DefaultSeparator = "@@"

// ApplyOptions configures NewBPE.
type ApplyOptions struct {
	// Separator is appended to every subword but a word's last; "" means
	// DefaultSeparator.
	Separator string
	// Merges limits the codes to the first Merges operations; 0 uses all.
	Merges int
	// Glossaries are regular expressions (Go syntax) for words that BPE
	// must not split, as subword-nmt's --glossaries: a word matching one
	// whole is kept, and matches inside a word are cut out of it first.
	Glossaries []string
}

// BPE segments words with learned codes exactly as subword-nmt's
// apply_bpe.py does: within a word, the adjacent pair with the lowest rank
// is merged everywhere, until no pair has a rank. It is safe for
// concurrent use; ProcessLine and Apply cache every word they segment.
type BPE struct {
	sep     string
	version [2]int
	symbolTable
	ranks   map[uint64]rankedMerge
	gloss   []glossary
	glossRe *regexp.Regexp
	cache   sync.Map // word -> its subwords joined by separator and space
}

type rankedMerge struct{ rank, merged int32 }

// NewBPE prepares c for segmentation.
func NewBPE(c *Codes, opt ApplyOptions) (*BPE, error) {
	b := &BPE{
		sep:         opt.Separator,
		version:     c.Version,
		symbolTable: newSymbolTable(),
		ranks:       map[uint64]rankedMerge{},
	}
	if b.sep == "" {
		b.sep = DefaultSeparator
	}
	merges := c.Merges
	if opt.Merges > 0 && opt.Merges < len(merges) {
		merges = merges[:opt.Merges]
	}
	for i, p := range merges {
		key := pairKey(b.sym(p.Left), b.sym(p.Right))
		if _, dup := b.ranks[key]; !dup { // the first of duplicates counts
			b.ranks[key] = rankedMerge{int32(i), b.sym(p.Left + p.Right)}
		}
	}
	if err := b.compileGlossaries(opt.Glossaries); err != nil {
		return nil, err
	}
	return b, nil
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// symbolTable interns symbols as dense ids, for learning and applying.
type symbolTable struct {
	symID map[string]int32
	syms  []string
}

func newSymbolTable() symbolTable { return symbolTable{symID: map[string]int32{}} }

// sym returns the id of s, adding it if new.
func (t *symbolTable) sym(s string) int32 {
	id, ok := t.symID[s]
	if !ok {
		id = int32(len(t.syms))
		t.syms = append(t.syms, s)
		t.symID[s] = id
	}
	return id
}

// Separator returns the string that marks a continued subword.
func (b *BPE) Separator() string { return b.sep }

// SegmentWord returns the subwords of one word, without separators and
// without glossary handling.
func (b *BPE) SegmentWord(word string) []string {
	if b.glossRe != nil && b.glossRe.MatchString(word) {
		return []string{word}
	}
	if utf8.RuneCountInString(word) <= 1 {
		return []string{word}
	}
	return b.encode(word)
}

// encode runs the merges on one word of at least two characters.
func (b *BPE) encode(word string) []string {
	strs, ids := b.initialSymbols(word)
	for len(ids) > 1 {
		best, bestRank := -1, int32(0)
		for i := 0; i+1 < len(ids); i++ {
			if ids[i] < 0 || ids[i+1] < 0 {
				continue
			}
			m, ok := b.ranks[pairKey(ids[i], ids[i+1])]
			if ok && (best < 0 || m.rank < bestRank) {
				best, bestRank = i, m.rank
			}
		}
		if best < 0 {
			break
		}
		strs, ids = b.mergeAll(strs, ids, ids[best], ids[best+1])
	}
	last := len(strs) - 1
	if strs[last] == EndOfWord {
		strs = strs[:last]
	} else {
		strs[last] = strings.TrimSuffix(strs[last], EndOfWord)
	}
	return strs
}

// initialSymbols splits word into characters and marks the end of word;
// characters no merge knows get id -1.
func (b *BPE) initialSymbols(word string) ([]string, []int32) {
	n := utf8.RuneCountInString(word)
	strs := make([]string, 0, n+1)
	for i, r := range word {
		strs = append(strs, word[i:i+utf8.RuneLen(r)])
	}
	if b.version == [2]int{0, 1} {
		strs = append(strs, EndOfWord)
	} else {
		strs[n-1] += EndOfWord
	}
	ids := make([]int32, len(strs))
	for i, s := range strs {
		ids[i] = b.lookup(s)
	}
	return strs, ids
}

func (b *BPE) lookup(s string) int32 {
	if id, ok := b.symID[s]; ok {
		return id
	}
	return -1
}

// mergeAll replaces the non-overlapping occurrences of x y, left to right.
func (b *BPE) mergeAll(strs []string, ids []int32, x, y int32) ([]string, []int32) {
	m := b.ranks[pairKey(x, y)]
	ns, ni := strs[:0], ids[:0]
	for i := 0; i < len(ids); i++ {
		if i+1 < len(ids) && ids[i] == x && ids[i+1] == y {
			ns, ni = append(ns, b.syms[m.merged]), append(ni, m.merged)
			i++
			continue
		}
		ns, ni = append(ns, strs[i]), append(ni, ids[i])
	}
	return ns, ni
}

// ProcessLine segments a line of space-separated words like apply_bpe's
// process_line: runs of spaces between words collapse to one, while the
// leading and trailing "\r", "\n" and spaces are kept as they were. Other
// whitespace, a tab or a no-break space, is part of a word.
func (b *BPE) ProcessLine(line string) string {
	return b.processLine(line, sharedCache{&b.cache})
}

// wordCache maps a word to its segmented form. Apply gives each worker a
// plain map, which is faster than sharing one.
type wordCache interface {
	load(word string) (string, bool)
	store(word, segmented string)
}

type sharedCache struct{ m *sync.Map }

func (c sharedCache) load(w string) (string, bool) {
	v, ok := c.m.Load(w)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (c sharedCache) store(w, s string) { c.m.Store(w, s) }

type localCache map[string]string

func (c localCache) load(w string) (string, bool) { s, ok := c[w]; return s, ok }

func (c localCache) store(w, s string) { c[w] = s }

func (b *BPE) processLine(line string, cache wordCache) string {
	var out strings.Builder
	out.Grow(len(line) + len(line)/2)
	for _, piece := range pyLines(line) {
		b.processPiece(&out, piece, cache)
	}
	return out.String()
}

func (b *BPE) processPiece(out *strings.Builder, line string, cache wordCache) {
	const ws = "\r\n "
	rest := strings.TrimLeft(line, ws)
	body := strings.TrimRight(rest, ws)
	trailing := rest[len(body):]
	out.WriteString(line[:len(line)-len(rest)])
	first := true
	for body != "" {
		var word string
		word, body, _ = strings.Cut(body, " ")
		if word == "" {
			continue // "eliminate double spaces", as subword-nmt says
		}
		seg, ok := cache.load(word)
		if !ok {
			seg = b.segmentJoined(word)
			cache.store(word, seg)
		}
		if !first {
			out.WriteByte(' ')
		}
		first = false
		out.WriteString(seg)
	}
	out.WriteString(trailing)
}

// segmentJoined segments word, glossaries first, and joins the subwords
// with the separator and a space.
func (b *BPE) segmentJoined(word string) string {
	var subs []string
	for _, part := range b.isolateGlossaries(word) {
		subs = append(subs, b.SegmentWord(part)...)
	}
	return strings.Join(subs, b.sep+" ")
}

// Apply segments every line of r into w on goroutines, in order; name is
// used in errors.
func (b *BPE) Apply(r io.Reader, w io.Writer, name string) error {
	err := MapLines(r, w, name, 0, func() LineFunc {
		cache := localCache{}
		return func(line string) string { return b.processLine(line, cache) }
	})
	if err != nil {
		return fmt.Errorf("apply bpe: %w", err)
	}
	return nil
}
