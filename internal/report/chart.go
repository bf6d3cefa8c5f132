package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgsvg" // registers the "svg" format
)

// A chart is drawn by gonum/plot into SVG and inlined in the HTML page, so
// the page needs nothing from the network. Every chart is built from data
// in the document alone; the same document always gives the same SVG.

// series is one line (or one group of bars) of a chart.
type series struct {
	name string
	xy   plotter.XYs
}

// threshold is a horizontal line: a gate's limit.
type threshold struct {
	y     float64
	label string
}

// marks are points drawn as glyphs: passing and failing steps.
type marks struct {
	name string
	xy   plotter.XYs
	pass bool
}

type chart struct {
	title, xLabel, yLabel string
	lines                 []series
	thresholds            []threshold
	marks                 []marks
	points                bool     // draw a glyph at every line point
	nominalX              []string // labels for x = 0, 1, …; nil for numeric x
	yFromZero             bool
	// bars, when set, replaces lines: a group of bars per series, one bar
	// per label.
	bars      []series
	barLabels []string
	yMax      float64 // 0: automatic
	// top names the line drawn last, over the others, and labelled
	// "(gated)": the percentile a gate judges, which must not hide under
	// another.
	top string
	// xMin and xMax, when xMax > xMin, fix the x range: charts of one run
	// share the measured phase's, so their seconds line up.
	xMin, xMax float64
}

// farAbove is how far above the data, as a multiple of its highest value,
// a gate line may lie before it is left out of the y range and named in
// the legend instead: a 2 s gate over 55 ms latencies would flatten them.
const farAbove = 2.0

var (
	chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	// palette is colour-blind safe (Okabe–Ito).
	palette = []color.Color{
		color.RGBA{0, 114, 178, 255},   // blue
		color.RGBA{230, 159, 0, 255},   // orange
		color.RGBA{0, 158, 115, 255},   // green
		color.RGBA{204, 121, 167, 255}, // purple
		color.RGBA{86, 180, 233, 255},  // sky
		color.RGBA{213, 94, 0, 255},    // vermillion
		color.RGBA{240, 228, 66, 255},  // yellow
		color.RGBA{0, 0, 0, 255},       // black
	}
	gateRed  = color.RGBA{200, 30, 30, 255}
	passGood = color.RGBA{0, 140, 60, 255}
)

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// empty reports whether the chart has nothing to draw.
func (c chart) empty() bool {
	for _, s := range c.lines {
		if len(s.xy) > 0 {
			return false
		}
	}
	for _, s := range c.bars {
		if len(s.xy) > 0 {
			return false
		}
	}
	for _, m := range c.marks {
		if len(m.xy) > 0 {
			return false
		}
	}
	return true
}

// svg draws the chart and returns the <svg> element.
func (c chart) svg() (template.HTML, error) {
	p := c.newPlot()
	for _, add := range []func(*plot.Plot) error{c.addBars, c.addLines, c.addMarks, c.addThresholds} {
		if err := add(p); err != nil {
			return "", fmt.Errorf("chart %q: %v", c.title, err)
		}
	}
	c.scale(p)
	wt, err := p.WriterTo(vg.Points(720), vg.Points(270), "svg")
	if err != nil {
		return "", fmt.Errorf("chart %q: %v", c.title, err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", fmt.Errorf("chart %q: %v", c.title, err)
	}
	return inlineSVG(b.String(), c.title), nil
}

// newPlot is an empty plot with the chart's titles, fonts and grid.
func (c chart) newPlot() *plot.Plot {
	// No title inside the SVG: the page's caption names the chart once.
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(chartFont, 9)
		a.Tick.Label.Font = font.From(chartFont, 8)
	}
	p.X.Label.Text = c.xLabel
	p.Y.Label.Text = c.yLabel
	p.Legend.TextStyle.Font = font.From(chartFont, 8)
	p.Legend.Top = true
	p.Legend.Left = false
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{225}
	grid.Horizontal.Color = color.Gray{225}
	p.Add(grid)
	return p
}

// addBars draws the bars: a group per label, a bar per series.
func (c chart) addBars(p *plot.Plot) error {
	if len(c.bars) == 0 {
		return nil
	}
	n := len(c.bars)
	w := vg.Points(math.Max(4, math.Min(24, 360/float64(n*max(1, len(c.barLabels))))))
	for i, s := range c.bars {
		vals := make(plotter.Values, len(s.xy))
		for j, pt := range s.xy {
			vals[j] = pt.Y
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color = colorOf(i)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(n-1)/2) * w
		p.Add(b)
		if n > 1 || s.name != "" {
			p.Legend.Add(s.name, b)
		}
	}
	p.NominalX(c.barLabels...)
	return nil
}

