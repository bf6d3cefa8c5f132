package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// MergeHistory returns history with entries added: an entry replaces an
// earlier one of the same date, scenario and target (a night run again),
// and the entries are in date order. history is not changed.
func MergeHistory(history, entries []HistoryEntry) []HistoryEntry {
	key := func(e HistoryEntry) string { return e.Date + "\x00" + e.Scenario + "\x00" + e.Target }
	replaced := map[string]bool{}
	for _, e := range entries {
		replaced[key(e)] = true
	}
	var all []HistoryEntry
	for _, e := range history {
		if !replaced[key(e)] {
			all = append(all, e)
		}
	}
	all = append(all, entries...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Date < all[j].Date })
	return all
}

// Thresholds say when a night's figures count as a regression against
// earlier nights.
type Thresholds struct {
	// P95Growth is the growth of any endpoint's p95, in percent, that is
	// flagged (default 20).
	P95Growth float64
	// P95Floor is the smallest absolute p95 growth flagged: a 2 ms page
	// taking 3 ms is noise, not a regression (default 10ms).
	P95Floor time.Duration
	// CapacityDrop is the drop of capacity, in percent, that is flagged
	// (default 15).
	CapacityDrop float64
	// Baseline is how many earlier nights (the most recent) the median
	// baseline is taken over (default 7).
	Baseline int
}

// DefaultThresholds returns the thresholds loadcheck nightly uses unless
// told otherwise.
func DefaultThresholds() Thresholds {
	return Thresholds{P95Growth: 20, P95Floor: 10 * time.Millisecond, CapacityDrop: 15, Baseline: 7}
}

// Regression is one figure of one target that got worse than earlier
// nights allow.
type Regression struct {
	Target string `json:"target"`
	// Metric is a gate-style name: "http.<endpoint>.p95", "capacity" or
	// "ws.loss".
	Metric string `json:"metric"`
	// Baseline is the median over the earlier nights, Now tonight's, in
	// the metric's unit (ms, req/s, %).
	Baseline float64 `json:"baseline"`
	Now      float64 `json:"now"`
	Nights   int     `json:"nights"` // earlier nights in the baseline
	Text     string  `json:"text"`
}

// Regressions compares tonight's entries with earlier nights in history
// (entries dated before tonight's, same scenario and target): p95 growing
// past th.P95Growth (and th.P95Floor), capacity dropping past
// th.CapacityDrop, websocket loss appearing where every baseline night had
// none. Each baseline is the median of the last th.Baseline nights.
func Regressions(history []HistoryEntry, tonight []HistoryEntry, th Thresholds) []Regression {
	d := DefaultThresholds()
	if th.P95Growth <= 0 {
		th.P95Growth = d.P95Growth
	}
	if th.CapacityDrop <= 0 {
		th.CapacityDrop = d.CapacityDrop
	}
	if th.Baseline <= 0 {
		th.Baseline = d.Baseline
	}
	var out []Regression
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
func baseline(history []HistoryEntry, now HistoryEntry, n int) []HistoryEntry {
	var before []HistoryEntry
	for _, e := range history {
		if e.Scenario == now.Scenario && e.Target == now.Target && e.Date < now.Date && e.Status == Complete {
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
func p95Regressions(before []HistoryEntry, now HistoryEntry, th Thresholds) []Regression {
	eps := make([]string, 0, len(now.P95))
	for ep := range now.P95 {
		eps = append(eps, ep)
	}
	sort.Strings(eps)
	var out []Regression
	for _, ep := range eps {
		var vals []float64
		for _, e := range before {
			if v, ok := e.P95[ep]; ok {
				vals = append(vals, float64(v)/float64(time.Millisecond))
			}
		}
		if len(vals) == 0 {
			continue
		}
		base := median(vals)
		cur := float64(now.P95[ep]) / float64(time.Millisecond)
		floor := float64(th.P95Floor) / float64(time.Millisecond)
		if base > 0 && cur > base*(1+th.P95Growth/100) && cur-base >= floor {
			metric := "http." + ep + ".p95"
			if ep == "all" {
				metric = "http.p95"
			}
			out = append(out, Regression{Target: now.Target, Metric: metric, Baseline: base, Now: cur, Nights: len(vals),
				Text: fmt.Sprintf("%s: %s %s ms → %s ms (+%.0f%%, more than +%.0f%% over the median of %s)",
					now.Target, metric, msFloat(base), msFloat(cur), 100*(cur-base)/base, th.P95Growth, unit.Plural(len(vals), "earlier night", "earlier nights"))})
		}
	}
	return out
}

// capacityRegressions flags a capacity that dropped past th against the
// median of before.
func capacityRegressions(before []HistoryEntry, now HistoryEntry, th Thresholds) []Regression {
	if !(now.Capacity > 0) {
		return nil
	}
	var vals []float64
	for _, e := range before {
		if e.Capacity > 0 {
			vals = append(vals, e.Capacity)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	base := median(vals)
	if !(now.Capacity < base*(1-th.CapacityDrop/100)) {
		return nil
	}
	return []Regression{{Target: now.Target, Metric: "capacity", Baseline: base, Now: now.Capacity, Nights: len(vals),
		Text: fmt.Sprintf("%s: capacity %s req/s → %s req/s (−%.0f%%, more than −%.0f%% against the median of %d earlier nights)",
			now.Target, unit.RoundRateNumber(base), unit.RoundRateNumber(now.Capacity), 100*(base-now.Capacity)/base, th.CapacityDrop, len(vals))}}
}

// lossRegressions flags broadcast loss where every earlier night that
// measured it lost nothing.
func lossRegressions(before []HistoryEntry, now HistoryEntry) []Regression {
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
	return []Regression{{Target: now.Target, Metric: "ws.loss", Baseline: 0, Now: *now.WSLoss, Nights: n,
		Text: fmt.Sprintf("%s: ws.loss %s where the %d earlier nights lost no event", now.Target, pctString(*now.WSLoss), n)}}
}

func msFloat(f float64) string { return ms(record.DurationMs(f * float64(time.Millisecond))) }

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Trend returns the entries of scenario over the last nights nights
// (distinct dates, the latest included), in date order.
func Trend(history []HistoryEntry, scenario string, nights int) []HistoryEntry {
	var dates []string
	seen := map[string]bool{}
	var mine []HistoryEntry
	for _, e := range history {
		if e.Scenario != scenario {
			continue
		}
		mine = append(mine, e)
		if !seen[e.Date] {
			seen[e.Date] = true
			dates = append(dates, e.Date)
		}
	}
	sort.Strings(dates)
	if len(dates) > nights {
		dates = dates[len(dates)-nights:]
	}
	if len(dates) == 0 {
		return nil
	}
	first := dates[0]
	var out []HistoryEntry
	for _, e := range mine {
		if e.Date >= first {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}
