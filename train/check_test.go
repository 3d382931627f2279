package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOptimizerConfigRejectsNonFinite: NaN and ±Inf pass a range check
// written as x < lo || x > hi; every float key must refuse them, by name.
func TestOptimizerConfigRejectsNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	adam := func(edit func(*AdamConfig)) error { c := DefaultAdam(); edit(&c); return c.Validate() }
	sgd := func(edit func(*SGDConfig)) error { c := SGDConfig{Momentum: 0.9}; edit(&c); return c.Validate() }
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"adam beta1 NaN", adam(func(c *AdamConfig) { c.Beta1 = nan }), "adam beta1 = NaN"},
		{"adam beta2 NaN", adam(func(c *AdamConfig) { c.Beta2 = nan }), "adam beta2 = NaN"},
		{"adam eps NaN", adam(func(c *AdamConfig) { c.Eps = nan }), "adam eps = NaN"},
		{"adam eps +Inf", adam(func(c *AdamConfig) { c.Eps = inf }), "adam eps = +Inf: want a finite value > 0"},
		{"adam weight_decay NaN", adam(func(c *AdamConfig) { c.WeightDecay = nan }), "adam weight_decay = NaN"},
		{"adam weight_decay +Inf", adam(func(c *AdamConfig) { c.WeightDecay = inf }), "adam weight_decay = +Inf"},
		{"sgd momentum NaN", sgd(func(c *SGDConfig) { c.Momentum = nan }), "sgd momentum = NaN"},
		{"sgd weight_decay NaN", sgd(func(c *SGDConfig) { c.WeightDecay = nan }), "sgd weight_decay = NaN"},
		{"sgd weight_decay +Inf", sgd(func(c *SGDConfig) { c.WeightDecay = inf }), "sgd weight_decay = +Inf"},
		{"max_minutes NaN", CheckLimits(Limits{MaxMinutes: nan}), "max_minutes = NaN"},
		{"max_minutes +Inf", CheckLimits(Limits{MaxEpochs: 1, MaxMinutes: inf}), "max_minutes = +Inf"},
		{"max_minutes -Inf", CheckLimits(Limits{MaxEpochs: 1, MaxMinutes: -inf}), "max_minutes = -Inf"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, c.err, c.want)
		}
	}
	if err := CheckLimits(Limits{MaxMinutes: 1.5}); err != nil {
		t.Errorf("max_minutes = 1.5: %v", err)
	}
}

// TestCheckFile: a missing file, a folder and a readable file.
func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.pt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing.pt"), "checkpoint " + filepath.Join(dir, "missing.pt") + " does not exist"},
		{dir, "is a folder, not a file"},
		{file, ""},
	}
	for _, c := range cases {
		err := CheckFile("checkpoint", c.path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.path, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.path, err, c.want)
		}
	}
}

// TestWriteFileAtomicMode: run files are readable by all (0644), not
// os.CreateTemp's 0600.
func TestWriteFileAtomicMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := WriteFileAtomic(path, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}
