package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/zoo-nn/zoo/train"
)

// Figure geometry: 6 x 4 inches at 150 dpi (900 x 600 pixels), the
// size of a one-column figure in a paper.
const (
	figWidth  = 6 * vg.Inch
	figHeight = 4 * vg.Inch
	figDPI    = 150

	figRightMargin = vg.Inch / 7 // about 10 points
)

// PlotCurves writes the learning curves of outcomes as PNG files into dir
// (created if needed) and returns their paths. Each figure shows one
// quantity against the epoch, one colour per Group (runs that differ only
// in their seed): the mean over the group's runs at each epoch, with the
// min..max band shaded when the group has more than one run. Translation
// runs give curves-loss.png (training loss dashed, validation loss solid)
// and curves-valid-ppl.png (log scale); classification runs give
// curves-loss.png (training dashed, test solid) and curves-top1.png
// (top-1 accuracy, training dashed, test solid). When the outcomes span
// more than one task or data set, each gets its own figures, named
// curves-<data>-<quantity>.png (translation first).
//
// An epoch that a run stopped in and finished after being extended has
// two records with the same epoch number; they make one point: the
// evaluation at the end of the epoch and the training figures of both
// parts, weighted by their updates. NaN and infinite values (and values
// <= 0 on a log scale) are left out. Runs without a per-epoch curve are
// skipped: when others could be drawn, the figures are written and the
// error is a *SkippedRunsError naming them; when none could, the error
// says so and no file is written.
func PlotCurves(outcomes []Outcome, dir string) ([]string, error) {
	sets, skipped := curveSets(outcomes)
	if len(sets) == 0 {
		if len(outcomes) == 0 {
			return nil, errors.New("plot: no runs to plot")
		}
		return nil, fmt.Errorf("plot: no learning curve to draw: %s hold no per-epoch records with finite values", strings.Join(skipped, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plot: output folder %s: %w", dir, err)
	}
	var paths []string
	for _, s := range sets {
		prefix := "curves-"
		if len(sets) > 1 {
			prefix += s.slug + "-"
		}
		for _, f := range figuresOf(s.task) {
			p, lg, ok, err := s.plot(f)
			if err != nil {
				return paths, fmt.Errorf("plot %s: %w", f.name, err)
			}
			if !ok {
				continue // no finite value of this quantity in any run
			}
			path := filepath.Join(dir, prefix+f.name+".png")
			if err := savePNG(p, lg, path); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	if len(paths) == 0 {
		return nil, errors.New("plot: no learning curve to draw: every value is NaN or infinite")
	}
	if len(skipped) > 0 {
		return paths, &SkippedRunsError{Runs: skipped}
	}
	return paths, nil
}

// SkippedRunsError names runs PlotCurves left out because they hold no
// per-epoch curve (or only non-finite values), while it drew the others.
type SkippedRunsError struct{ Runs []string }

func (e *SkippedRunsError) Error() string {
	return fmt.Sprintf("plot: left out %d run(s) without a per-epoch curve: %s", len(e.Runs), strings.Join(e.Runs, ", "))
}

// A figure is one quantity of a task: its series share the axes.
type figure struct {
	name   string // in the file name
	what   string // in the title
	ylabel string
	logY   bool
	series []seriesSpec
}

// seriesSpec is one metric in a figure: dashed for training, solid for
// evaluation, as in He et al.'s ResNet figures.
type seriesSpec struct {
	metric string
	label  string // in the legend's style key
	dashed bool
}

func figuresOf(task string) []figure {
	if task == "translation" {
		return []figure{
			{name: "loss", what: "training and validation loss", ylabel: "label-smoothed cross entropy (nats/token)",
				series: []seriesSpec{{"valid_loss", "validation", false}, {"train_loss", "training", true}}},
			{name: "valid-ppl", what: "validation perplexity", ylabel: "validation perplexity (log scale)", logY: true,
				series: []seriesSpec{{"valid_ppl", "validation", false}}},
		}
	}
	return []figure{
		{name: "loss", what: "training and test loss", ylabel: "cross entropy (nats)",
			series: []seriesSpec{{"test_loss", "test", false}, {"train_loss", "training", true}}},
		{name: "top1", what: "top-1 accuracy", ylabel: "top-1 accuracy (%)",
			series: []seriesSpec{{"test_top1", "test", false}, {"train_top1", "training", true}}},
	}
}

// epochPoint is one epoch of one run: its metrics by name.
type epochPoint struct {
	epoch   int
	updates int64
	values  map[string]float64
}

// curveOf is an outcome's curve, one point per epoch (see PlotCurves
// for split epochs).
func curveOf(o Outcome) []epochPoint {
	var raw []epochPoint
	switch {
	case o.Translation != nil:
		for _, s := range o.Translation.Curve {
			raw = append(raw, epochPoint{s.Epoch, s.Updates, map[string]float64{
				"train_loss": s.TrainLoss, "valid_loss": s.ValidLoss, "valid_ppl": s.ValidPPL}})
		}
	case o.Classification != nil:
		for _, s := range o.Classification.Curve {
			raw = append(raw, epochPoint{s.Epoch, s.Updates, map[string]float64{
				"train_loss": s.TrainLoss, "train_top1": s.TrainTop1, "test_loss": s.TestLoss, "test_top1": s.TestTop1}})
		}
	}
	return mergeSplitEpochs(raw)
}

// mergeSplitEpochs joins records that share an epoch number: the last
// record's evaluation, the training metrics (train_*) of all parts
// weighted by their updates.
func mergeSplitEpochs(raw []epochPoint) []epochPoint {
	byEpoch := map[int]int{} // epoch -> index in out
	type acc struct{ sum, weight float64 }
	sums := map[int]map[string]*acc{}
	var out []epochPoint
	var prev int64
	for _, r := range raw {
		w := float64(r.updates - prev)
		if w <= 0 {
			w = 1
		}
		prev = r.updates
		i, seen := byEpoch[r.epoch]
		if !seen {
			i = len(out)
			byEpoch[r.epoch] = i
			out = append(out, epochPoint{epoch: r.epoch, values: map[string]float64{}})
			sums[i] = map[string]*acc{}
		}
		out[i].updates = r.updates
		for k, v := range r.values {
			if !strings.HasPrefix(k, "train_") {
				out[i].values[k] = v
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			a := sums[i][k]
			if a == nil {
				a = &acc{}
				sums[i][k] = a
			}
			a.sum, a.weight = a.sum+w*v, a.weight+w
			out[i].values[k] = a.sum / a.weight
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].epoch < out[b].epoch })
	return out
}

// curveGroup is one line of a figure: the runs of one Group.
type curveGroup struct {
	label string
	runs  [][]epochPoint
}

// curveSet is the figures of one task on one data set.
type curveSet struct {
	task, data, slug string
	groups           []*curveGroup
}

func curveSets(outcomes []Outcome) (sets []*curveSet, skipped []string) {
	index := map[string]*curveSet{}
	groups := map[string]*curveGroup{}
	for _, o := range outcomes {
		task := "translation"
		if o.Classification != nil {
			task = "classification"
		} else if o.Translation == nil {
			continue
		}
		c := curveOf(o)
		if !hasFinite(c) {
			skipped = append(skipped, o.Recipe)
			continue
		}
		data := o.dataLabel()
		key := task + "\x00" + data
		s := index[key]
		if s == nil {
			s = &curveSet{task: task, data: data, slug: slugOf(data, task)}
			index[key] = s
			sets = append(sets, s)
		}
		label := o.curveLabel()
		gk := key + "\x00" + label
		g := groups[gk]
		if g == nil {
			g = &curveGroup{label: label}
			groups[gk] = g
			s.groups = append(s.groups, g)
		}
		g.runs = append(g.runs, c)
	}
	sort.SliceStable(sets, func(a, b int) bool { return sets[a].task == "translation" && sets[b].task != "translation" })
	slugs := map[string]int{}
	for _, s := range sets {
		if slugs[s.slug]++; slugs[s.slug] > 1 {
			s.slug = fmt.Sprintf("%s-%d", s.slug, slugs[s.slug])
		}
	}
	return sets, skipped
}

func hasFinite(c []epochPoint) bool {
	for _, p := range c {
		for _, v := range p.values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				return true
			}
		}
	}
	return false
}

var nonSlug = regexp.MustCompile(`[^A-Za-z0-9.]+`)

func slugOf(data, task string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(strings.ReplaceAll(data, "→", "-")), "-"), "-")
	if s == "" {
		return task
	}
	return s
}

