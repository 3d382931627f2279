package experiment

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legend is a figure's legend, drawn as the last plotter in a framed box
// in the corner of the data area that the curves leave free (plot's own
// legend is drawn wherever it is told, over the lines). With too many
// entries for a corner it goes to the right of the plot.
type legend struct {
	entries []legendEntry
	lines   []plotter.XYs // the curves, in data coordinates
	right   bool          // place on the right side (else left)
	top     bool          // place at the top (else bottom)
	below   bool          // under the plot, not over it
	ncol    int           // below: the columns
}

type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// Legend geometry.
var (
	legendFont   = newFont(9.5)
	legendThumb  = vg.Points(22)
	legendPad    = vg.Points(4)   // inside the frame
	legendMargin = vg.Points(5)   // between the frame and the axes
	legendGap    = vg.Points(1.5) // between rows
	legendColGap = vg.Points(14)  // between columns
)

func (l *legend) add(text string, thumbs ...plot.Thumbnailer) {
	l.entries = append(l.entries, legendEntry{text, thumbs})
}

func (l *legend) style() text.Style {
	return text.Style{Color: color.Black, Font: legendFont, XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

func (l *legend) rowHeight() vg.Length {
	e := l.style().FontExtents()
	return e.Ascent + e.Descent
}

// entryWidth is the widest entry's width, thumbnail included.
func (l *legend) entryWidth() (w vg.Length) {
	sty := l.style()
	for _, e := range l.entries {
		w = max(w, legendThumb+sty.Width("m")*0.6+sty.Width(e.text))
	}
	return w
}

// size is the frame's width and height with the entries in ncol columns.
func (l *legend) size(ncol int) (w, h vg.Length) {
	rows := (len(l.entries) + ncol - 1) / ncol
	n := vg.Length(rows)
	w = vg.Length(ncol)*l.entryWidth() + vg.Length(ncol-1)*legendColGap
	return w + 2*legendPad, n*l.rowHeight() + (n-1)*legendGap + 2*legendPad
}

// Plot draws the legend in its corner of the data canvas c.
func (l *legend) Plot(c draw.Canvas, _ *plot.Plot) {
	if l.below || len(l.entries) == 0 {
		return
	}
	w, h := l.size(1)
	var r vg.Rectangle
	if l.right {
		r.Max.X = c.Max.X - legendMargin
		r.Min.X = r.Max.X - w
	} else {
		r.Min.X = c.Min.X + legendMargin
		r.Max.X = r.Min.X + w
	}
	if l.top {
		r.Max.Y = c.Max.Y - legendMargin
		r.Min.Y = r.Max.Y - h
	} else {
		r.Min.Y = c.Min.Y + legendMargin
		r.Max.Y = r.Min.Y + h
	}
	l.draw(c, r, true, 1)
}

// drawBelow draws the legend centred in the strip under the plot
// (c is the whole figure, plotArea what placeLegend left for the plot).
func (l *legend) drawBelow(c, plotArea draw.Canvas) {
	w, h := l.size(l.ncol)
	x := (c.Min.X+c.Max.X)/2 - w/2
	top := plotArea.Min.Y - legendMargin/2
	l.draw(c, vg.Rectangle{Min: vg.Point{X: x, Y: top - h}, Max: vg.Point{X: x + w, Y: top}}, false, l.ncol)
}

// draw draws the entries in the rectangle r, row by row in ncol
// columns, framed when frame is set.
func (l *legend) draw(c draw.Canvas, r vg.Rectangle, frame bool, ncol int) {
	if frame {
		corners := []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
		c.FillPolygon(color.NRGBA{0xff, 0xff, 0xff, 0xe0}, corners)
		c.StrokeLines(draw.LineStyle{Color: color.Gray{0xb8}, Width: vg.Points(0.6)}, append(corners, r.Min))
	}
	sty := l.style()
	em := sty.Width("m")
	rh := l.rowHeight()
	colW := l.entryWidth() + legendColGap
	for i, e := range l.entries {
		y := r.Max.Y - legendPad - vg.Length(i/ncol)*(rh+legendGap)
		x := r.Min.X + legendPad + vg.Length(i%ncol)*colW
		icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: y - rh},
			Max: vg.Point{X: x + legendThumb, Y: y},
		}}
		for _, t := range e.thumbs {
			t.Thumbnail(&icon)
		}
		c.FillText(sty, vg.Point{X: icon.Max.X + em*0.6, Y: y - rh/2}, e.text)
	}
}

