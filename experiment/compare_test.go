package experiment

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/nmt"
)

// TestTablePerplexityFormat: a perplexity too large to read (a run that
// learned nothing) is written with four significant digits, not 72.
func TestTablePerplexityFormat(t *testing.T) {
	cases := []struct {
		ppl  []float64
		want string
	}{
		{[]float64{12.345}, "12.35"},
		{[]float64{1.6354e71}, "1.635e+71"},
		{[]float64{math.Inf(1)}, "+Inf"},
		{[]float64{1e6, 3e6}, "2e+06 ± 1.414e+06"},
	}
	for _, c := range cases {
		var outs []Outcome
		for i, p := range c.ppl {
			outs = append(outs, Outcome{Group: "a", Translation: &nmt.Result{Name: fmt.Sprint(i), Residual: "post-ln", Epochs: 1, BestValidPPL: p}})
		}
		tables := Tables(outs)
		if len(tables) != 1 || len(tables[0].Rows) != 1 {
			t.Fatalf("tables %+v", tables)
		}
		i := slices.Index(tables[0].Header, "valid ppl")
		if got := tables[0].Rows[0][i]; got != c.want {
			t.Errorf("ppl %v: cell %q, want %q", c.ppl, got, c.want)
		}
	}
}

// TestReadOutcomesNoReadableRun: when every run found is unreadable, the
// error says that no readable run was found and lists those skipped,
// rather than repeating the last one's problem.
func TestReadOutcomesNoReadableRun(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for _, name := range []string{"a", "b"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"Task": "translation"}`), 0o644)
		os.WriteFile(filepath.Join(dir, "done.json"), []byte("{"), 0o644)
		dirs = append(dirs, dir)
	}
	var warn strings.Builder
	_, err := ReadOutcomes(&warn, root)
	want := fmt.Sprintf("no readable finished run in %s; skipped as unreadable: %s", root, strings.Join(dirs, ", "))
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if strings.Count(warn.String(), "skipping run") != 2 {
		t.Errorf("warnings %q, want one per run", warn.String())
	}
}