// curveLabel is the legend entry of an outcome's group: the group's label
// and, unless the label already is it, the residual variant.
func (o Outcome) curveLabel() string {
	group := o.Group
	if group == "" {
		group = o.name()
	}
	var variant string
	switch {
	case o.Translation != nil:
		variant = variantLabel(o.Translation.Residual, o.Translation.Params)
	case o.Classification != nil:
		variant = variantLabel(o.Classification.Residual, o.Classification.Params)
	}
	if variant == "" || group == variant || strings.Contains(group, variant) {
		return group
	}
	return group + " (" + variant + ")"
}

// dataLabel names what the run trained on, for titles.
func (o Outcome) dataLabel() string {
	if o.Data != "" {
		return o.Data
	}
	if o.Classification != nil {
		return o.Classification.Dataset
	}
	return ""
}

// translationData describes a translation run's data, e.g.
// "multi30k de→en", from its training prefix (DATASET:stem or a path)
// and languages.
func translationData(train, source, target string) string {
	name := train
	if ds, _, ok := strings.Cut(train, ":"); ok {
		name = ds
	} else if d := filepath.Base(filepath.Dir(train)); d != "." && d != string(filepath.Separator) {
		name = d
	} else {
		name = filepath.Base(train)
	}
	if source != "" && target != "" {
		return strings.TrimSpace(name + " " + source + "→" + target)
	}
	return name
}

