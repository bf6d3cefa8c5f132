package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// SaturationSummary is the one-line answer: "capacity 34 req/s = 51× today's
// 40/min, limited by http.zeus-search.p95 2.31s fails … at 40 req/s".
func SaturationSummary(s *result.Saturation) string {
	var b strings.Builder
	switch s.Status {
	case result.Interrupted:
		b.WriteString("INTERRUPTED — partial search; ")
	case result.Aborted:
		b.WriteString(s.Reason + "; ")
	case result.Failed:
		b.WriteString("FAILED: " + s.Reason + "; ")
	}
	if s.Capacity <= 0 {
		if len(s.Steps) == 0 {
			b.WriteString("no step ran")
			return b.String()
		}
		low := s.Steps[0].Rate
		for _, st := range s.Steps {
			low = math.Min(low, st.Rate)
		}
		fmt.Fprintf(&b, "no capacity: gates fail even at %s req/s", unit.RoundRateNumber(low))
		if len(s.Limit) > 0 {
			b.WriteString(" (" + strings.Join(s.Limit, "; ") + ")")
		}
		return b.String()
	}
	eq := "="
	if s.AtLeast {
		eq = "≥"
		fmt.Fprintf(&b, "capacity ≥ %s req/s (the search's ceiling, %s: no gate failed)", unit.RoundRateNumber(s.Capacity), s.StoppedBy)
	} else {
		fmt.Fprintf(&b, "capacity %s req/s", unit.RoundRateNumber(s.Capacity))
	}
	if h := s.Headroom(); h > 0 {
		fmt.Fprintf(&b, " %s %s× today's %s", eq, headroomNumber(h), s.ProductionText)
		if h < 1 {
			b.WriteString(" — BELOW today's traffic")
		}
	}
	if len(s.Limit) > 0 {
		fmt.Fprintf(&b, ", limited by %s at %s req/s", strings.Join(s.Limit, "; "), unit.RoundRateNumber(s.LimitRate))
	}
	if !s.AtLeast && s.StoppedBy != "" {
		fmt.Fprintf(&b, " (%s ended the bisection before it narrowed to %s%%)", s.StoppedBy, strconv.FormatFloat(s.Precision, 'f', -1, 64))
	}
	return b.String()
}

func headroomNumber(h float64) string {
	if h >= 10 {
		return strconv.FormatFloat(h, 'f', 0, 64)
	}
	return strconv.FormatFloat(h, 'f', 1, 64)
}

// SaturationTables returns the steps table, in the order the steps ran.
func SaturationTables(s *result.Saturation) []table.Table {
	t := table.Table{
		Title:  "Capacity search: " + s.Target.Name,
		Header: []string{"step", "phase", "offered /s", "achieved /s", "p95 ms", "errors", "cpu sustained", "result", "failing gates"},
	}
	for i, st := range s.Steps {
		cpu := "—"
		if st.HasCPU {
			cpu = unit.FormatShare(st.CPUSustained)
		}
		res := "PASS"
		if !st.Pass {
			res = "FAIL"
		}
		if st.Status != result.Complete {
			res += " (" + string(st.Status) + ")"
		}
		p95 := ms(st.P95)
		switch {
		case st.NoSuccess:
			p95 = table.NoSuccess
		case st.P95Clipped:
			p95 = latencyCell(record.Percentiles{Ceiling: st.P95}, st.P95)
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), st.Phase, unit.RoundRateNumber(st.Rate), rate1(st.Achieved),
			p95, unit.FormatShare(st.Errors), cpu, res, strings.Join(st.Failed(), "; ")})
	}
	t.Notes = append(t.Notes, fmt.Sprintf("each step holds a constant rate for %s after the scenario's %s warm-up; the rate doubles until a gate fails, then bisects to within %.0f%%",
		s.Hold, s.Scenario.Warmup, s.Precision))
	for _, st := range s.Steps {
		if st.CPUWindow != "" {
			t.Notes = append(t.Notes, "warning: cpu sustained is not over a full window: "+st.CPUWindow+" in a step; a longer --step fills it")
			break
		}
	}
	t.Notes = append(t.Notes, "achieved: successful responses completed within the step, per second; p95 over all endpoints")
	t.Notes = append(t.Notes, metric.LatencyCovers)
	return []table.Table{t}
}

// saturationHeadline is the first line of a capacity search.
func saturationHeadline(s *result.Saturation) string {
	return fmt.Sprintf("loadcheck saturate: %s against %s — %s of %s", s.Scenario.Name, s.Target.Name, unit.Plural(len(s.Steps), "step", "steps"), s.Hold) + tlsHeadline(s.Target)
}
