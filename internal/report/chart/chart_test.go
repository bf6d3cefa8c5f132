package chart

import (
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// run is a result of two endpoints over five seconds, zeus-search gated
// on its p95, with two processes sampled once a second from the start of
// the measured phase.
func run(t *testing.T) *result.Result {
	t.Helper()
	ms := func(f float64) record.DurationMs { return record.DurationMs(f * float64(time.Millisecond)) }
	timeline := func(p95 float64) []record.Second {
		var out []record.Second
		for s := range 5 {
			f := p95 * (1 + 0.1*float64(s%3))
			out = append(out, record.Second{T: s, Requests: uint64(10 + s), Errors: uint64(s % 2), P50: ms(f / 2), P95: ms(f), P99: ms(1.5 * f)})
		}
		return out
	}
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	r := &result.Result{
		Start: start, Elapsed: 5 * time.Second, Status: result.Complete,
		HTTP: record.Summary{
			Endpoints: []record.EndpointSummary{{Name: "zeus-search", Timeline: timeline(1020)}, {Name: "homepage", Timeline: timeline(4.8)}},
			Total:     record.EndpointSummary{Name: "all", Timeline: timeline(900)},
		},
		Resources: &resource.Summary{Start: start, Processes: []resource.Process{{PID: 100, Role: "master"}, {PID: 101, Role: "worker"}}},
	}
	for s := range 6 {
		r.Resources.Timeline = append(r.Resources.Timeline, resource.Sample{T: time.Duration(s) * time.Second, CPU: 40, PerProcess: []float64{1, 39}})
	}
	g, err := metric.ParseGate("http.zeus-search.p95 < 2s")
	if err != nil {
		t.Fatal(err)
	}
	r.Gates, r.Pass = gate.EvalAll([]gate.Gate{g}, r)
	return r
}

// The colours of a latency chart's lines: p50, p95, p99 (palette order).
const (
	p50Stroke = "stroke:#0072B2;stroke-width:1.5"
	p95Gated  = "stroke:#E69F00;stroke-width:2.5"
	p99Stroke = "stroke:#009E73;stroke-width:1.5"
	gateDrawn = "stroke:#C81E1E;stroke-width:1.2"
)

// TestGatedPercentileOnTop: the percentile a gate judges is drawn last,
// over the others, thicker and labelled; p99 no longer hides it.
func TestGatedPercentileOnTop(t *testing.T) {
	r := run(t) // gates http.zeus-search.p95
	c := Run(r)[0]
	if c.Top != "p95" {
		t.Fatalf("the zeus-search latency chart puts %q on top, want p95", c.Top)
	}
	svg, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	i50, i95, i99 := strings.Index(s, p50Stroke), strings.Index(s, p95Gated), strings.Index(s, p99Stroke)
	if i50 < 0 || i95 < 0 || i99 < 0 || !(i50 < i99 && i99 < i95) {
		t.Errorf("SVG order of the lines: p50 at %d, p99 at %d, gated p95 at %d; want p95 drawn last", i50, i99, i95)
	}
	if home := Run(r)[1]; home.Top != "" {
		t.Errorf("homepage has no latency gate, yet %q is drawn as gated", home.Top)
	}
}

// TestGateFarAboveIsAMarker: a 2 s gate over latencies of 55 ms is not
// drawn across the chart (it would flatten the data to one line); the
// legend names it instead, and the y axis is scaled to the data.
func TestGateFarAboveIsAMarker(t *testing.T) {
	flat := func(ms float64) plotXY { return plotXY{{0, ms}, {1, ms * 1.1}, {2, ms}} }
	for _, tc := range []struct {
		name  string
		data  float64
		drawn bool
	}{
		{"far below the gate", 55, false},
		{"near the gate", 1500, true},
	} {
		c := Chart{Title: tc.name, YFromZero: true, Lines: []Series{{"p95", flat(tc.data).xys()}}, Thresholds: []Threshold{{2000, "gate < 2s"}}}
		svg, err := c.SVG()
		if err != nil {
			t.Fatal(err)
		}
		// The legend's thumbnail is one red stroke; a drawn gate is a second.
		if got := strings.Count(string(svg), gateDrawn) == 2; got != tc.drawn {
			t.Errorf("%s: gate line drawn %v, want %v", tc.name, got, tc.drawn)
		}
		p := c.newPlot()
		if err := c.addLines(p); err != nil {
			t.Fatal(err)
		}
		if err := c.addThresholds(p); err != nil {
			t.Fatal(err)
		}
		c.scale(p)
		if !tc.drawn && p.Y.Max > 4*tc.data {
			t.Errorf("%s: y axis reaches %.0f ms for data of %.0f ms", tc.name, p.Y.Max, tc.data)
		}
	}
}

// TestRunChartsShareTheMeasuredPhase: every time chart of a run counts
// seconds from the start of the measured phase over the same range; the
// CPU chart drops the warm-up's samples; a last second cut short reads as
// a rate, not a collapse; no chart repeats its caption as a title.
func TestRunChartsShareTheMeasuredPhase(t *testing.T) {
	r := run(t)
	r.Elapsed = 4400 * time.Millisecond // the fifth second (T=4) holds 0.4 s
	r.Resources.Start = r.Start.Add(-2 * time.Second)
	cs := Run(r)
	var tp, cpu *Chart
	for i := range cs {
		switch {
		case strings.HasPrefix(cs[i].Title, "Throughput"):
			tp = &cs[i]
		case strings.HasPrefix(cs[i].Title, "CPU"):
			cpu = &cs[i]
		}
		if cs[i].NominalX == nil && len(cs[i].Bars) == 0 && cs[i].XMax != 4.4 {
			t.Errorf("%s: x range up to %v, want the measured phase's 4.4 s", cs[i].Title, cs[i].XMax)
		}
		if p := cs[i].newPlot(); p.Title.Text != "" {
			t.Errorf("%s: a title inside the SVG repeats the caption", cs[i].Title)
		}
	}
	if tp == nil || cpu == nil {
		t.Fatal("no throughput or CPU chart")
	}
	last := r.HTTP.Total.Timeline[4]
	ok := tp.Lines[0].XY[4].Y
	if want := float64(last.Requests-last.Errors) / 0.4; ok < want-0.01 || ok > want+0.01 {
		t.Errorf("last partial second: %v successful /s, want %v (its count over 0.4 s)", ok, want)
	}
	if !strings.Contains(tp.Lines[0].Name, "last 0.4 s as a rate") {
		t.Errorf("the throughput legend does not say the last second is partial: %q", tp.Lines[0].Name)
	}
	if x := cpu.Lines[0].XY[0].X; x != 0 {
		t.Errorf("CPU chart begins at %v s, want 0 (the measured phase's start; samples of the warm-up dropped)", x)
	}
	if n, all := len(cpu.Lines[0].XY), len(r.Resources.Timeline); n != all-2 {
		t.Errorf("CPU chart has %d points of %d samples, want the 2 of the warm-up dropped", n, all)
	}
}

// plotXY builds chart points from pairs.
type plotXY [][2]float64

func (p plotXY) xys() plotter.XYs {
	out := make(plotter.XYs, len(p))
	for i, xy := range p {
		out[i] = plotter.XY{X: xy[0], Y: xy[1]}
	}
	return out
}
