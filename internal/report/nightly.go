package report

import (
	"fmt"
	"strings"

	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// nightlyVerdict is the nightly report's last line.
func nightlyVerdict(n *result.Nightly) string {
	var parts []string
	if n.Comparison != nil && !n.Comparison.Pass {
		parts = append(parts, "a gate failed")
	}
	for _, s := range n.Saturations {
		if !s.Pass {
			parts = append(parts, "capacity of "+s.Target.Name+" below today's traffic or not found")
		}
	}
	if len(n.Regressions) > 0 {
		parts = append(parts, unit.Plural(len(n.Regressions), "regression", "regressions")+" against earlier nights")
	}
	if len(parts) == 0 {
		if nightlyFirstNight(n) {
			return fmt.Sprintf("nightly %s: PASS — every gate holds; the first night, so no baseline to compare with yet", n.Date)
		}
		return fmt.Sprintf("nightly %s: PASS — every gate holds, nothing regressed", n.Date)
	}
	return fmt.Sprintf("nightly %s: FAIL — %s", n.Date, strings.Join(parts, "; "))
}

// trendTable lists the trend: a row per night, a column per target, the
// p95 of all endpoints, and the capacity when searched.
func trendTable(n *result.Nightly) table.Table {
	ix := result.IndexTrend(n.Trend)
	dates, targets := ix.Dates, ix.Targets
	t := table.Table{Title: fmt.Sprintf("Trend (last %d nights)", result.TrendNights), Header: []string{"night"}}
	for _, tg := range targets {
		t.Header = append(t.Header, tg+" p95 ms", tg+" capacity /s", tg+" gates")
	}
	for _, d := range dates {
		row := []string{d}
		for _, tg := range targets {
			e, ok := ix.Entry(d, tg)
			if !ok {
				row = append(row, "—", "—", "—")
				continue
			}
			p95 := "—"
			if v, ok := e.P95["all"]; ok {
				p95 = ms(v)
			}
			capacity := "—"
			if e.Capacity > 0 {
				capacity = unit.RoundRateNumber(e.Capacity)
			}
			g := "PASS"
			if !e.Pass {
				g = "FAIL"
				if len(e.Failed) > 0 {
					g += " " + strings.Join(e.Failed, ", ")
				}
			}
			row = append(row, p95, capacity, g)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// nightlyHeadline is the first line of the nightly report.
func nightlyHeadline(n *result.Nightly) string {
	name := ""
	var targets []result.TargetInfo
	if n.Comparison != nil && len(n.Comparison.Results) > 0 {
		name = n.Comparison.Results[0].Scenario.Name
		for _, r := range n.Comparison.Results {
			targets = append(targets, r.Target)
		}
	}
	return fmt.Sprintf("loadcheck nightly %s: %s", n.Date, name) + tlsHeadline(targets...)
}

// nightlyBaselineNights is the number of earlier nights in the trend.
func nightlyBaselineNights(n *result.Nightly) int {
	seen := map[string]bool{}
	for _, e := range n.Trend {
		if e.Date != n.Date {
			seen[e.Date] = true
		}
	}
	return len(seen)
}

// nightlyFirstNight reports whether the trend holds no night before this one:
// then there is nothing to regress against.
func nightlyFirstNight(n *result.Nightly) bool { return nightlyBaselineNights(n) == 0 }

func nightlyRegressionLines(n *result.Nightly) []string {
	switch {
	case len(n.Regressions) > 0:
	case nightlyFirstNight(n):
		return []string{"first night: no earlier night to compare with; tonight's figures start the baseline"}
	default:
		return []string{"no regression against " + unit.Plural(nightlyBaselineNights(n), "earlier night", "earlier nights")}
	}
	var out []string
	for _, r := range n.Regressions {
		out = append(out, "REGRESSION "+r.Text)
	}
	return out
}