// stat is a group's value at one epoch.
type stat struct {
	x, mean, lo, hi float64
	n               int
}

// aggregate is a group's metric per epoch over its runs: the mean, min
// and max of the usable values.
func (g *curveGroup) aggregate(metric string, logY bool) []stat {
	vals := map[int][]float64{}
	for _, run := range g.runs {
		for _, p := range run {
			v, ok := p.values[metric]
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) || (logY && v <= 0) {
				continue
			}
			vals[p.epoch] = append(vals[p.epoch], v)
		}
	}
	var out []stat
	for e, vs := range vals {
		s := stat{x: float64(e), lo: vs[0], hi: vs[0], n: len(vs)}
		for _, v := range vs {
			s.mean += v / float64(len(vs))
			s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].x < out[b].x })
	return out
}

func (g *curveGroup) legendLabel() string {
	if len(g.runs) > 1 {
		return fmt.Sprintf("%s, %d runs", g.label, len(g.runs))
	}
	return g.label
}

// palette is Tableau's ten colours (matplotlib's default cycle).
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

var dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}

// glyphShapes are the markers of groups 1-10, 11-20 and 21-30: filled
// for evaluation, hollow for training.
var glyphShapes = []struct{ filled, hollow draw.GlyphDrawer }{
	{draw.CircleGlyph{}, draw.RingGlyph{}},
	{draw.SquareGlyph{}, draw.BoxGlyph{}},
	{draw.TriangleGlyph{}, draw.PyramidGlyph{}},
}

func newFont(size vg.Length) font.Font { return font.From(plot.DefaultFont, size) }

