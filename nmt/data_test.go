package nmt

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/train"
)

// tinyTextCorpus writes a few tokenized sentence pairs and returns a
// DataConfig over them with its own cache folder.
func tinyTextCorpus(t *testing.T) DataConfig {
	t.Helper()
	dir := t.TempDir()
	de := "das haus ist klein\nder hund ist gross\ndie katze schlaeft\nein kleines haus\n"
	en := "the house is small\nthe dog is big\nthe cat sleeps\na small house\n"
	for name, text := range map[string]string{"train.de": de, "train.en": en, "dev.de": de, "dev.en": en} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultDataConfig()
	cfg.Source, cfg.Target, cfg.Format, cfg.BPEMerges = "de", "en", FormatTok, 20
	cfg.Train, cfg.Valid, cfg.Test = filepath.Join(dir, "train"), filepath.Join(dir, "dev"), filepath.Join(dir, "dev")
	cfg.CacheDir = filepath.Join(dir, "prep")
	return cfg
}

// TestDamagedCacheIsPreparedAgain: a cache whose files disagree with
// its stats.json (a truncated or edited dict.txt, an id outside the
// dictionary, a missing pair) is not trusted: the data is prepared anew
// and the cache repaired, instead of training failing in libtorch's
// embedding lookup.
func TestDamagedCacheIsPreparedAgain(t *testing.T) {
	cfg := tinyTextCorpus(t)
	first, err := LoadCorpus(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first.Stats.Cached || first.Stats.DictSHA256 == "" {
		t.Fatalf("first load: stats %+v, want prepared with the dictionary's checksum", first.Stats)
	}
	if again, err := LoadCorpus(cfg); err != nil || !again.Stats.Cached {
		t.Fatalf("second load: %v, stats %+v, want it from the cache", err, again.Stats)
	}
	dict := filepath.Join(first.Dir, "dict.txt")
	good, err := os.ReadFile(dict)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	damages := []struct {
		name string
		file string
		data func() []byte
	}{
		{"truncated dict.txt", "dict.txt", func() []byte { return []byte(strings.Join(lines[:len(lines)/2], "")) }},
		{"edited dict.txt", "dict.txt", func() []byte { return []byte(strings.Replace(string(good), "haus", "hau5", 1)) }},
		{"empty dict.txt", "dict.txt", func() []byte { return nil }},
		{"id outside the dictionary", "train.ids", func() []byte {
			ids, _ := os.ReadFile(filepath.Join(first.Dir, "train.ids"))
			ids[8], ids[9] = 0xff, 0x7f // the first source id
			return ids
		}},
		{"truncated ids", "valid.ids", func() []byte {
			ids, _ := os.ReadFile(filepath.Join(first.Dir, "valid.ids"))
			return ids[:len(ids)-3]
		}},
	}
	for _, d := range damages {
		if err := os.WriteFile(filepath.Join(first.Dir, d.file), d.data(), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadCorpus(cfg)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		if c.Stats.Cached || c.Dict.Len() != first.Dict.Len() || len(c.Train) != len(first.Train) {
			t.Errorf("%s: cached %v, %d symbols, %d pairs; want prepared again with %d and %d",
				d.name, c.Stats.Cached, c.Dict.Len(), len(c.Train), first.Dict.Len(), len(first.Train))
		}
		if fixed, _ := os.ReadFile(dict); string(fixed) != string(good) {
			t.Errorf("%s: dict.txt not repaired", d.name)
		}
	}
}

// TestLoadCachedNamesTheDamagedFile: the reason a cache is not trusted
// names the file and what stats.json records.
func TestLoadCachedNamesTheDamagedFile(t *testing.T) {
	cfg := tinyTextCorpus(t)
	c, err := LoadCorpus(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dict := filepath.Join(c.Dir, "dict.txt")
	raw, _ := os.ReadFile(dict)
	lines := strings.SplitAfter(string(raw), "\n")
	os.WriteFile(dict, []byte(strings.Join(lines[:3], "")), 0o644)
	if _, err := loadCached(c.Dir); err == nil || !strings.Contains(err.Error(), dict+": SHA-256 differs") {
		t.Errorf("checksum: %v", err)
	}
	// A cache written before the checksum was recorded: the count still tells.
	var stats PrepStats
	if err := (train.RunDir{Path: c.Dir}).ReadJSON("stats.json", &stats); err != nil {
		t.Fatal(err)
	}
	stats.DictSHA256 = ""
	if err := (train.RunDir{Path: c.Dir}).WriteJSON("stats.json", stats); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCached(c.Dir); err == nil || !strings.Contains(err.Error(), dict+": 7 symbols, but") {
		t.Errorf("symbol count: %v", err)
	}
}

func TestFormatPPL(t *testing.T) {
	cases := []struct {
		ppl  float64
		want string
	}{
		{1, "1.00"},
		{12.345, "12.35"},
		{9999.994, "9999.99"},
		{12345.6, "1.235e+04"},
		{1.6354e71, "1.635e+71"},
		{math.Inf(1), "+Inf"},
		{math.NaN(), "NaN"},
	}
	for _, c := range cases {
		if got := FormatPPL(c.ppl); got != c.want {
			t.Errorf("FormatPPL(%v) = %q, want %q", c.ppl, got, c.want)
		}
	}
}

// TestTrainConfigRejectsNonFinite: the float keys of [train] refuse NaN
// and ±Inf by name.
func TestTrainConfigRejectsNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		edit func(*TrainConfig)
		want string
	}{
		{func(c *TrainConfig) { c.LabelSmoothing = nan }, "label_smoothing = NaN"},
		{func(c *TrainConfig) { c.ClipNorm = nan }, "clip_norm = NaN"},
		{func(c *TrainConfig) { c.ClipNorm = inf }, "clip_norm = +Inf"},
		{func(c *TrainConfig) { c.MaxMinutes = nan }, "max_minutes = NaN"},
		{func(c *TrainConfig) { c.Adam.Eps = nan }, "adam eps = NaN"},
		{func(c *TrainConfig) { c.Adam.WeightDecay = inf }, "adam weight_decay = +Inf"},
		{func(c *TrainConfig) { c.Schedule.WarmupLR = nan }, "warmup_lr = NaN"},
	}
	for _, c := range cases {
		cfg := DefaultTrainConfig()
		cfg.MaxEpochs = 1
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to contain %q", err, c.want)
		}
	}
}
