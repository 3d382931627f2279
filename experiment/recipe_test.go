package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type testTrain struct {
	LR       float64 `mapstructure:"lr"`
	Warmup   int64   `mapstructure:"warmup"`
	ClipNorm float64 `mapstructure:"clip_norm"`
}

type testRecipe struct {
	Task           string         `mapstructure:"task"`
	Residual       string         `mapstructure:"residual"`
	ResidualParams map[string]any `mapstructure:"residual_params"`
	Seeds          []int64        `mapstructure:"seeds"`
	Train          testTrain      `mapstructure:"train"`
}

func writeRecipe(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDecodeWithDefaultsAndOverrides(t *testing.T) {
	path := writeRecipe(t, `
task = "translation"
residual = "rskip-ln"
[residual_params]
order = 2
[train]
lr = 7e-4
`)
	v, err := Load(path, []string{"train.warmup=4000", "residual_params.shared_norm=true", "seeds=[1, 2]", "residual=pre-ln"})
	if err != nil {
		t.Fatal(err)
	}
	r := testRecipe{Train: testTrain{ClipNorm: 1, Warmup: 10}}
	if err := Decode(v, path, &r); err != nil {
		t.Fatal(err)
	}
	if r.Train.LR != 7e-4 || r.Train.Warmup != 4000 || r.Train.ClipNorm != 1 || r.Residual != "pre-ln" {
		t.Errorf("decoded %+v", r)
	}
	if r.ResidualParams["order"] != int64(2) || r.ResidualParams["shared_norm"] != true || len(r.Seeds) != 2 {
		t.Errorf("params %v seeds %v", r.ResidualParams, r.Seeds)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, body string
		sets       []string
		want       []string
	}{
		{"misspelled key", "[train]\nlearning_rate = 1e-3\n", nil,
			[]string{"r.toml", `unknown key "train.learning_rate"`, "[train] takes: clip_norm, lr, warmup"}},
		{"unknown top-level key", "resid = \"post-ln\"\n", nil,
			[]string{`unknown key "resid"`, "the top level takes: residual, residual_params, seeds, task, train"}},
		{"fractional integer", "[train]\nwarmup = 2.5\n", nil, []string{"r.toml", "warmup", "want an integer, got 2.5"}},
		{"wrong type", "[train]\nlr = \"fast\"\n", nil, []string{"r.toml", "lr"}},
		{"bad override", "", []string{"train.lr"}, []string{`--set "train.lr": want key=value`}},
		{"override of an unknown key", "", []string{"train.lrr=1"}, []string{`unknown key "train.lrr" (did you mean "lr"?)`}},
		{"syntax error", "[train\nlr = 1\n", nil, []string{"r.toml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeRecipe(t, c.body)
			v, err := Load(path, c.sets)
			if err == nil {
				var r testRecipe
				err = Decode(v, path, &r)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := Load("/nonexistent/r.toml", nil); err == nil || !strings.Contains(err.Error(), "/nonexistent/r.toml: no such file") {
		t.Errorf("missing file: %v", err)
	}
}
