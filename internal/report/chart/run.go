package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
)

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

// Run is the charts of one run: latency per endpoint (and of all of
// them), throughput and errors, CPU per process, calls to downstreams and
// delivery per board, every time chart over the measured phase.
func Run(r *result.Result) []Chart {
	var cs []Chart
	eps := r.HTTP.Endpoints
	if len(eps) > 1 {
		eps = append(append([]record.EndpointSummary(nil), eps...), r.HTTP.Total)
	}
	xMax := r.Elapsed.Seconds()
	for _, e := range eps {
		c := Chart{Title: "Latency of " + e.Name + " over time", XLabel: "seconds into the measured phase", YLabel: "ms", YFromZero: true,
			XMax: xMax, Top: gatedPercentile(r.Gates, e.Name, "")}
		var p50, p95, p99 plotter.XYs
		for _, s := range e.Timeline {
			if s.Requests == s.Errors {
				continue // no success that second: no percentile
			}
			p50 = append(p50, plotter.XY{X: atSecond(s), Y: msOf(s.P50)})
			p95 = append(p95, plotter.XY{X: atSecond(s), Y: msOf(s.P95)})
			p99 = append(p99, plotter.XY{X: atSecond(s), Y: msOf(s.P99)})
		}
		c.Lines = []Series{{"p50", p50}, {"p95", p95}, {"p99", p99}}
		c.Thresholds = durationGates(r.Gates, e.Name)
		cs = append(cs, c)
	}
	tp := Chart{Title: "Throughput and errors over time", XLabel: "seconds into the measured phase", YLabel: "requests per second", YFromZero: true, XMax: xMax}
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
	tp.Lines = []Series{{names[0], done}, {names[1], errs}}
	cs = append(cs, tp)
	if c, ok := CPU(r, ""); ok {
		c.XMin, c.XMax = 0, xMax
		cs = append(cs, c)
	}
	if c, ok := downstreams(r); ok {
		cs = append(cs, c)
	}
	if r.WebSocket != nil && len(r.WebSocket.PerBoard) > 0 {
		c := Chart{Title: "Broadcast delivery per board", YLabel: "% of expected events received", YFromZero: true, YMax: 105}
		var xy plotter.XYs
		for i, b := range r.WebSocket.PerBoard {
			c.BarLabels = append(c.BarLabels, boardLabel(b.ID, b.Worker))
			xy = append(xy, plotter.XY{X: float64(i), Y: 100 * b.Ratio})
		}
		c.Bars = []Series{{"", xy}}
		c.Thresholds = []Threshold{{100, "every event"}}
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
func durationGates(outcomes []gate.Outcome, endpoint string) []Threshold {
	var out []Threshold
	for _, o := range outcomes {
		if m, _ := metric.Find(o.Metric); o.Limit.Kind != gate.Duration || m.Needs != metric.NeedsHTTP {
			continue
		}
		ep := metric.EndpointOf(o.Metric)
		if ep == endpoint || (ep == "" && endpoint == "all") {
			out = append(out, Threshold{o.Limit.V * 1000, "gate " + o.Gate})
		}
	}
	return out
}

// CPU draws each process's CPU over time, label added to its title; false
// when r sampled too little to draw.
func CPU(r *result.Result, label string) (Chart, bool) {
	res := r.Resources
	if res == nil || len(res.Timeline) < 2 {
		return Chart{}, false
	}
	title := "CPU per process over time"
	if label != "" {
		title += ": " + label
	}
	c := Chart{Title: title, XLabel: "seconds into the measured phase", YLabel: "% of one core", YFromZero: true}
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
		c.Lines = append(c.Lines, Series{name, lines[i]})
	}
	if len(res.Processes) == 0 {
		c.Lines = []Series{{"total", total}}
	}
	for _, o := range r.Gates {
		if o.Metric == metric.CPUSustained {
			c.Thresholds = append(c.Thresholds, Threshold{o.Limit.V, "gate " + o.Gate + " (rolling mean)"})
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

// downstreams draws the calls per second of each downstream over the
// measured phase, from the cumulative calls its summary sampled.
func downstreams(r *result.Result) (Chart, bool) {
	c := Chart{Title: "Downstream calls per second over time", XLabel: "seconds into the measured phase", YLabel: "calls per second", YFromZero: true}
	for _, s := range r.Downstreams {
		var xy plotter.XYs
		for i := 1; i < len(s.Series); i++ {
			a, b := s.Series[i-1], s.Series[i]
			if dt := b.Seconds - a.Seconds; dt > 0 {
				xy = append(xy, plotter.XY{X: b.Seconds, Y: (b.Calls - a.Calls) / dt})
			}
		}
		if len(xy) > 0 {
			c.Lines = append(c.Lines, Series{s.Name, xy})
		}
	}
	return c, len(c.Lines) > 0
}
