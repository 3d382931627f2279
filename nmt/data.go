package nmt

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/zoo-nn/zoo/dataset"
	"github.com/zoo-nn/zoo/tokenizer"
	"github.com/zoo-nn/zoo/train"
)

// Input formats of a translation corpus.
const (
	// FormatRaw is plain text: zoo tokenizes it (Moses-style), learns a
	// joint BPE on the training set and applies it.
	FormatRaw = "raw"
	// FormatTok is already tokenized text (one space between tokens, e.g.
	// fairseq's prepare-iwslt14.sh before BPE): zoo learns and applies BPE.
	FormatTok = "tok"
	// FormatBPE is already segmented text with "@@ " joiners (the output
	// of fairseq's prepare-*.sh): zoo only builds the dictionary.
	FormatBPE = "bpe"
)

// DataConfig is the [data] section of a translation recipe. Files are
// named <prefix>.<lang>, optionally gzipped (<prefix>.<lang>.gz).
type DataConfig struct {
	Source    string `mapstructure:"source"`     // source language code, e.g. "de"
	Target    string `mapstructure:"target"`     // target language code, e.g. "en"
	Train     string `mapstructure:"train"`      // training file prefix (path without .<lang>), or DATASET:stem, e.g. "multi30k:train"
	Valid     string `mapstructure:"valid"`      // validation file prefix
	Test      string `mapstructure:"test"`       // test file prefix (decoded and scored at the end)
	Format    string `mapstructure:"format"`     // raw | tok | bpe, default raw
	BPEMerges int    `mapstructure:"bpe_merges"` // joint BPE merge operations (raw, tok), default 10000
	Threshold int    `mapstructure:"threshold"`  // dictionary frequency threshold, default 0 (keep all)
	MaxLen    int    `mapstructure:"max_len"`    // drop training/validation pairs with a side longer than this in subwords (fairseq's skip_invalid_size), default 256
	Limit     int    `mapstructure:"limit"`      // use only the first N training pairs (0: all), for smoke tests
	CacheDir  string `mapstructure:"cache_dir"`  // prepared data cache; default $ZOO_CACHE/prep or ~/.cache/zoo/prep
}

// DefaultDataConfig is a joint-BPE, raw-text set-up.
func DefaultDataConfig() DataConfig {
	return DataConfig{Format: FormatRaw, BPEMerges: 10000, MaxLen: 256}
}

// Validate reports missing or out-of-range settings.
func (c DataConfig) Validate() error {
	switch {
	case c.Source == "" || c.Target == "":
		return fmt.Errorf("data: source and target languages are required (e.g. source = \"de\", target = \"en\")")
	case c.Train == "" || c.Valid == "":
		return fmt.Errorf("data: train and valid file prefixes are required")
	case c.Format != FormatRaw && c.Format != FormatTok && c.Format != FormatBPE:
		return fmt.Errorf("data: format = %q, want raw, tok or bpe", c.Format)
	case c.Format != FormatBPE && c.BPEMerges < 1:
		return fmt.Errorf("data: bpe_merges = %d, want >= 1 for format %q", c.BPEMerges, c.Format)
	case c.MaxLen < 1:
		return fmt.Errorf("data: max_len = %d, want >= 1", c.MaxLen)
	case c.Limit < 0 || c.Threshold < 0:
		return fmt.Errorf("data: limit and threshold must not be negative")
	}
	return nil
}

// Corpus is a prepared translation data set.
type Corpus struct {
	Dict               *tokenizer.Dictionary // joint source-target dictionary
	Train, Valid, Test []Example
	// TestSource and TestRefs are the test set's source and target lines
	// as read (before any tokenization), for decoding and scoring.
	TestSource, TestRefs []string
	Stats                PrepStats
	Dir                  string // the cache folder holding codes.bpe, dict.txt and the ids
}