// plot builds the figure f of the set; ok is false when no group has a
// usable value of its quantities.
func (s *curveSet) plot(f figure) (p *plot.Plot, lg *legend, ok bool, err error) {
	if !f.logY && f.name == "loss" && s.spread(f) > 100 {
		// One run whose loss blew up (but stayed finite) would flatten
		// every other line on a linear axis.
		f.logY, f.ylabel = true, f.ylabel+" (log scale)"
	}
	p = plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s", s.title(), f.what)
	p.Title.TextStyle.Font = newFont(12)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = f.ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = newFont(11)
		a.Tick.Label.Font = newFont(10)
		a.Padding = vg.Points(3)
	}
	p.X.Tick.Marker = epochTicks{}
	p.Y.Tick.Marker = linearTicks{}
	ty := func(v float64) float64 { return v }
	if f.logY {
		ty = math.Log10
		p.Y.Tick.Marker = log10Ticks{}
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xe4}
	grid.Horizontal.Color = color.Gray{0xe4}
	grid.Vertical.Width, grid.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	p.Add(grid)

	maxPoints := 0
	for _, g := range s.groups {
		for _, sp := range f.series {
			maxPoints = max(maxPoints, len(g.aggregate(sp.metric, f.logY)))
		}
	}
	markers := maxPoints <= 30
	lg = &legend{}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	var drawn []plotter.XYs // every polyline, for placing the legend
	for gi, g := range s.groups {
		col := palette[gi%len(palette)]
		shape := glyphShapes[(gi/len(palette))%len(glyphShapes)] // colours repeat after ten groups: shapes tell them apart
		drawnAny := false
		for _, sp := range f.series {
			st := g.aggregate(sp.metric, f.logY)
			if len(st) == 0 {
				continue
			}
			mean, lo, hi := make(plotter.XYs, len(st)), make(plotter.XYs, len(st)), make(plotter.XYs, len(st))
			band := false
			for i, v := range st {
				mean[i] = plotter.XY{X: v.x, Y: ty(v.mean)}
				lo[i], hi[i] = plotter.XY{X: v.x, Y: ty(v.lo)}, plotter.XY{X: v.x, Y: ty(v.hi)}
				band = band || v.n > 1
				xmin, xmax = math.Min(xmin, v.x), math.Max(xmax, v.x)
				ymin, ymax = math.Min(ymin, lo[i].Y), math.Max(ymax, hi[i].Y)
			}
			if band && len(st) > 1 {
				poly := append(append(plotter.XYs{}, hi...), reversed(lo)...)
				pg, err := plotter.NewPolygon(poly)
				if err != nil {
					return nil, nil, false, err
				}
				pg.Color = withAlpha(col, 0x30)
				pg.LineStyle.Width = 0
				p.Add(pg)
				drawn = append(drawn, lo, hi)
			}
			line, err := plotter.NewLine(mean)
			if err != nil {
				return nil, nil, false, err
			}
			line.Color = col
			line.Width = vg.Points(1.6)
			if sp.dashed {
				line.Width = vg.Points(1.2)
				line.Dashes = dashes
			}
			p.Add(line)
			drawn = append(drawn, mean)
			if markers || len(st) == 1 {
				sc, err := plotter.NewScatter(mean)
				if err != nil {
					return nil, nil, false, err
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2), Shape: shape.filled}
				if sp.dashed {
					sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = vg.Points(1.7), shape.hollow
				}
				if len(st) == 1 {
					sc.GlyphStyle.Radius *= 1.5
				}
				p.Add(sc)
			}
			drawnAny, ok = true, true
		}
		if drawnAny {
			thumbs := []plot.Thumbnailer{solidThumb(col)}
			if markers || gi >= len(palette) {
				thumbs = append(thumbs, glyphThumb(draw.GlyphStyle{Color: col, Radius: vg.Points(2.2), Shape: shape.filled}))
			}
			lg.add(g.legendLabel(), thumbs...)
		}
	}
	if !ok {
		return nil, nil, false, nil
	}
	if len(f.series) > 1 { // the style key: which line is which quantity
		for _, sp := range f.series {
			l := draw.LineStyle{Color: color.Gray{0x40}, Width: vg.Points(1.4)}
			if sp.dashed {
				l.Width, l.Dashes = vg.Points(1.2), dashes
			}
			lg.add(sp.label, lineThumb(l))
		}
	}
	if xmin == xmax {
		xmin, xmax = xmin-0.5, xmax+0.5
	}
	p.X.Min, p.X.Max = xmin, xmax
	pad := 0.04 * (ymax - ymin) // a margin above and below the curves
	if pad == 0 {
		pad = math.Max(0.05*math.Abs(ymax), 0.01)
	}
	p.Y.Min, p.Y.Max = ymin-pad, ymax+pad
	lg.lines = drawn
	p.Add(lg)
	return p, lg, true, nil
}

// spread is the ratio of the largest to the smallest positive value the
// figure would draw.
func (s *curveSet) spread(f figure) float64 {
	lo, hi := math.Inf(1), 0.0
	for _, g := range s.groups {
		for _, sp := range f.series {
			for _, v := range g.aggregate(sp.metric, true) {
				lo, hi = math.Min(lo, v.lo), math.Max(hi, v.hi)
			}
		}
	}
	if hi == 0 {
		return 1
	}
	return hi / lo
}

func (s *curveSet) title() string {
	task := "Translation"
	if s.task == "classification" {
		task = "Classification"
	}
	if s.data == "" {
		return task
	}
	return task + ", " + s.data
}

func reversed(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	for i, v := range xy {
		out[len(xy)-1-i] = v
	}
	return out
}

func withAlpha(c color.RGBA, a uint8) color.NRGBA { return color.NRGBA{c.R, c.G, c.B, a} }

