package chart

import (
	"math"
	"strconv"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/result"
)

// Comparison draws the targets side by side: p95 per endpoint,
// throughput, errors when any, CPU and delivery per board, a line (or a
// bar) per target, each named by its label (labels[i] for c.Results[i]).
func Comparison(c *result.Comparison, labels []string) []Chart {
	cs := comparisonLatencyCharts(c, labels)
	cs = append(cs, comparisonThroughputCharts(c, labels)...)
	cpu := Chart{Title: "CPU of all target processes over time", XLabel: "seconds into the measured phase", YLabel: "% of one core", YFromZero: true}
	for i, r := range c.Results {
		var xy plotter.XYs
		if r.Resources != nil && len(r.Resources.Timeline) > 1 {
			for _, s := range r.Resources.Timeline {
				if x := (s.T - cpuOffset(r)).Seconds(); x >= 0 {
					xy = append(xy, plotter.XY{X: x, Y: s.CPU})
				}
			}
		}
		cpu.Lines = append(cpu.Lines, Series{labels[i], xy})
	}
	cs = append(cs, cpu)
	// One x range for every time chart: the longest measured phase.
	var xMax float64
	for _, r := range c.Results {
		xMax = math.Max(xMax, r.Elapsed.Seconds())
	}
	for i := range cs {
		if cs[i].NominalX == nil && len(cs[i].Bars) == 0 && xMax > 0 {
			cs[i].XMax = xMax
		}
	}
	if ch, ok := comparisonDeliveryChart(c, labels); ok {
		cs = append(cs, ch)
	}
	return cs
}

// comparisonLatencyCharts draws, per endpoint, the p95 over time, a line
// per target.
func comparisonLatencyCharts(c *result.Comparison, labels []string) []Chart {
	var cs []Chart
	for _, ep := range result.EndpointNames(c.Results...) {
		ch := Chart{Title: "p95 latency of " + ep + " over time", XLabel: "seconds into the measured phase", YLabel: "ms", YFromZero: true}
		for i, r := range c.Results {
			e, _ := r.HTTP.Endpoint(ep)
			var xy plotter.XYs
			for _, s := range e.Timeline {
				if s.Requests > s.Errors {
					xy = append(xy, plotter.XY{X: atSecond(s), Y: msOf(s.P95)})
				}
			}
			ch.Lines = append(ch.Lines, Series{labels[i], xy})
		}
		if len(c.Results) > 0 {
			ch.Thresholds = durationGates(c.Results[0].Gates, ep)
		}
		cs = append(cs, ch)
	}
	return cs
}

// comparisonThroughputCharts draws the throughput over time, and the
// errors over time when any target had one.
func comparisonThroughputCharts(c *result.Comparison, labels []string) []Chart {
	tp := Chart{Title: "Throughput over time", XLabel: "seconds into the measured phase", YLabel: "successful responses completed per second", YFromZero: true}
	ers := Chart{Title: "Errors over time", XLabel: "seconds into the measured phase", YLabel: "failed requests per second", YFromZero: true}
	anyErr := false
	for i, r := range c.Results {
		var a, b plotter.XYs
		for _, s := range r.HTTP.Total.Timeline {
			a = append(a, plotter.XY{X: atSecond(s), Y: float64(s.Requests - s.Errors)})
			b = append(b, plotter.XY{X: atSecond(s), Y: float64(s.Errors)})
			anyErr = anyErr || s.Errors > 0
		}
		tp.Lines = append(tp.Lines, Series{labels[i], a})
		ers.Lines = append(ers.Lines, Series{labels[i], b})
	}
	if anyErr {
		return []Chart{tp, ers}
	}
	return []Chart{tp}
}

// comparisonDeliveryChart draws the delivery per board, a group of bars
// per target; false when no target had boards.
func comparisonDeliveryChart(c *result.Comparison, labels []string) (Chart, bool) {
	maxBoards := 0
	for _, r := range c.Results {
		if r.WebSocket != nil {
			maxBoards = max(maxBoards, len(r.WebSocket.PerBoard))
		}
	}
	if maxBoards == 0 {
		return Chart{}, false
	}
	ch := Chart{Title: "Broadcast delivery per board", YLabel: "% of expected events received", YFromZero: true, YMax: 105}
	for b := range maxBoards {
		ch.BarLabels = append(ch.BarLabels, "board "+strconv.Itoa(b))
	}
	for i, r := range c.Results {
		xy := make(plotter.XYs, maxBoards)
		if r.WebSocket != nil {
			for j, b := range r.WebSocket.PerBoard {
				xy[j] = plotter.XY{X: float64(j), Y: 100 * b.Ratio}
			}
		}
		ch.Bars = append(ch.Bars, Series{labels[i], xy})
	}
	ch.Thresholds = []Threshold{{100, "every event"}}
	return ch, true
}