// placeLegend chooses where p's legend goes on the canvas c: the corner
// of the data area the curves cross least; when every corner is crossed,
// a top corner with the y axis extended to make room above the curves;
// when it would take too much of the plot, under the plot in as many
// columns as fit (it then returns the canvas left for the plot).
func placeLegend(p *plot.Plot, l *legend, c draw.Canvas) draw.Canvas {
	if len(l.entries) == 0 {
		return c
	}
	w, h := l.size(1)
	da := p.DataCanvas(c)
	fw := float64((w + legendMargin) / (da.Max.X - da.Min.X))
	fh := float64((h + legendMargin) / (da.Max.Y - da.Min.Y))
	pts := l.normalized(p)
	type corner struct {
		right, top bool
		hits       int
	}
	corners := []corner{{true, true, 0}, {false, true, 0}, {true, false, 0}, {false, false, 0}}
	const tol = 0.015
	for i := range corners {
		x0, x1 := 0.0, fw+tol
		if corners[i].right {
			x0, x1 = 1-fw-tol, 1
		}
		y0, y1 := 0.0, fh+tol
		if corners[i].top {
			y0, y1 = 1-fh-tol, 1
		}
		for _, q := range pts {
			if q.X >= x0 && q.X <= x1 && q.Y >= y0 && q.Y <= y1 {
				corners[i].hits++
			}
		}
	}
	best := corners[0]
	for _, k := range corners[1:] {
		if k.hits < best.hits {
			best = k
		}
	}
	switch {
	case best.hits == 0 && fw < 0.8 && fh < 0.7:
		// a free corner
	case fw < 0.55 && fh < 0.4: // make room above the curves
		best = corners[0]
		if corners[1].hits < best.hits {
			best = corners[1]
		}
		extendTop(&p.Y, fh+2*tol)
	default:
		l.below = true
		avail := c.Max.X - c.Min.X - 2*legendMargin
		l.ncol = max(1, min(len(l.entries), int((avail+legendColGap)/(l.entryWidth()+legendColGap))))
		_, h := l.size(l.ncol)
		return draw.Crop(c, 0, 0, h+legendMargin, 0)
	}
	l.right, l.top = best.right, best.top
	return c
}

// extendTop raises a's maximum so that the data fill the bottom 1-frac
// of the axis.
func extendTop(a *plot.Axis, frac float64) {
	a.Max = a.Min + (a.Max-a.Min)/(1-frac)
}

// normalized samples the legend's curves along their segments, in the
// axes' normalized coordinates (0..1 over the data area).
func (l *legend) normalized(p *plot.Plot) []plotter.XY {
	var out []plotter.XY
	norm := func(q plotter.XY) plotter.XY { return plotter.XY{X: p.X.Norm(q.X), Y: p.Y.Norm(q.Y)} }
	for _, line := range l.lines {
		for i, q := range line {
			a := norm(q)
			out = append(out, a)
			if i+1 == len(line) {
				continue
			}
			b := norm(line[i+1])
			const steps = 24
			for s := 1; s < steps; s++ {
				t := float64(s) / steps
				out = append(out, plotter.XY{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)})
			}
		}
	}
	return out
}

// thumbFunc draws a legend thumbnail.
type thumbFunc func(c *draw.Canvas)

func (f thumbFunc) Thumbnail(c *draw.Canvas) { f(c) }

func lineThumb(l draw.LineStyle) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) {
		y := c.Center().Y
		c.StrokeLine2(l, c.Min.X, y, c.Max.X, y)
	})
}

func solidThumb(col color.Color) plot.Thumbnailer {
	return lineThumb(draw.LineStyle{Color: col, Width: vg.Points(2.2)})
}

func glyphThumb(g draw.GlyphStyle) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) { c.DrawGlyphNoClip(g, c.Center()) })
}
