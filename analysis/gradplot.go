package analysis

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// curve is one line of a plot: a variant's norm at each block.
type curve struct {
	label string
	y     []float64 // index l-1 is block l
	style int       // colour and dash index, stable across a report's plots
	note  string    // set for a curve with no points: why (it gets a legend entry only)
}

// plotted is what gradPlot drew, for the caller to report.
type plotted struct {
	// omitted counts, per curve label, the points that could not be drawn
	// on a log axis (inf, nan, or <= 0).
	omitted map[string]int
}

// gradPlot draws norms against block index on a log y axis, one line
// per curve, the legend beside the axes, and returns the PNG. Points a
// log axis cannot show (infinite, NaN, zero) are left out, and the
// curve's legend entry says how many; a plot with no drawable point at
// all is an error (there is nothing to look at).
func gradPlot(title, xLabel, yLabel string, curves []curve) ([]byte, plotted, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Y.Scale = plot.LogScale{}
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(9)
	out := plotted{omitted: map[string]int{}}
	lo, hi := math.Inf(1), math.Inf(-1)
	maxX := 1.0
	var labels []string
	for _, c := range curves {
		var xys plotter.XYs
		for l, v := range c.y {
			maxX = math.Max(maxX, float64(l+1))
			if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
				out.omitted[c.label]++
				continue
			}
			xys = append(xys, plotter.XY{X: float64(l + 1), Y: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, out, fmt.Errorf("plot %q: %s: %w", title, c.label, err)
		}
		line.Color = palette[c.style%len(palette)]
		line.Dashes = plotutil.Dashes(c.style / len(palette))
		line.Width = vg.Points(1.5)
		p.Add(line)
		label := c.label
		if n := out.omitted[c.label]; c.note != "" {
			label += " (" + c.note + ")"
		} else if n == len(c.y) {
			label += " (all inf/nan/0, none drawn)"
		} else if n > 0 {
			label += fmt.Sprintf(" (%d of %d inf/nan/0, not drawn)", n, len(c.y))
		}
		legend.Add(label, line)
		labels = append(labels, label)
	}
	if math.IsInf(lo, 1) {
		return nil, out, fmt.Errorf("plot %q: no finite positive value to draw", title)
	}
	// Over many decades, whole ones, so that the end ticks are labelled;
	// over few, a margin (decadeTicks then labels 1, 2 and 5 too).
	if math.Log10(hi/lo) < 2 {
		p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
	} else {
		p.Y.Min, p.Y.Max = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	}
	p.Y.Tick.Marker = decadeTicks{}
	p.X.Min, p.X.Max = 1, maxX
	p.X.Tick.Marker = blockTicks{}

	// The legend goes beside the axes, as wide as its longest entry.
	var textW vg.Length
	for _, l := range labels {
		textW = max(textW, legend.TextStyle.Width(l))
	}
	legendW := min(textW+legend.ThumbnailWidth+vg.Points(18), 4*vg.Inch)
	w, h := 7*vg.Inch+legendW, 4.5*vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	legend.Draw(draw.Crop(dc, w-legendW+vg.Points(6), 0, 0, -vg.Points(24)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, out, fmt.Errorf("plot %q: png: %w", title, err)
	}
	return buf.Bytes(), out, nil
}

// palette is matplotlib's tab10: ten colours that stay apart on white
// (gonum's soft palette has two near-identical reds).
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, color.RGBA{0xbc, 0xbd, 0x22, 0xff},
	color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

// blockTicks marks block indices: integers, labelled at 1 and at the
// multiples of a round step (1, 2, 5, 10, 20, ...) that gives at most
// about 10 labels.
type blockTicks struct{}

// Ticks returns the major ticks of [min, max].
func (blockTicks) Ticks(min, max float64) []plot.Tick {
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		step = s
		if (max-min)/s <= 10 {
			break
		}
	}
	ticks := []plot.Tick{{Value: min, Label: fmt.Sprint(min)}}
	for v := step; v <= max; v += step {
		if v-min >= step/2 {
			ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprint(v)})
		}
	}
	return ticks
}

// decadeTicks labels powers of ten on a log axis, as plot.LogTicks does
// over a few decades, but thins the labels over many (a gradient that
// explodes spans 30 decades, too many labels for one axis).
type decadeTicks struct{}

// Ticks returns a major tick at every k-th power of ten (k chosen for
// at most about 8 labels) and minor ticks at the decades between; over
// less than two decades, labelled ticks at 1, 2 and 5 times the powers
// of ten.
func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Floor(math.Log10(min)), math.Ceil(math.Log10(max))
	if math.Log10(max/min) < 2 {
		var ticks []plot.Tick
		for e := lo; e <= hi; e++ {
			for m := 1.0; m < 10; m++ {
				v := m * math.Pow(10, e)
				if v < min || v > max {
					continue
				}
				t := plot.Tick{Value: v}
				if m == 1 || m == 2 || m == 5 {
					t.Label = strconv.FormatFloat(v, 'g', -1, 64)
				}
				ticks = append(ticks, t)
			}
		}
		return ticks
	}
	if hi-lo <= 6 {
		return plot.LogTicks{Prec: -1}.Ticks(min, max)
	}
	step := math.Ceil((hi - lo) / 8)
	var ticks []plot.Tick
	for e := lo; e <= hi; e++ {
		t := plot.Tick{Value: math.Pow(10, e)}
		if math.Mod(e-lo, step) == 0 {
			t.Label = fmt.Sprintf("1e%d", int(e))
		}
		ticks = append(ticks, t)
	}
	return ticks
}
