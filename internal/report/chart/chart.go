package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgsvg" // registers the "svg" format
)

// A chart is drawn by gonum/plot into SVG, which the HTML page inlines,
// so the page needs nothing from the network. Every chart is built from
// data in the document alone; the same document always gives the same SVG.

// Series is one line (or one group of bars) of a chart.
type Series struct {
	Name string
	XY   plotter.XYs
}

// Threshold is a horizontal line: a gate's limit.
type Threshold struct {
	Y     float64
	Label string
}

// Marks are points drawn as glyphs: passing and failing steps.
type Marks struct {
	Name string
	XY   plotter.XYs
	Pass bool
}

// Chart is one chart of a document, in the units its labels name.
type Chart struct {
	Title, XLabel, YLabel string
	Lines                 []Series
	Thresholds            []Threshold
	Marks                 []Marks
	Points                bool     // draw a glyph at every line point
	NominalX              []string // labels for x = 0, 1, …; nil for numeric x
	YFromZero             bool
	// Bars, when set, replaces lines: a group of bars per series, one bar
	// per label.
	Bars      []Series
	BarLabels []string
	YMax      float64 // 0: automatic
	// Top names the line drawn last, over the others, and labelled
	// "(gated)": the percentile a gate judges, which must not hide under
	// another.
	Top string
	// XMin and XMax, when XMax > XMin, fix the x range: charts of one run
	// share the measured phase's, so their seconds line up.
	XMin, XMax float64
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
func (c Chart) Empty() bool {
	for _, s := range c.Lines {
		if len(s.XY) > 0 {
			return false
		}
	}
	for _, s := range c.Bars {
		if len(s.XY) > 0 {
			return false
		}
	}
	for _, m := range c.Marks {
		if len(m.XY) > 0 {
			return false
		}
	}
	return true
}

// SVG draws the chart as a standalone SVG document, 720×270 points.
func (c Chart) SVG() ([]byte, error) {
	p := c.newPlot()
	for _, add := range []func(*plot.Plot) error{c.addBars, c.addLines, c.addMarks, c.addThresholds} {
		if err := add(p); err != nil {
			return nil, fmt.Errorf("chart %q: %v", c.Title, err)
		}
	}
	c.scale(p)
	wt, err := p.WriterTo(vg.Points(720), vg.Points(270), "svg")
	if err != nil {
		return nil, fmt.Errorf("chart %q: %v", c.Title, err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart %q: %v", c.Title, err)
	}
	return b.Bytes(), nil
}

// newPlot is an empty plot with the chart's titles, fonts and grid.
func (c Chart) newPlot() *plot.Plot {
	// No title inside the SVG: the page's caption names the chart once.
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(chartFont, 9)
		a.Tick.Label.Font = font.From(chartFont, 8)
	}
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
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
func (c Chart) addBars(p *plot.Plot) error {
	if len(c.Bars) == 0 {
		return nil
	}
	n := len(c.Bars)
	w := vg.Points(math.Max(4, math.Min(24, 360/float64(n*max(1, len(c.BarLabels))))))
	for i, s := range c.Bars {
		vals := make(plotter.Values, len(s.XY))
		for j, pt := range s.XY {
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
		if n > 1 || s.Name != "" {
			p.Legend.Add(s.Name, b)
		}
	}
	p.NominalX(c.BarLabels...)
	return nil
}

// addLines draws the lines, with a glyph at each point when asked (or
// when a line has one point only).
func (c Chart) addLines(p *plot.Plot) error {
	order := make([]int, 0, len(c.Lines))
	last := -1
	for i, s := range c.Lines {
		if s.Name == c.Top && c.Top != "" {
			last = i
			continue
		}
		order = append(order, i)
	}
	if last >= 0 {
		order = append(order, last)
	}
	for _, i := range order {
		s := c.Lines[i]
		if len(s.XY) == 0 {
			continue
		}
		l, err := plotter.NewLine(s.XY)
		if err != nil {
			return err
		}
		l.Color = colorOf(i)
		l.Width = vg.Points(1.5)
		name := s.Name
		if i == last {
			l.Width = vg.Points(2.5)
			name += " (gated)"
		}
		p.Add(l)
		if c.Points || len(s.XY) == 1 {
			sc, err := plotter.NewScatter(s.XY)
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
func (c Chart) addMarks(p *plot.Plot) error {
	for _, m := range c.Marks {
		if len(m.XY) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(m.XY)
		if err != nil {
			return err
		}
		if m.Pass {
			sc.GlyphStyle = draw.GlyphStyle{Color: passGood, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}
		} else {
			sc.GlyphStyle = draw.GlyphStyle{Color: gateRed, Radius: vg.Points(3.5), Shape: draw.CrossGlyph{}}
		}
		p.Add(sc)
		p.Legend.Add(m.Name, sc)
	}
	return nil
}

// addThresholds draws the gate lines across the data's x range.
func (c Chart) addThresholds(p *plot.Plot) error {
	if len(c.Thresholds) == 0 {
		return nil
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, s := range append(append([]Series(nil), c.Lines...), marksAsSeries(c.Marks)...) {
		for _, pt := range s.XY {
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
		}
	}
	if len(c.Bars) > 0 || math.IsInf(xmin, 0) {
		xmin, xmax = -0.5, float64(max(1, len(c.BarLabels)))-0.5
	}
	if c.XMax > c.XMin {
		xmin, xmax = c.XMin, c.XMax
	}
	top := c.dataMax()
	for _, t := range c.Thresholds {
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: t.Y}, {X: xmax, Y: t.Y}})
		if err != nil {
			return err
		}
		l.Color = gateRed
		l.Width = vg.Points(1.2)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		if top > 0 && t.Y > farAbove*top && c.YMax == 0 {
			// A marker in the legend only: the axis stays on the data.
			p.Legend.Add(t.Label+": far above the data, not drawn", l)
			continue
		}
		p.Add(l)
		p.Legend.Add(t.Label, l)
	}
	return nil
}

// dataMax is the highest y of the chart's lines, bars and marks; 0 when
// it has none.
func (c Chart) dataMax() float64 {
	m := 0.0
	for _, s := range append(append(append([]Series(nil), c.Lines...), c.Bars...), marksAsSeries(c.Marks)...) {
		for _, pt := range s.XY {
			m = math.Max(m, pt.Y)
		}
	}
	return m
}

// legendRows is the number of entries the chart's legend holds.
func (c Chart) legendRows() int {
	n := len(c.Thresholds) + len(c.Marks)
	for _, s := range c.Lines {
		if len(s.XY) > 0 {
			n++
		}
	}
	if len(c.Bars) > 1 || len(c.Bars) == 1 && c.Bars[0].Name != "" {
		n += len(c.Bars)
	}
	return n
}

// scale sets the axes: nominal x labels, y from zero when asked, room for
// the legend above the data, and never an empty range.
func (c Chart) scale(p *plot.Plot) {
	if c.NominalX != nil {
		p.NominalX(c.NominalX...)
		if len(c.NominalX) > 8 {
			p.X.Tick.Label.Rotation = math.Pi / 3
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	}
	if c.YFromZero {
		p.Y.Min = 0
	}
	if c.XMax > c.XMin {
		p.X.Min, p.X.Max = c.XMin, c.XMax
	}
	if c.YMax > 0 {
		p.Y.Max = c.YMax
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

func marksAsSeries(ms []Marks) []Series {
	var out []Series
	for _, m := range ms {
		out = append(out, Series{m.Name, m.XY})
	}
	return out
}