// PrepStats counts what preparation kept and dropped.
type PrepStats struct {
	TrainPairs, TrainDropped int
	ValidPairs, ValidDropped int
	TestPairs                int
	DictSize                 int
	BPEMerges                int
	// DictSHA256 is the hex SHA-256 of the cache's dict.txt, so that a
	// damaged (e.g. truncated) dictionary is told from the one the ids
	// were encoded with. Caches written before it was recorded lack it.
	DictSHA256 string `json:",omitempty"`
	Cached     bool   // loaded from the cache rather than prepared
}

// PathOf resolves <prefix>.<lang>, trying the plain name then ".gz". A
// prefix "NAME:stem" names a data set of zoo's catalogue (package
// dataset): the file is looked up in $ZOO_DATA, then the cache, and a
// missing one is an error that says how to get it (zoo data get NAME).
func PathOf(prefix, lang string) (string, error) {
	if name, stem, ok := strings.Cut(prefix, ":"); ok && !strings.ContainsAny(name, `/\.`) {
		return datasetPath(name, stem, lang)
	}
	for _, p := range []string{prefix + "." + lang, prefix + "." + lang + ".gz"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("data file %s.%s (or %s.%s.gz) not found", prefix, lang, prefix, lang)
}

func datasetPath(name, stem, lang string) (string, error) {
	spec, err := dataset.Lookup(name)
	if err != nil {
		return "", err
	}
	file := stem + "." + lang
	for _, f := range spec.Files {
		if f.Name == file+".gz" {
			file += ".gz"
		}
	}
	return dataset.Path(name, file)
}

// ReadLines reads a text file (gzipped if named .gz) as lines without
// their newline; invalid UTF-8 is an error naming the file and line.
func ReadLines(path string) ([]string, error) {
	f, err := tokenizer.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s line %d: invalid UTF-8", path, len(lines)+1)
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lines, nil
}

// parallel is one split's two sides as read.
type parallel struct {
	src, tgt []string
}

func readParallel(prefix, srcLang, tgtLang string, limit int) (parallel, error) {
	var p parallel
	sp, err := PathOf(prefix, srcLang)
	if err != nil {
		return p, err
	}
	tp, err := PathOf(prefix, tgtLang)
	if err != nil {
		return p, err
	}
	if p.src, err = ReadLines(sp); err != nil {
		return p, err
	}
	if p.tgt, err = ReadLines(tp); err != nil {
		return p, err
	}
	if len(p.src) != len(p.tgt) {
		return p, fmt.Errorf("%s has %d lines but %s has %d: a parallel corpus needs one line per sentence on both sides", sp, len(p.src), tp, len(p.tgt))
	}
	if limit > 0 && len(p.src) > limit {
		p.src, p.tgt = p.src[:limit], p.tgt[:limit]
	}
	return p, nil
}

// mapParallel applies f to every line on all cores, keeping the order.
func mapParallel(lines []string, f func(string) string) []string {
	out := make([]string, len(lines))
	workers := runtime.NumCPU()
	var wg sync.WaitGroup
	chunk := (len(lines) + workers - 1) / max(workers, 1)
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(lines))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = f(lines[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// LoadCorpus prepares (or loads from its cache) the corpus that c names.
// The cache key hashes the settings and the input files' contents, so a
// changed file or setting prepares anew.
func LoadCorpus(c DataConfig) (*Corpus, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	splits, err := readSplits(c)
	if err != nil {
		return nil, err
	}
	dir, err := cacheDir(c, splits)
	if err != nil {
		return nil, err
	}
	corpus, err := loadCached(dir)
	if err != nil {
		// No cache, or a damaged one (its files disagree with stats.json):
		// prepare anew. stats.json goes first, so that a preparation
		// interrupted halfway leaves no cache that looks complete.
		if rmErr := os.Remove(filepath.Join(dir, "stats.json")); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("data cache %s is damaged (%v) and cannot be reset: %w", dir, err, rmErr)
		}
		corpus, err = prepare(c, splits, dir)
		if err != nil {
			return nil, err
		}
	}
	corpus.TestSource, corpus.TestRefs = splits["test"].src, splits["test"].tgt
	if err := corpus.checkNotEmpty(c); err != nil {
		return nil, err
	}
	return corpus, nil
}

// checkNotEmpty refuses splits left with no pairs: training on nothing,
// or validating on nothing (a loss of 0 and a perplexity of 1), would
// "succeed" with meaningless numbers.
func (c *Corpus) checkNotEmpty(cfg DataConfig) error {
	for _, s := range []struct {
		name, prefix string
		n, dropped   int
		needed       bool
	}{
		{"train", cfg.Train, len(c.Train), c.Stats.TrainDropped, true},
		{"valid", cfg.Valid, len(c.Valid), c.Stats.ValidDropped, true},
		{"test", cfg.Test, len(c.Test), 0, cfg.Test != ""},
	} {
		if s.needed && s.n == 0 {
			return fmt.Errorf("data %s (%s.%s, %s.%s): no sentence pairs left (%d dropped as empty or longer than max_len = %d)",
				s.name, s.prefix, cfg.Source, s.prefix, cfg.Target, s.dropped, cfg.MaxLen)
		}
	}
	return nil
}

func readSplits(c DataConfig) (map[string]parallel, error) {
	out := map[string]parallel{}
	for _, s := range []struct {
		name, prefix string
		limit        int
	}{{"train", c.Train, c.Limit}, {"valid", c.Valid, 0}, {"test", c.Test, 0}} {
		if s.prefix == "" {
			continue
		}
		p, err := readParallel(s.prefix, c.Source, c.Target, s.limit)
		if err != nil {
			return nil, fmt.Errorf("data %s: %w", s.name, err)
		}
		if len(p.src) == 0 {
			return nil, fmt.Errorf("data %s: %s.%s and %s.%s have no lines", s.name, s.prefix, c.Source, s.prefix, c.Target)
		}
		out[s.name] = p
	}
	return out, nil
}

// prepVersion changes whenever preparation changes what it produces.
const prepVersion = "zoo-nmt-prep-1"

func cacheDir(c DataConfig, splits map[string]parallel) (string, error) {
	h := sha256.New()
	key := c
	key.CacheDir, key.Train, key.Valid, key.Test = "", "", "", "" // contents, not paths, decide
	meta, _ := json.Marshal(key)
	fmt.Fprintf(h, "%s\n%s\n", prepVersion, meta)
	for _, name := range []string{"train", "valid", "test"} {
		p := splits[name]
		fmt.Fprintf(h, "%s %d\n", name, len(p.src))
		for i := range p.src {
			io.WriteString(h, p.src[i]+"\t"+p.tgt[i]+"\n")
		}
	}
	root := c.CacheDir
	if root == "" {
		base := os.Getenv("ZOO_CACHE")
		if base == "" {
			home, err := os.UserCacheDir()
			if err != nil {
				return "", fmt.Errorf("data: no cache_dir set and no user cache folder: %w", err)
			}
			base = filepath.Join(home, "zoo")
		}
		root = filepath.Join(base, "prep")
	}
	return filepath.Join(root, hex.EncodeToString(h.Sum(nil))[:16]), nil
}

// prepare runs tokenization, BPE, the dictionary and encoding, and
// writes everything to dir.
func prepare(c DataConfig, splits map[string]parallel, dir string) (*Corpus, error) {
	seg, codes, err := segmenter(c, splits["train"])
	if err != nil {
		return nil, err
	}
	segmented := map[string]parallel{}
	for name, p := range splits {
		segmented[name] = parallel{mapParallel(p.src, seg(c.Source)), mapParallel(p.tgt, seg(c.Target))}
	}
	dict := tokenizer.NewDictionary()
	for _, side := range [][]string{segmented["train"].src, segmented["train"].tgt} {
		for _, l := range side {
			dict.AddLine(l)
		}
	}
	dict.Finalize(tokenizer.FinalizeOptions{Threshold: c.Threshold, PadTo: 8})
	corpus := &Corpus{Dict: dict, Dir: dir}
	corpus.Train, corpus.Stats.TrainDropped = encode(dict, segmented["train"], c.MaxLen)
	corpus.Valid, corpus.Stats.ValidDropped = encode(dict, segmented["valid"], c.MaxLen)
	corpus.Test, _ = encode(dict, segmented["test"], 0)
	corpus.Stats.TrainPairs, corpus.Stats.ValidPairs, corpus.Stats.TestPairs = len(corpus.Train), len(corpus.Valid), len(corpus.Test)
	corpus.Stats.DictSize = dict.Len()
	if codes != nil {
		corpus.Stats.BPEMerges = len(codes.Merges)
	}
	if err := saveCorpus(corpus, codes); err != nil {
		return nil, err
	}
	return corpus, nil
}

// segmenter returns, per language, the function that turns a raw line
// into subwords, learning joint BPE codes on the training set if needed.
func segmenter(c DataConfig, trainSet parallel) (func(lang string) func(string) string, *tokenizer.Codes, error) {
	if c.Format == FormatBPE {
		return func(string) func(string) string { return normalizeSpaces }, nil, nil
	}
	tok := func(lang string) func(string) string {
		if c.Format == FormatTok {
			return normalizeSpaces
		}
		t := tokenizer.NewTokenizer(lang)
		return t.TokenizeString
	}
	srcTok := mapParallel(trainSet.src, tok(c.Source))
	tgtTok := mapParallel(trainSet.tgt, tok(c.Target))
	vocab := tokenizer.Vocab{}
	for _, side := range [][]string{srcTok, tgtTok} {
		if err := vocab.AddText(strings.NewReader(strings.Join(side, "\n")+"\n"), "training set"); err != nil {
			return nil, nil, fmt.Errorf("data: %w", err)
		}
	}
	codes, err := tokenizer.LearnBPE(vocab, tokenizer.LearnOptions{Merges: c.BPEMerges})
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	bpe, err := tokenizer.NewBPE(codes, tokenizer.ApplyOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	return func(lang string) func(string) string {
		t := tok(lang)
		return func(line string) string { return bpe.ProcessLine(t(line)) }
	}, codes, nil
}

func normalizeSpaces(line string) string { return strings.Join(strings.Fields(line), " ") }

// encode maps lines to ids (without EOS) and drops pairs with an empty
// side or, when maxLen > 0, a side longer than maxLen subwords.
func encode(dict *tokenizer.Dictionary, p parallel, maxLen int) (out []Example, dropped int) {
	for i := range p.src {
		s, t := ids(dict, p.src[i]), ids(dict, p.tgt[i])
		if maxLen > 0 && (len(s) == 0 || len(t) == 0 || len(s) > maxLen || len(t) > maxLen) {
			dropped++
			continue
		}
		out = append(out, Example{Src: s, Tgt: t})
	}
	return out, dropped
}

func ids(dict *tokenizer.Dictionary, line string) []int32 {
	enc := dict.Encode(line)
	out := make([]int32, len(enc)-1) // without the EOS that Encode appends
	for i := range out {
		out[i] = int32(enc[i])
	}
	return out
}

// --- cache files: codes.bpe, dict.txt, {train,valid,test}.ids, stats.json

func saveCorpus(c *Corpus, codes *tokenizer.Codes) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("data cache %s: %w", c.Dir, err)
	}
	if codes != nil {
		if err := codes.Save(filepath.Join(c.Dir, "codes.bpe")); err != nil {
			return fmt.Errorf("data cache: %w", err)
		}
	}
	var dict bytes.Buffer
	if _, err := c.Dict.WriteTo(&dict); err != nil {
		return fmt.Errorf("data cache: %w", err)
	}
	sum := sha256.Sum256(dict.Bytes())
	c.Stats.DictSHA256 = hex.EncodeToString(sum[:])
	if err := train.WriteFileAtomic(filepath.Join(c.Dir, "dict.txt"), dict.Bytes()); err != nil {
		return fmt.Errorf("data cache: %w", err)
	}
	for name, ex := range map[string][]Example{"train": c.Train, "valid": c.Valid, "test": c.Test} {
		if err := writeIDs(filepath.Join(c.Dir, name+".ids"), ex); err != nil {
			return err
		}
	}
	// stats.json is written last: its presence marks a complete cache.
	raw, _ := json.MarshalIndent(c.Stats, "", "  ")
	return train.WriteFileAtomic(filepath.Join(c.Dir, "stats.json"), raw)
}

// loadCached reads the cache in dir, checking its files against what
// stats.json records: an error means there is no usable cache (none, or
// a damaged one, named in the error).
func loadCached(dir string) (*Corpus, error) {
	statsPath := filepath.Join(dir, "stats.json")
	raw, err := os.ReadFile(statsPath)
	if err != nil {
		return nil, err
	}
	c := &Corpus{Dir: dir}
	if err := json.Unmarshal(raw, &c.Stats); err != nil {
		return nil, fmt.Errorf("data cache %s: %w", statsPath, err)
	}
	dictPath := filepath.Join(dir, "dict.txt")
	dictRaw, err := os.ReadFile(dictPath)
	if err != nil {
		return nil, fmt.Errorf("data cache: %w", err)
	}
	if want := c.Stats.DictSHA256; want != "" {
		if sum := sha256.Sum256(dictRaw); hex.EncodeToString(sum[:]) != want {
			return nil, fmt.Errorf("data cache %s: SHA-256 differs from the one %s records", dictPath, statsPath)
		}
	}
	if c.Dict, err = tokenizer.ReadDictionary(bytes.NewReader(dictRaw), dictPath); err != nil {
		return nil, fmt.Errorf("data cache: %w", err)
	}
	if c.Dict.Len() != c.Stats.DictSize {
		return nil, fmt.Errorf("data cache %s: %d symbols, but %s records %d", dictPath, c.Dict.Len(), statsPath, c.Stats.DictSize)
	}
	for _, split := range []struct {
		name  string
		dst   *[]Example
		pairs int
	}{{"train", &c.Train, c.Stats.TrainPairs}, {"valid", &c.Valid, c.Stats.ValidPairs}, {"test", &c.Test, c.Stats.TestPairs}} {
		path := filepath.Join(dir, split.name+".ids")
		if *split.dst, err = readIDs(path); err != nil {
			return nil, fmt.Errorf("data cache: %w", err)
		}
		if len(*split.dst) != split.pairs {
			return nil, fmt.Errorf("data cache %s: %d pairs, but %s records %d", path, len(*split.dst), statsPath, split.pairs)
		}
		if err := checkIDs(*split.dst, c.Dict.Len()); err != nil {
			return nil, fmt.Errorf("data cache %s: %w", path, err)
		}
	}
	c.Stats.Cached = true
	return c, nil
}

// checkIDs refuses an id outside a dictionary of size symbols.
func checkIDs(data []Example, size int) error {
	for i, ex := range data {
		for _, side := range [][]int32{ex.Src, ex.Tgt} {
			for _, id := range side {
				if id < 0 || int(id) >= size {
					return fmt.Errorf("pair %d holds id %d, outside the dictionary's %d symbols", i+1, id, size)
				}
			}
		}
	}
	return nil
}

// The .ids format: per example, uint32 source length, uint32 target
// length, then the ids as little-endian int32.
func writeIDs(path string, data []Example) error {
	var buf []byte
	for _, ex := range data {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ex.Src)))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(ex.Tgt)))
		for _, v := range ex.Src {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
		}
		for _, v := range ex.Tgt {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
		}
	}
	return train.WriteFileAtomic(path, buf)
}

func readIDs(path string) ([]Example, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Example
	next := func() uint32 { v := binary.LittleEndian.Uint32(buf); buf = buf[4:]; return v }
	for len(buf) >= 8 {
		ns, nt := int(next()), int(next())
		if len(buf) < 4*(ns+nt) {
			return nil, fmt.Errorf("%s: truncated", path)
		}
		ex := Example{Src: make([]int32, ns), Tgt: make([]int32, nt)}
		for i := range ex.Src {
			ex.Src[i] = int32(next())
		}
		for i := range ex.Tgt {
			ex.Tgt[i] = int32(next())
		}
		out = append(out, ex)
	}
	if len(buf) != 0 {
		return nil, fmt.Errorf("%s: truncated", path)
	}
	return out, nil
}
