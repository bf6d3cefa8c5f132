package verdict

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// Regressions is the rule a night is judged by against earlier nights.
// It compares tonight's entries with earlier nights in history
// (entries dated before tonight's, same scenario and target): p95 growing
// past th.P95Growth (and th.P95Floor), capacity dropping past
// th.CapacityDrop, websocket loss appearing where every baseline night had
// none. Each baseline is the median of the last th.Baseline nights.
func Regressions(history []result.HistoryEntry, tonight []result.HistoryEntry, th result.Thresholds) []result.Regression {
	d := result.DefaultThresholds()
	if th.P95Growth <= 0 {
		th.P95Growth = d.P95Growth
	}
	if th.CapacityDrop <= 0 {
		th.CapacityDrop = d.CapacityDrop
	}
	if th.Baseline <= 0 {
		th.Baseline = d.Baseline
	}
	var out []result.Regression
	for _, now := range tonight {
		before := baseline(history, now, th.Baseline)
		if len(before) == 0 {
			continue
		}
		out = append(out, p95Regressions(before, now, th)...)
		out = append(out, capacityRegressions(before, now, th)...)
		out = append(out, lossRegressions(before, now)...)
		out = append(out, perRequestRegressions(before, now)...)
	}
	return out
}

// baseline returns the complete earlier nights of now's scenario and
// target, the last n of them, in date order.
func baseline(history []result.HistoryEntry, now result.HistoryEntry, n int) []result.HistoryEntry {
	var before []result.HistoryEntry
	for _, e := range history {
		if e.Scenario == now.Scenario && e.Target == now.Target && e.Date < now.Date && e.Status == result.Complete {
			before = append(before, e)
		}
	}
	sort.SliceStable(before, func(i, j int) bool { return before[i].Date < before[j].Date })
	if len(before) > n {
		before = before[len(before)-n:]
	}
	return before
}

// p95Regressions flags each endpoint whose p95 grew past th against the
// median of before.
func p95Regressions(before []result.HistoryEntry, now result.HistoryEntry, th result.Thresholds) []result.Regression {
	var out []result.Regression
	for _, ep := range slices.Sorted(maps.Keys(now.P95)) {
		vals := earlier(before, func(e result.HistoryEntry) (float64, bool) {
			v, ok := e.P95[ep]
			return float64(v) / float64(time.Millisecond), ok
		})
		if len(vals) == 0 {
			continue
		}
		base := median(vals)
		cur := float64(now.P95[ep]) / float64(time.Millisecond)
		floor := float64(th.P95Floor) / float64(time.Millisecond)
		if base > 0 && cur > base*(1+th.P95Growth/100) && cur-base >= floor {
			name := metric.Instance(metric.EndpointP95, ep)
			if ep == "all" {
				name = metric.HTTPP95
			}
			out = append(out, result.Regression{Target: now.Target, Metric: name, Baseline: base, Now: cur, Nights: len(vals),
				Text: fmt.Sprintf("%s: %s %s ms → %s ms (+%.0f%%, more than +%.0f%% over the median of %s)",
					now.Target, name, unit.MillisNumber(base), unit.MillisNumber(cur), 100*(cur-base)/base, th.P95Growth, unit.Plural(len(vals), "earlier night", "earlier nights"))})
		}
	}
	return out
}

// capacityRegressions flags a capacity that dropped past th against the
// median of before.
func capacityRegressions(before []result.HistoryEntry, now result.HistoryEntry, th result.Thresholds) []result.Regression {
	if !(now.Capacity > 0) {
		return nil
	}
	vals := earlier(before, func(e result.HistoryEntry) (float64, bool) { return e.Capacity, e.Capacity > 0 })
	if len(vals) == 0 {
		return nil
	}
	base := median(vals)
	if !(now.Capacity < base*(1-th.CapacityDrop/100)) {
		return nil
	}
	return []result.Regression{{Target: now.Target, Metric: "capacity", Baseline: base, Now: now.Capacity, Nights: len(vals),
		Text: fmt.Sprintf("%s: capacity %s req/s → %s req/s (−%.0f%%, more than −%.0f%% against the median of %d earlier nights)",
			now.Target, unit.RoundRateNumber(base), unit.RoundRateNumber(now.Capacity), 100*(base-now.Capacity)/base, th.CapacityDrop, len(vals))}}
}

// lossRegressions flags broadcast loss where every earlier night that
// measured it lost nothing.
func lossRegressions(before []result.HistoryEntry, now result.HistoryEntry) []result.Regression {
	if now.WSLoss == nil || !(*now.WSLoss > 0) {
		return nil
	}
	clean, n := true, 0
	for _, e := range before {
		if e.WSLoss != nil {
			n++
			clean = clean && *e.WSLoss == 0
		}
	}
	if n == 0 || !clean {
		return nil
	}
	return []result.Regression{{Target: now.Target, Metric: metric.WSLoss, Baseline: 0, Now: *now.WSLoss, Nights: n,
		Text: fmt.Sprintf("%s: %s %s where the %d earlier nights lost no event", now.Target, metric.WSLoss, unit.FormatShare(*now.WSLoss), n)}}
}

// DownstreamGrowth is the growth of a downstream's calls per request, in
// percent over the median of earlier nights, that nightly flags.
const DownstreamGrowth = 20

// perRequestRegressions flags each downstream whose calls per request grew
// more than DownstreamGrowth percent over the median of before: the
// target now costs its database or upstream more per request.
func perRequestRegressions(before []result.HistoryEntry, now result.HistoryEntry) []result.Regression {
	var out []result.Regression
	for _, ds := range slices.Sorted(maps.Keys(now.PerRequest)) {
		vals := earlier(before, func(e result.HistoryEntry) (float64, bool) {
			v, ok := e.PerRequest[ds]
			return v, ok
		})
		if len(vals) == 0 {
			continue
		}
		base, cur := median(vals), now.PerRequest[ds]
		if !(base > 0 && cur > base*(1+DownstreamGrowth/100.0)) {
			continue
		}
		name := metric.Instance(metric.DownstreamPerRequest, ds)
		out = append(out, result.Regression{Target: now.Target, Metric: name, Baseline: base, Now: cur, Nights: len(vals),
			Text: fmt.Sprintf("%s: %s %.2f → %.2f calls per request (+%.0f%%, more than +%d%% over the median of %s)",
				now.Target, name, base, cur, 100*(cur-base)/base, DownstreamGrowth, unit.Plural(len(vals), "earlier night", "earlier nights"))})
	}
	return out
}

// earlier is the value of reads from each night of before that has one.
func earlier(before []result.HistoryEntry, of func(result.HistoryEntry) (float64, bool)) []float64 {
	var vals []float64
	for _, e := range before {
		if v, ok := of(e); ok {
			vals = append(vals, v)
		}
	}
	return vals
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
