package analysis

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func labels(ticks []plot.Tick) string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return strings.Join(out, " ")
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string
	}{{1, 9, "1 2 3 4 5 6 7 8 9"}, {1, 48, "1 5 10 15 20 25 30 35 40 45"}, {1, 54, "1 10 20 30 40 50"}, {1, 1, "1"}} {
		if got := labels(blockTicks{}.Ticks(c.min, c.max)); got != c.want {
			t.Errorf("blockTicks(%g, %g): %q, want %q", c.min, c.max, got, c.want)
		}
	}
	if got := labels(decadeTicks{}.Ticks(1e-12, 1e16)); got != "1e-12 1e-8 1e-4 1e0 1e4 1e8 1e12 1e16" {
		t.Errorf("decadeTicks over 28 decades: %q", got)
	}
	if got := labels(decadeTicks{}.Ticks(0.01, 10)); got != "0.01 0.1 1 10" {
		t.Errorf("decadeTicks over 3 decades: %q", got)
	}
	if got := labels(decadeTicks{}.Ticks(0.4, 6)); got != "0.5 1 2 5" {
		t.Errorf("decadeTicks over 1.2 decades: %q", got)
	}
}

// TestGradPlotGuards: points a log axis cannot show are left out and
// counted in the legend; a plot with nothing drawable is an error, not a
// panic.
func TestGradPlotGuards(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	img, drawn, err := gradPlot("t", "x", "y", []curve{
		{label: "fine", y: []float64{1, 0.5, 0.25}},
		{label: "overflow", y: []float64{inf, nan, 3}, style: 1},
		{label: "dead", y: []float64{nan, nan, nan}, style: 2},
		{label: "stopped", style: 3, note: "training stopped at step 2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if drawn.omitted["overflow"] != 2 || drawn.omitted["dead"] != 3 || drawn.omitted["fine"] != 0 {
		t.Errorf("omitted %v", drawn.omitted)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Errorf("not a PNG: %v", err)
	}
	if _, _, err := gradPlot("t", "x", "y", []curve{{label: "dead", y: []float64{nan, 0}}}); err == nil ||
		!strings.Contains(err.Error(), "no finite positive value") {
		t.Errorf("nothing to draw: error %v", err)
	}
}
