package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
)

// The HTML report is one file that works offline: inline CSS, inline SVG
// charts, no script, and a Content-Security-Policy that forbids loading
// anything, so a page that tried would say so in the browser's console.

type htmlPage struct {
	Title    string
	Heading  string
	Meta     string
	Pass     bool
	Verdict  []string
	Sections []htmlSection
}

type htmlSection struct {
	Title   string
	Lines   []string
	Tables  []table.Table
	Figures []htmlFigure
	// Details are collapsed sections (<details>), open with a click and no
	// script.
	Details []htmlSection
}

type htmlFigure struct {
	Caption string
	SVG     template.HTML
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"cellClass": cellClass,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;background:#fff;line-height:1.45}
h1{font-size:1.35rem;margin:0 0 .25rem}
h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#666;font-size:.85rem;margin:0 0 1rem}
.verdict{border-left:6px solid;padding:.5rem 1rem;margin:1rem 0;border-radius:3px}
.verdict.pass{border-color:#1a7f37;background:#eaf6ec}
.verdict.fail{border-color:#c62828;background:#fdecea}
.verdict ul{margin:0;padding-left:1.1rem}
table{border-collapse:collapse;margin:.75rem 0 .25rem;font-size:.85rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid #d0d0d0;padding:.2rem .5rem;text-align:left;white-space:nowrap}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.pass{color:#1a7f37;font-weight:600}
td.fail{color:#c62828;font-weight:600}
.tablewrap{overflow-x:auto}
ul.notes{font-size:.8rem;color:#555;margin:.2rem 0 1rem;padding-left:1.1rem}
figure{margin:1rem 0}
figcaption{font-size:.8rem;color:#555}
svg{max-width:100%;height:auto;display:block}
details{margin:.5rem 0;border:1px solid #e0e0e0;border-radius:3px;padding:.3rem .8rem}
summary{cursor:pointer;font-weight:600}
footer{margin-top:3rem;color:#888;font-size:.75rem}
</style>
</head>
<body>
<header>
<h1>{{.Heading}}</h1>
{{if .Meta}}<p class="meta">{{.Meta}}</p>{{end}}
</header>
<section class="verdict {{if .Pass}}pass{{else}}fail{{end}}">
<ul>
{{range .Verdict}}<li>{{.}}</li>
{{end}}</ul>
</section>
{{range .Sections}}{{template "section" .}}{{end}}
<footer>loadcheck — self-contained report: no script, nothing loaded from the network.</footer>
</body>
</html>
{{define "section"}}<section>
<h2>{{.Title}}</h2>
{{template "body" .}}</section>
{{end}}
{{define "body"}}{{range .Lines}}<p>{{.}}</p>
{{end}}{{range .Tables}}<div class="tablewrap"><table>
<caption>{{.Title}}</caption>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td class="{{cellClass .}}">{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{end}}{{range .Figures}}<figure>
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{range .Details}}<details>
<summary>{{.Title}}</summary>
{{template "body" .}}</details>
{{end}}{{end}}
`))

// cellClass styles a table cell: PASS and FAIL in colour, numbers right
// aligned.
func cellClass(s string) string {
	switch {
	case strings.HasPrefix(s, "PASS"):
		return "pass"
	case strings.HasPrefix(s, "FAIL"):
		return "fail"
	}
	t := strings.TrimRight(strings.TrimLeft(s, "+−-"), "%/spMiBKG")
	t = strings.ReplaceAll(t, ",", "")
	if _, err := strconv.ParseFloat(t, 64); err == nil || s == "~" || s == "—" {
		return "num"
	}
	return ""
}

// WriteHTML writes doc as one self-contained HTML page with SVG charts:
// latency percentiles over time per endpoint, throughput and errors over
// time, CPU per process over time, per-board delivery ratio; for a
// capacity search the latency-versus-rate curve with the gate line; for a
// nightly report the trend over the last nights.
func WriteHTML(w io.Writer, doc result.Document) error {
	p, err := viewsOf(doc).page()
	if err != nil {
		return err
	}
	return pageTemplate.Execute(w, p)
}

func figures(cs ...chart) ([]htmlFigure, error) {
	var out []htmlFigure
	for _, c := range cs {
		if c.empty() {
			continue
		}
		svg, err := c.svg()
		if err != nil {
			return nil, err
		}
		out = append(out, htmlFigure{Caption: c.title, SVG: svg})
	}
	return out, nil
}

func runMeta(r *result.Result) string {
	m := fmt.Sprintf("run %s · started %s · scenario %s", r.RunID, r.Start.UTC().Format("2006-01-02 15:04:05 MST"), r.Scenario.Name)
	if r.Scenario.File != "" {
		m += " (" + r.Scenario.File + ")"
	}
	if l := LoadLine(r.Scenario); l != "" {
		m += " · " + l
	}
	return m
}

func resultPage(r *result.Result) (htmlPage, error) {
	figs, err := figures(runCharts(r)...)
	if err != nil {
		return htmlPage{}, err
	}
	return htmlPage{
		Title: "loadcheck: " + r.Scenario.Name + " — " + r.Target.Name, Heading: Headline(r), Meta: runMeta(r),
		Pass: r.Pass, Verdict: strings.Split(Verdict(r), "\n"),
		Sections: []htmlSection{
			{Title: "Figures", Tables: Tables(r)},
			{Title: "Charts", Figures: figs},
		},
	}, nil
}

// seconds since the start of the measured phase of a timeline row.
func atSecond(s record.Second) float64 { return float64(s.T) }

func msOf(m record.DurationMs) float64 { return float64(m) / float64(time.Millisecond) }

// gatedPercentile is the percentile of endpoint ep ("all" for the
// total) that a gate judges — "p95" for http.zeus-search.p95 < 2s — or
// def when none does.
func gatedPercentile(gates []gate.Outcome, ep, def string) string {
	for _, o := range gates {
		parts := strings.Split(o.Metric, ".")
		if len(parts) == 3 && parts[0] == "http" && parts[1] == ep || len(parts) == 2 && parts[0] == "http" && ep == "all" {
			if st := parts[len(parts)-1]; st == "p50" || st == "p95" || st == "p99" {
				return st
			}
		}
	}
	return def
}

// runCharts are the charts of one run.
func runCharts(r *result.Result) []chart {
	var cs []chart
	eps := r.HTTP.Endpoints
	if len(eps) > 1 {
		eps = append(append([]record.EndpointSummary(nil), eps...), r.HTTP.Total)
	}
	xMax := r.Elapsed.Seconds()
	for _, e := range eps {
		c := chart{title: "Latency of " + e.Name + " over time", xLabel: "seconds into the measured phase", yLabel: "ms", yFromZero: true,
			xMax: xMax, top: gatedPercentile(r.Gates, e.Name, "")}
		var p50, p95, p99 plotter.XYs
		for _, s := range e.Timeline {
			if s.Requests == s.Errors {
				continue // no success that second: no percentile
			}
			p50 = append(p50, plotter.XY{X: atSecond(s), Y: msOf(s.P50)})
			p95 = append(p95, plotter.XY{X: atSecond(s), Y: msOf(s.P95)})
			p99 = append(p99, plotter.XY{X: atSecond(s), Y: msOf(s.P99)})
		}
		c.lines = []series{{"p50", p50}, {"p95", p95}, {"p99", p99}}
		c.thresholds = durationGates(r.Gates, e.Name)
		cs = append(cs, c)
	}
	tp := chart{title: "Throughput and errors over time", xLabel: "seconds into the measured phase", yLabel: "requests per second", yFromZero: true, xMax: xMax}
	var done, errs plotter.XYs
	names := [2]string{"successful /s", "errors /s"}
	for _, s := range r.HTTP.Total.Timeline {
		// The last second may be cut short by the phase's end: its counts
		// are divided by the part of it measured, so it reads as a rate
		// and not as a collapse.
		span := math.Min(1, r.Elapsed.Seconds()-atSecond(s))
		if span <= 0 || span >= 1 {
			span = 1
		} else {
			names = [2]string{fmt.Sprintf("successful /s (last %.1f s as a rate)", span), "errors /s"}
		}
		done = append(done, plotter.XY{X: atSecond(s), Y: float64(s.Requests-s.Errors) / span})
		errs = append(errs, plotter.XY{X: atSecond(s), Y: float64(s.Errors) / span})
	}
	tp.lines = []series{{names[0], done}, {names[1], errs}}
	cs = append(cs, tp)
	if c, ok := cpuChart(r, ""); ok {
		c.xMin, c.xMax = 0, xMax
		cs = append(cs, c)
	}
	if c, ok := downstreamChart(r); ok {
		cs = append(cs, c)
	}
	if r.WebSocket != nil && len(r.WebSocket.PerBoard) > 0 {
		c := chart{title: "Broadcast delivery per board", yLabel: "% of expected events received", yFromZero: true, yMax: 105}
		var xy plotter.XYs
		for i, b := range r.WebSocket.PerBoard {
			c.barLabels = append(c.barLabels, boardLabel(b.ID, b.Worker))
			xy = append(xy, plotter.XY{X: float64(i), Y: 100 * b.Ratio})
		}
		c.bars = []series{{"", xy}}
		c.thresholds = []threshold{{100, "every event"}}
		cs = append(cs, c)
	}
	return cs
}

func boardLabel(id int, worker string) string {
	if worker == "" {
		return "board " + strconv.Itoa(id)
	}
	return fmt.Sprintf("board %d (pid %s)", id, worker)
}

// durationGates returns the thresholds of the latency gates on endpoint
// (or on all endpoints, for "all"), for a chart in ms.
func durationGates(outcomes []gate.Outcome, endpoint string) []threshold {
	var out []threshold
	for _, o := range outcomes {
		if m, _ := metric.Find(o.Metric); o.Limit.Kind != gate.Duration || m.Needs != metric.NeedsHTTP {
			continue
		}
		ep := metric.EndpointOf(o.Metric)
		if ep == endpoint || (ep == "" && endpoint == "all") {
			out = append(out, threshold{o.Limit.V * 1000, "gate " + o.Gate})
		}
	}
	return out
}

// cpuChart draws each process's CPU over time.
func cpuChart(r *result.Result, label string) (chart, bool) {
	res := r.Resources
	if res == nil || len(res.Timeline) < 2 {
		return chart{}, false
	}
	title := "CPU per process over time"
	if label != "" {
		title += ": " + label
	}
	c := chart{title: title, xLabel: "seconds into the measured phase", yLabel: "% of one core", yFromZero: true}
	offset := cpuOffset(r)
	lines := make([]plotter.XYs, len(res.Processes))
	var total plotter.XYs
	for _, s := range res.Timeline {
		x := (s.T - offset).Seconds()
		if x < 0 {
			continue // the warm-up
		}
		for i, v := range s.PerProcess {
			if i < len(lines) {
				lines[i] = append(lines[i], plotter.XY{X: x, Y: v})
			}
		}
		total = append(total, plotter.XY{X: x, Y: s.CPU})
	}
	for i, p := range res.Processes {
		name := p.Role
		if p.PID > 0 {
			name = strings.TrimSpace(fmt.Sprintf("pid %d %s", p.PID, p.Role))
		}
		if name == "" {
			name = p.Name
		}
		c.lines = append(c.lines, series{name, lines[i]})
	}
	if len(res.Processes) == 0 {
		c.lines = []series{{"total", total}}
	}
	for _, o := range r.Gates {
		if o.Metric == metric.CPUSustained {
			c.thresholds = append(c.thresholds, threshold{o.Limit.V, "gate " + o.Gate + " (rolling mean)"})
		}
	}
	return c, true
}

// cpuOffset is where r's measured phase begins on its resource timeline:
// the timeline counts from the first sample, taken before the warm-up,
// and every chart counts from the measured phase.
func cpuOffset(r *result.Result) time.Duration {
	if res := r.Resources; res != nil && !res.Start.IsZero() && !r.Start.IsZero() {
		return r.Start.Sub(res.Start)
	}
	return 0
}

// comparisonCharts draws the targets side by side: p95 per endpoint,
// throughput, errors when any, CPU and delivery per board, a line (or a
// bar) per target.
func comparisonCharts(c *result.Comparison) []chart {
	labels := comparisonColumns(c)
	cs := comparisonLatencyCharts(c, labels)
	cs = append(cs, comparisonThroughputCharts(c, labels)...)
	cpu := chart{title: "CPU of all target processes over time", xLabel: "seconds into the measured phase", yLabel: "% of one core", yFromZero: true}
	for i, r := range c.Results {
		var xy plotter.XYs
		if r.Resources != nil && len(r.Resources.Timeline) > 1 {
			for _, s := range r.Resources.Timeline {
				if x := (s.T - cpuOffset(r)).Seconds(); x >= 0 {
					xy = append(xy, plotter.XY{X: x, Y: s.CPU})
				}
			}
		}
		cpu.lines = append(cpu.lines, series{labels[i], xy})
	}
	cs = append(cs, cpu)
	// One x range for every time chart: the longest measured phase.
	var xMax float64
	for _, r := range c.Results {
		xMax = math.Max(xMax, r.Elapsed.Seconds())
	}
	for i := range cs {
		if cs[i].nominalX == nil && len(cs[i].bars) == 0 && xMax > 0 {
			cs[i].xMax = xMax
		}
	}
	if ch, ok := comparisonDeliveryChart(c, labels); ok {
		cs = append(cs, ch)
	}
	return cs
}

// comparisonLatencyCharts draws, per endpoint, the p95 over time, a line
// per target.
func comparisonLatencyCharts(c *result.Comparison, labels []string) []chart {
	var eps []string
	seen := map[string]bool{}
	for _, r := range c.Results {
		for _, e := range r.HTTP.Endpoints {
			if !seen[e.Name] {
				seen[e.Name] = true
				eps = append(eps, e.Name)
			}
		}
	}
	var cs []chart
	for _, ep := range eps {
		ch := chart{title: "p95 latency of " + ep + " over time", xLabel: "seconds into the measured phase", yLabel: "ms", yFromZero: true}
		for i, r := range c.Results {
			e, _ := r.HTTP.Endpoint(ep)
			var xy plotter.XYs
			for _, s := range e.Timeline {
				if s.Requests > s.Errors {
					xy = append(xy, plotter.XY{X: atSecond(s), Y: msOf(s.P95)})
				}
			}
			ch.lines = append(ch.lines, series{labels[i], xy})
		}
		if len(c.Results) > 0 {
			ch.thresholds = durationGates(c.Results[0].Gates, ep)
		}
		cs = append(cs, ch)
	}
	return cs
}

// comparisonThroughputCharts draws the throughput over time, and the
// errors over time when any target had one.
func comparisonThroughputCharts(c *result.Comparison, labels []string) []chart {
	tp := chart{title: "Throughput over time", xLabel: "seconds into the measured phase", yLabel: "successful responses completed per second", yFromZero: true}
	ers := chart{title: "Errors over time", xLabel: "seconds into the measured phase", yLabel: "failed requests per second", yFromZero: true}
	anyErr := false
	for i, r := range c.Results {
		var a, b plotter.XYs
		for _, s := range r.HTTP.Total.Timeline {
			a = append(a, plotter.XY{X: atSecond(s), Y: float64(s.Requests - s.Errors)})
			b = append(b, plotter.XY{X: atSecond(s), Y: float64(s.Errors)})
			anyErr = anyErr || s.Errors > 0
		}
		tp.lines = append(tp.lines, series{labels[i], a})
		ers.lines = append(ers.lines, series{labels[i], b})
	}
	if anyErr {
		return []chart{tp, ers}
	}
	return []chart{tp}
}

// comparisonDeliveryChart draws the delivery per board, a group of bars
// per target; false when no target had boards.
func comparisonDeliveryChart(c *result.Comparison, labels []string) (chart, bool) {
	maxBoards := 0
	for _, r := range c.Results {
		if r.WebSocket != nil {
			maxBoards = max(maxBoards, len(r.WebSocket.PerBoard))
		}
	}
	if maxBoards == 0 {
		return chart{}, false
	}
	ch := chart{title: "Broadcast delivery per board", yLabel: "% of expected events received", yFromZero: true, yMax: 105}
	for b := range maxBoards {
		ch.barLabels = append(ch.barLabels, "board "+strconv.Itoa(b))
	}
	for i, r := range c.Results {
		xy := make(plotter.XYs, maxBoards)
		if r.WebSocket != nil {
			for j, b := range r.WebSocket.PerBoard {
				xy[j] = plotter.XY{X: float64(j), Y: 100 * b.Ratio}
			}
		}
		ch.bars = append(ch.bars, series{labels[i], xy})
	}
	ch.thresholds = []threshold{{100, "every event"}}
	return ch, true
}

// comparisonSections are the comparison page's sections: the tables, the
// charts, and each target's own report, collapsed.
func comparisonSections(c *result.Comparison) ([]htmlSection, error) {
	labels := comparisonColumns(c)
	figs, err := figures(comparisonCharts(c)...)
	if err != nil {
		return nil, err
	}
	secs := []htmlSection{
		{Title: "Side by side", Tables: comparisonTables(c)},
		{Title: "Charts", Figures: figs},
	}
	each := htmlSection{Title: "Each target"}
	for i, r := range c.Results {
		d := htmlSection{Title: labels[i] + " — " + strings.ReplaceAll(Verdict(r), "\n", " · "), Lines: []string{Headline(r), runMeta(r)}, Tables: Tables(r)}
		if ch, ok := cpuChart(r, labels[i]); ok {
			f, err := figures(ch)
			if err != nil {
				return nil, err
			}
			d.Figures = f
		}
		each.Details = append(each.Details, d)
	}
	return append(secs, each), nil
}

func comparisonPage(c *result.Comparison) (htmlPage, error) {
	secs, err := comparisonSections(c)
	if err != nil {
		return htmlPage{}, err
	}
	meta := ""
	if len(c.Results) > 0 {
		meta = runMeta(c.Results[0])
	}
	return htmlPage{Title: comparisonHeadline(c), Heading: comparisonHeadline(c), Meta: meta, Pass: c.Pass, Verdict: comparisonVerdicts(c), Sections: secs}, nil
}

// saturationCharts draws the latency-versus-rate curve of every latency
// gate (or of all endpoints' p95 without one) with the gate line, and the
// achieved rate and CPU against the offered rate.
func saturationCharts(s *result.Saturation) []chart {
	steps := append([]result.Step(nil), s.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Rate < steps[j].Rate })
	var cs []chart
	// One curve per latency gate metric.
	type curve struct {
		metric string
		limit  []threshold
	}
	var curves []curve
	seen := map[string]int{}
	for _, st := range steps {
		for _, o := range st.Gates {
			if o.Limit.Kind != gate.Duration {
				continue
			}
			i, ok := seen[o.Metric]
			if !ok {
				i = len(curves)
				seen[o.Metric] = i
				curves = append(curves, curve{metric: o.Metric})
			}
			dup := false
			for _, t := range curves[i].limit {
				dup = dup || t.label == "gate "+o.Gate
			}
			if !dup {
				curves[i].limit = append(curves[i].limit, threshold{o.Limit.V * 1000, "gate " + o.Gate})
			}
		}
	}
	if len(curves) == 0 {
		curves = []curve{{metric: "http.p95"}}
	}
	for _, cv := range curves {
		c := chart{title: cv.metric + " against the offered rate", xLabel: "offered requests per second", yLabel: "ms", yFromZero: true, thresholds: cv.limit}
		var line, pass, fail plotter.XYs
		for _, st := range steps {
			v, ok := stepValue(st, cv.metric)
			if !ok {
				continue
			}
			pt := plotter.XY{X: st.Rate, Y: v * 1000}
			line = append(line, pt)
			if st.Pass {
				pass = append(pass, pt)
			} else {
				fail = append(fail, pt)
			}
		}
		c.lines = []series{{cv.metric, line}}
		c.marks = []marks{{"step passed", pass, true}, {"step failed", fail, false}}
		cs = append(cs, c)
	}
	ach := chart{title: "Achieved against offered rate", xLabel: "offered requests per second", yLabel: "successful responses completed per second", yFromZero: true, points: true}
	var a, ideal plotter.XYs
	for _, st := range steps {
		a = append(a, plotter.XY{X: st.Rate, Y: st.Achieved})
		ideal = append(ideal, plotter.XY{X: st.Rate, Y: st.Rate})
	}
	ach.lines = []series{{"achieved", a}, {"offered", ideal}}
	cs = append(cs, ach)
	cpu := chart{title: "Sustained CPU of the busiest process against the offered rate", xLabel: "offered requests per second", yLabel: "% of one core", yFromZero: true, points: true}
	var xy plotter.XYs
	for _, st := range steps {
		if st.HasCPU {
			xy = append(xy, plotter.XY{X: st.Rate, Y: st.CPUSustained})
		}
	}
	cpu.lines = []series{{metric.CPUSustained, xy}}
	for _, st := range steps {
		for _, o := range st.Gates {
			if o.Metric == metric.CPUSustained {
				cpu.thresholds = []threshold{{o.Limit.V, "gate " + o.Gate}}
			}
		}
	}
	cs = append(cs, cpu)
	return cs
}

// stepValue is the observed value of metric at a step, in its base unit:
// from the step's gates, or the step's own p95 for http.p95.
func stepValue(st result.Step, metric string) (float64, bool) {
	for _, o := range st.Gates {
		if o.Metric == metric && o.Observed != nil {
			return o.Observed.V, true
		}
	}
	if metric == "http.p95" {
		return st.P95.Duration().Seconds(), st.Achieved > 0 && !st.NoSuccess
	}
	return 0, false
}

func saturationSection(s *result.Saturation) (htmlSection, error) {
	figs, err := figures(saturationCharts(s)...)
	if err != nil {
		return htmlSection{}, err
	}
	return htmlSection{Title: "Capacity of " + s.Target.Name, Lines: []string{SaturationSummary(s)}, Tables: SaturationTables(s), Figures: figs}, nil
}

func saturationPage(s *result.Saturation) (htmlPage, error) {
	sec, err := saturationSection(s)
	if err != nil {
		return htmlPage{}, err
	}
	meta := fmt.Sprintf("search %s · started %s · scenario %s", s.ID, s.Start.UTC().Format("2006-01-02 15:04:05 MST"), s.Scenario.Name)
	return htmlPage{Title: saturationHeadline(s), Heading: saturationHeadline(s), Meta: meta, Pass: s.Pass, Verdict: []string{SaturationSummary(s)}, Sections: []htmlSection{sec}}, nil
}

// trendCharts draw the last nights: p95 of every endpoint, capacity and
// websocket loss, a line per target.
func trendCharts(n *result.Nightly) []chart {
	ix := indexTrend(n.Trend)
	dates, targets := slices.Clone(ix.dates), ix.targets
	eps := map[string]bool{}
	for _, e := range n.Trend {
		for ep := range e.P95 {
			eps[ep] = true
		}
	}
	sort.Strings(dates)
	if len(dates) == 0 {
		return nil
	}
	labels := make([]string, len(dates))
	for i, d := range dates {
		labels[i] = d
		if t, err := time.Parse("2006-01-02", d); err == nil {
			labels[i] = t.Format("01-02")
		}
	}
	epNames := make([]string, 0, len(eps))
	for ep := range eps {
		if ep != "all" {
			epNames = append(epNames, ep)
		}
	}
	sort.Strings(epNames)
	if eps["all"] {
		epNames = append([]string{"all"}, epNames...)
	}
	line := func(title, y string, value func(result.HistoryEntry) (float64, bool)) chart {
		c := chart{title: title, xLabel: "night", yLabel: y, nominalX: labels, yFromZero: true, points: true}
		for _, tg := range targets {
			var xy plotter.XYs
			for i, d := range dates {
				if e, ok := ix.entry(d, tg); ok {
					if v, ok := value(e); ok {
						xy = append(xy, plotter.XY{X: float64(i), Y: v})
					}
				}
			}
			c.lines = append(c.lines, series{tg, xy})
		}
		return c
	}
	var cs []chart
	for _, ep := range epNames {
		name := metric.Instance(metric.EndpointP95, ep)
		if ep == "all" {
			name = metric.HTTPP95
		}
		c := line(fmt.Sprintf("%s over the last %d nights", name, result.TrendNights), "ms", func(e result.HistoryEntry) (float64, bool) {
			v, ok := e.P95[ep]
			return msOf(v), ok
		})
		if n.Comparison != nil && len(n.Comparison.Results) > 0 {
			c.thresholds = durationGates(n.Comparison.Results[0].Gates, ep)
		}
		cs = append(cs, c)
	}
	cs = append(cs, line("Capacity over the last nights", "requests per second", func(e result.HistoryEntry) (float64, bool) {
		return e.Capacity, e.Capacity > 0
	}))
	cs = append(cs, line("Broadcast loss over the last nights", "% of expected events lost", func(e result.HistoryEntry) (float64, bool) {
		if e.WSLoss == nil {
			return 0, false
		}
		return *e.WSLoss, true
	}))
	return cs
}

func nightlyPage(n *result.Nightly) (htmlPage, error) {
	verdict := append([]string{nightlyVerdict(n)}, nightlyRegressionLines(n)...)
	figs, err := figures(trendCharts(n)...)
	if err != nil {
		return htmlPage{}, err
	}
	secs := []htmlSection{{Title: "Trend", Tables: []table.Table{trendTable(n)}, Figures: figs,
		Lines: []string{fmt.Sprintf("regression: any endpoint's p95 more than %.0f%% (and %s) above, or capacity more than %.0f%% below, the median of the last %d earlier nights; or broadcast loss where there was none",
			n.Thresholds.P95Growth, n.Thresholds.P95Floor, n.Thresholds.CapacityDrop, n.Thresholds.Baseline)}}}
	meta := "night " + n.Date
	if n.Comparison != nil {
		cs, err := comparisonSections(n.Comparison)
		if err != nil {
			return htmlPage{}, err
		}
		cs[0].Lines = verdictsWith(n.Comparison, n.Saturations)
		secs = append(secs, cs...)
		if len(n.Comparison.Results) > 0 {
			meta += " · " + runMeta(n.Comparison.Results[0])
		}
	}
	for _, s := range n.Saturations {
		sec, err := saturationSection(s)
		if err != nil {
			return htmlPage{}, err
		}
		secs = append(secs, sec)
	}
	return htmlPage{Title: nightlyHeadline(n), Heading: nightlyHeadline(n), Meta: meta, Pass: n.Pass, Verdict: verdict, Sections: secs}, nil
}