// savePNG draws p on a 6 x 4 inch canvas at 150 dpi and writes it
// atomically.
func savePNG(p *plot.Plot, lg *legend, path string) error {
	img := vgimg.NewWith(vgimg.UseWH(figWidth, figHeight), vgimg.UseDPI(figDPI))
	c := draw.New(img)
	c = draw.Crop(c, 0, -figRightMargin, 0, 0) // room for the last points' markers
	pc := placeLegend(p, lg, c)
	p.Draw(pc)
	if lg.below {
		lg.drawBelow(c, pc)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, paletted(img.Image())); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := train.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// niceStep is the smallest of 1, 2, 2.5 and 5 times a power of ten
// that cuts span into at most target steps.
func niceStep(span float64, target int) float64 {
	raw := span / float64(target)
	base := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*base >= raw {
			return m * base
		}
	}
	return 10 * base
}

// linearTicks labels about six round values, with an unlabelled tick
// between each two.
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep(hi-lo, 6)
	var out []plot.Tick
	for k := math.Ceil(lo / (step / 2)); k*step/2 <= hi+1e-9*step; k++ {
		v := k * step / 2
		t := plot.Tick{Value: v}
		if int64(k)%2 == 0 {
			t.Label = strconvTick(v, step)
		}
		out = append(out, t)
	}
	return out
}

// strconvTick formats v with as many decimals as step needs.
func strconvTick(v, step float64) string {
	dec := 0
	for d := step; d < 1 && dec < 6 && math.Abs(d-math.Round(d)) > 1e-9; d *= 10 {
		dec++
	}
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	return fmt.Sprintf("%.*f", dec, v)
}

// epochTicks labels whole epochs: every epoch for short runs, else
// about eight round ones with the others as unlabelled ticks.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for k := 0; (hi-lo)/step > 8; k++ { // 1, 2, 5, 10, 20, 50, ...
		step *= []float64{2, 2.5, 2}[k%3]
	}
	var out []plot.Tick
	for e := math.Ceil(lo); e <= hi; e++ {
		t := plot.Tick{Value: e}
		if math.Mod(e, step) == 0 {
			t.Label = fmt.Sprint(e)
		} else if step >= 10 && math.Mod(e, step/5) != 0 {
			continue // no tick for every epoch of a long run
		}
		out = append(out, t)
	}
	return out
}

// log10Ticks are the ticks of an axis that shows log10 of its values
// (a log scale drawn on a linear axis, which gonum lays out better):
// 1, 2 and 5 times the powers of ten labelled with their values, the
// other digits unlabelled; over less than a factor of 4, round linear
// values.
type log10Ticks struct{}

func (log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	vlo, vhi := math.Pow(10, lo), math.Pow(10, hi)
	var out []plot.Tick
	if vhi/vlo < 4 {
		for _, t := range (linearTicks{}).Ticks(vlo, vhi) {
			if t.Value > 0 {
				out = append(out, plot.Tick{Value: math.Log10(t.Value), Label: t.Label})
			}
		}
		return out
	}
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		base := math.Pow(10, e)
		for i := 1; i < 10; i++ {
			v := float64(i) * base
			if v < vlo*0.999 || v > vhi*1.001 {
				continue
			}
			t := plot.Tick{Value: math.Log10(v)}
			if i == 1 || i == 2 || i == 5 {
				t.Label = formatTick(v)
			}
			out = append(out, t)
		}
	}
	return out
}

func formatTick(v float64) string {
	if v >= 1 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%g", v)
}

// paletted maps an antialiased figure onto 256 colours: the figure's own
// colours blended with white in 16 steps (what antialiasing and the
// bands make). It keeps a PNG of a busy figure at about a third of its
// size in true colour, with no visible loss.
func paletted(img image.Image) image.Image {
	bases := []color.RGBA{{0, 0, 0, 0xff}, {0x40, 0x40, 0x40, 0xff}, {0xb8, 0xb8, 0xb8, 0xff}}
	bases = append(bases, palette...)
	pal := color.Palette{color.White, color.RGBA{0xe4, 0xe4, 0xe4, 0xff}}
	for _, b := range bases {
		for i := 0; i < 16; i++ {
			t := float64(i) / 15
			mix := func(c uint8) uint8 { return uint8(math.Round(float64(c)*t + 255*(1-t))) }
			pal = append(pal, color.RGBA{mix(b.R), mix(b.G), mix(b.B), 0xff})
		}
	}
	pal = pal[:min(len(pal), 256)]
	out := image.NewPaletted(img.Bounds(), pal)
	cache := map[color.RGBA]uint8{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 0xff}
			i, ok := cache[c]
			if !ok {
				i = uint8(pal.Index(c))
				cache[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	return out
}
