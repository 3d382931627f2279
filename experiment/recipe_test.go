package experiment

import (
	"errors"
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
		{"wrong type", "[train]\nlr = \"fast\"\n", nil, []string{`r.toml: key train.lr: want a number, got a string ("fast")`}},
		{"string for an integer", "[train]\nwarmup = \"many\"\n", nil, []string{`r.toml: key train.warmup: want an integer, got a string ("many")`}},
		{"number for a string", "residual = 5\n", nil, []string{"r.toml: key residual: want a string, got a number (5)"}},
		{"number for a table", "residual_params = 3\n", nil, []string{"r.toml: key residual_params: want a table, got a number (3)"}},
		{"table for a number", "[train.lr]\nx = 1\n", nil, []string{"r.toml: key train.lr: want a number, got a table"}},
		{"array for a string", "task = [\"translation\"]\n", nil, []string{"r.toml: key task: want a string, got an array ([translation])"}},
		{"long value", "residual = [" + strings.Repeat("1, ", 500) + "1]\n", nil, []string{"r.toml: key residual: want a string, got an array ([1 1 1", "…"}},
		{"long bad number", "residual = " + strings.Repeat("9", 500) + "\n", nil, []string{"r.toml: line 1, column 12: ", "…"}},
		{"bad override", "", []string{"train.lr"}, []string{`--set "train.lr": want key=value`}},
		{"override with an empty key part", "", []string{"train..x=1"}, []string{`--set "train..x=1": key "train..x": want dotted names`}},
		{"override with a leading dot", "", []string{".lr=1"}, []string{`key ".lr"`}},
		{"override with a space in its key", "", []string{"train.l r=1"}, []string{`key "train.l r"`}},
		{"override with an unclosed array", "", []string{"seeds=[1, 2"}, []string{`--set "seeds=[1, 2": value "[1, 2" is not valid TOML`}},
		{"override with an unclosed string", "", []string{`task="translation`}, []string{"is not valid TOML"}},
		{"override of an unknown key", "", []string{"train.lrr=1"}, []string{`unknown key "train.lrr" (did you mean "lr"?)`}},
		{"syntax error", "[train\nlr = 1\n", nil, []string{"r.toml", "line 1"}},
		{"duplicate key", "task = \"translation\"\n[train]\nlr = 1\nlr = 2\n", nil, []string{"r.toml: line 4: ", "key lr is already defined"}},
		{"duplicate table", "[train]\nlr = 1\n[residual_params]\n[train]\nwarmup = 2\n", nil, []string{"r.toml: line 4: "}},
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
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "decoding failed") || len(msg) > 400 {
				t.Errorf("error %q: want one short line, without mapstructure's header", msg)
			}
		})
	}
	if _, err := Load("/no-such-folder/r.toml", nil); err == nil || !strings.Contains(err.Error(), "/no-such-folder/r.toml: no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestDecodeErrorsOneLinePerProblem: several problems give one line
// each, every line naming the file.
func TestDecodeErrorsOneLinePerProblem(t *testing.T) {
	path := writeRecipe(t, "residual = 5\nresid = 1\n[train]\nlr = \"fast\"\n")
	v, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var r testRecipe
	err = Decode(v, path, &r)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%v", len(lines), err)
	}
	for _, want := range []string{"key residual: want a string", `unknown key "resid"`, "key train.lr: want a number"} {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, want)
		}
		if !found {
			t.Errorf("no line says %q:\n%v", want, err)
		}
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "recipe "+path+": ") {
			t.Errorf("line %q does not name the recipe", l)
		}
	}
	if _, _, err := ParseOverride("a..b=1"); !errors.Is(err, ErrBadOverride) {
		t.Errorf("ParseOverride(a..b=1): %v, want ErrBadOverride", err)
	}
	for _, ok := range []string{"train.lr=5e-4", "name=my run", "residual_params.lambda=0.5", "seeds=[1, 2]", `name="a b"`, "train.lr=nan"} {
		if _, _, err := ParseOverride(ok); err != nil {
			t.Errorf("ParseOverride(%q): %v", ok, err)
		}
	}
}