// addLines draws the lines, with a glyph at each point when asked (or
// when a line has one point only).
func (c chart) addLines(p *plot.Plot) error {
	order := make([]int, 0, len(c.lines))
	last := -1
	for i, s := range c.lines {
		if s.name == c.top && c.top != "" {
			last = i
			continue
		}
		order = append(order, i)
	}
	if last >= 0 {
		order = append(order, last)
	}
	for _, i := range order {
		s := c.lines[i]
		if len(s.xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(s.xy)
		if err != nil {
			return err
		}
		l.Color = colorOf(i)
		l.Width = vg.Points(1.5)
		name := s.name
		if i == last {
			l.Width = vg.Points(2.5)
			name += " (gated)"
		}
		p.Add(l)
		if c.points || len(s.xy) == 1 {
			sc, err := plotter.NewScatter(s.xy)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: colorOf(i), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
			p.Add(sc)
		}
		p.Legend.Add(name, l)
	}
	return nil
}

// addMarks draws the passing and failing points.
func (c chart) addMarks(p *plot.Plot) error {
	for _, m := range c.marks {
		if len(m.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(m.xy)
		if err != nil {
			return err
		}
		if m.pass {
			sc.GlyphStyle = draw.GlyphStyle{Color: passGood, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}
		} else {
			sc.GlyphStyle = draw.GlyphStyle{Color: gateRed, Radius: vg.Points(3.5), Shape: draw.CrossGlyph{}}
		}
		p.Add(sc)
		p.Legend.Add(m.name, sc)
	}
	return nil
}

// addThresholds draws the gate lines across the data's x range.
func (c chart) addThresholds(p *plot.Plot) error {
	if len(c.thresholds) == 0 {
		return nil
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, s := range append(append([]series(nil), c.lines...), marksAsSeries(c.marks)...) {
		for _, pt := range s.xy {
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
		}
	}
	if len(c.bars) > 0 || math.IsInf(xmin, 0) {
		xmin, xmax = -0.5, float64(max(1, len(c.barLabels)))-0.5
	}
	if c.xMax > c.xMin {
		xmin, xmax = c.xMin, c.xMax
	}
	top := c.dataMax()
	for _, t := range c.thresholds {
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: t.y}, {X: xmax, Y: t.y}})
		if err != nil {
			return err
		}
		l.Color = gateRed
		l.Width = vg.Points(1.2)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		if top > 0 && t.y > farAbove*top && c.yMax == 0 {
			// A marker in the legend only: the axis stays on the data.
			p.Legend.Add(t.label+": far above the data, not drawn", l)
			continue
		}
		p.Add(l)
		p.Legend.Add(t.label, l)
	}
	return nil
}

// dataMax is the highest y of the chart's lines, bars and marks; 0 when
// it has none.
func (c chart) dataMax() float64 {
	m := 0.0
	for _, s := range append(append(append([]series(nil), c.lines...), c.bars...), marksAsSeries(c.marks)...) {
		for _, pt := range s.xy {
			m = math.Max(m, pt.Y)
		}
	}
	return m
}

// legendRows is the number of entries the chart's legend holds.
func (c chart) legendRows() int {
	n := len(c.thresholds) + len(c.marks)
	for _, s := range c.lines {
		if len(s.xy) > 0 {
			n++
		}
	}
	if len(c.bars) > 1 || len(c.bars) == 1 && c.bars[0].name != "" {
		n += len(c.bars)
	}
	return n
}

// scale sets the axes: nominal x labels, y from zero when asked, room for
// the legend above the data, and never an empty range.
func (c chart) scale(p *plot.Plot) {
	if c.nominalX != nil {
		p.NominalX(c.nominalX...)
		if len(c.nominalX) > 8 {
			p.X.Tick.Label.Rotation = math.Pi / 3
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	}
	if c.yFromZero {
		p.Y.Min = 0
	}
	if c.xMax > c.xMin {
		p.X.Min, p.X.Max = c.xMin, c.xMax
	}
	if c.yMax > 0 {
		p.Y.Max = c.yMax
	} else if p.Y.Max > p.Y.Min {
		// Room for the legend above the data: its rows (about 11 points
		// each) over a plot area of about 200 points, so no line runs
		// under it.
		f := math.Min(0.7, float64(c.legendRows())*11/200+0.04)
		p.Y.Max += f / (1 - f) * (p.Y.Max - p.Y.Min)
	}
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	if p.X.Max <= p.X.Min {
		p.X.Min, p.X.Max = p.X.Min-1, p.X.Max+1
	}
}

func marksAsSeries(ms []marks) []series {
	var out []series
	for _, m := range ms {
		out = append(out, series{m.name, m.xy})
	}
	return out
}

// inlineSVG turns a standalone SVG document into an element for an HTML
// page: no XML declaration or comment, an accessible name, and a size the
// page's CSS can scale.
func inlineSVG(doc, title string) template.HTML {
	if i := strings.Index(doc, "<svg"); i >= 0 {
		doc = doc[i:]
	}
	doc = strings.Replace(doc, "<svg ", `<svg role="img" aria-label="`+template.HTMLEscapeString(title)+`" `, 1)
	return template.HTML(strings.TrimSpace(doc))
}
