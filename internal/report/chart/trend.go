package chart

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// Trend draws the last nights: p95 of every endpoint, capacity and
// websocket loss, a line per target.
func Trend(n *result.Nightly) []Chart {
	ix := result.IndexTrend(n.Trend)
	dates, targets := slices.Clone(ix.Dates), ix.Targets
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
	line := func(title, y string, value func(result.HistoryEntry) (float64, bool)) Chart {
		c := Chart{Title: title, XLabel: "night", YLabel: y, NominalX: labels, YFromZero: true, Points: true}
		for _, tg := range targets {
			var xy plotter.XYs
			for i, d := range dates {
				if e, ok := ix.Entry(d, tg); ok {
					if v, ok := value(e); ok {
						xy = append(xy, plotter.XY{X: float64(i), Y: v})
					}
				}
			}
			c.Lines = append(c.Lines, Series{tg, xy})
		}
		return c
	}
	var cs []Chart
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
			c.Thresholds = durationGates(n.Comparison.Results[0].Gates, ep)
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
