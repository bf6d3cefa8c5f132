package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// KindSaturation is Saturation.Kind.
const KindSaturation = "saturate"

// Saturation is the outcome of a capacity search (loadcheck saturate): the
// steps it ran and the highest arrival rate at which every gate held.
type Saturation struct {
	Schema int    `json:"schema"`
	Kind   string `json:"kind"` // always "saturate"
	ID     string `json:"id"`
	// Scenario and Target are those of the steps' runs.
	Scenario ScenarioInfo `json:"scenario"`
	Target   TargetInfo   `json:"target"`
	Start    time.Time    `json:"start"`
	// Hold is how long each step measured; Precision the relative width,
	// in percent, at which bisection stopped.
	Hold      time.Duration `json:"hold_ns"`
	Precision float64       `json:"precision_pct"`
	Gates     []string      `json:"gates"`
	Steps     []Step        `json:"steps"`
	// Capacity is the highest offered rate, in requests per second, at
	// which every gate held; 0 when no step passed.
	Capacity float64 `json:"capacity_per_s"`
	// Limit lists the gates that failed at the lowest failing rate above
	// Capacity, as "ws.loss 49.7% fails ws.loss == 0%"; empty when no step
	// failed (the search reached its ceiling).
	Limit []string `json:"limit,omitempty"`
	// LimitRate is that lowest failing rate; 0 when none failed.
	LimitRate float64 `json:"limit_rate_per_s,omitempty"`
	// Production is today's real traffic from the scenario, in requests
	// per second, and as written ("40/min"); 0 and "" when unknown.
	Production     float64 `json:"production_rate_per_s,omitempty"`
	ProductionText string  `json:"production,omitempty"`
	// AtLeast is set when no gate failed up to the search's own ceiling
	// (StoppedBy): the capacity is only known to be at least Capacity.
	// StoppedBy names the bound that ended the search ("--max 8/s",
	// "--max-steps 25"), also when --max-steps cut the bisection short of
	// Precision; "" when the search ended on the gates.
	AtLeast   bool   `json:"at_least,omitempty"`
	StoppedBy string `json:"stopped_by,omitempty"`
	// Status is Complete when the search ended by itself; Aborted when an
	// abort condition fired at some rate (no higher rate was tried, the
	// search still bisected below it; Reason says where); Interrupted when
	// it was cancelled; Failed when a step could not run.
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Pass is true when a capacity was found and it is at least the
	// production rate (when that is known).
	Pass bool `json:"pass"`
}

// Step is one constant-rate run of a capacity search.
type Step struct {
	RunID string `json:"run_id"`
	// Phase is "ramp" (rate multiplied until a gate fails), "back-off"
	// (divided until one passes) or "bisect".
	Phase string `json:"phase"`
	// Rate is the offered arrival rate; Sent the requests sent; Achieved
	// the successful responses completed within the measured phase; all
	// per second. At capacity Achieved flattens while Rate climbs.
	Rate     float64 `json:"rate_per_s"`
	Sent     float64 `json:"sent_per_s,omitempty"`
	Achieved float64 `json:"achieved_per_s"`
	// P95 is the p95 latency of successful responses over all endpoints
	// (P95Clipped: a lower bound, clipped at the histogram's ceiling);
	// Errors the share of failed requests in percent.
	P95        record.DurationMs `json:"p95_ms"`
	P95Clipped bool              `json:"p95_clipped,omitempty"`
	// NoSuccess is set when no request of the step succeeded: P95 is
	// then no measurement.
	NoSuccess bool    `json:"no_success,omitempty"`
	Errors    float64 `json:"errors_pct"`
	// CPUSustained is the busiest process's sustained CPU in % of one
	// core; HasCPU says whether it was measured.
	CPUSustained float64 `json:"cpu_sustained_pct"`
	HasCPU       bool    `json:"has_cpu"`
	// CPUWindow says when the step was shorter than the sustained window:
	// "cpu.sustained over 5 s only (window 30 s)"; "" when it filled.
	CPUWindow string `json:"cpu_window,omitempty"`
	// FellBehind says why a step failed although its gates held: its
	// achieved rate fell short of the offered rate by more than a capacity
	// search allows ("achieved 103.6/s of 120/s offered: the target fell
	// behind"); "" when it kept up.
	FellBehind string         `json:"fell_behind,omitempty"`
	Pass       bool           `json:"pass"`
	Status     Status         `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	Gates      []gate.Outcome `json:"gates"`
}

// StepOf summarises one run of a capacity search.
func StepOf(phase string, rate float64, r *Result) Step {
	s := Step{
		RunID: r.RunID, Phase: phase, Rate: rate,
		Achieved: r.HTTP.Total.Achieved, Sent: r.HTTP.Total.Rate,
		P95: r.HTTP.Total.Latency.P95, P95Clipped: r.HTTP.Total.Latency.Clipped(r.HTTP.Total.Latency.P95),
		NoSuccess: r.HTTP.Total.Requests > 0 && r.HTTP.Total.Successes() == 0,
		Errors:    r.HTTP.Total.ErrorRate(),
		Pass:      r.Pass, Status: r.Status, Reason: r.Reason, Gates: r.Gates,
	}
	if v, ok := r.Metric("cpu.sustained"); ok {
		s.CPUSustained, s.HasCPU = v.V, true
		s.CPUWindow = windowNote(r.Resources)
	}
	return s
}

// Failed lists the step's failing gates as "metric value fails gate".
func (s Step) Failed() []string {
	var out []string
	for _, o := range s.Gates {
		if !o.Pass {
			out = append(out, describe(o))
		}
	}
	if s.FellBehind != "" {
		out = append(out, s.FellBehind)
	}
	if len(out) == 0 && !s.Pass && s.Reason != "" {
		out = append(out, s.Reason)
	}
	return out
}

// Headroom returns Capacity divided by the production rate; 0 when either
// is unknown.
func (s *Saturation) Headroom() float64 {
	if s.Production <= 0 || s.Capacity <= 0 {
		return 0
	}
	return s.Capacity / s.Production
}

// SaturationSummary is the one-line answer: "capacity 34 req/s = 51× today's
// 40/min, limited by http.zeus-search.p95 2.31s fails … at 40 req/s".
func SaturationSummary(s *Saturation) string {
	var b strings.Builder
	switch s.Status {
	case Interrupted:
		b.WriteString("INTERRUPTED — partial search; ")
	case Aborted:
		b.WriteString(s.Reason + "; ")
	case Failed:
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
func SaturationTables(s *Saturation) []Table {
	t := Table{
		Title:  "Capacity search: " + s.Target.Name,
		Header: []string{"step", "phase", "offered /s", "achieved /s", "p95 ms", "errors", "cpu sustained", "result", "failing gates"},
	}
	for i, st := range s.Steps {
		cpu := "—"
		if st.HasCPU {
			cpu = pctString(st.CPUSustained)
		}
		res := "PASS"
		if !st.Pass {
			res = "FAIL"
		}
		if st.Status != Complete {
			res += " (" + string(st.Status) + ")"
		}
		p95 := ms(st.P95)
		switch {
		case st.NoSuccess:
			p95 = noSuccess
		case st.P95Clipped:
			p95 = latencyCell(record.Percentiles{Ceiling: st.P95}, st.P95)
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), st.Phase, unit.RoundRateNumber(st.Rate), rate1(st.Achieved),
			p95, pctString(st.Errors), cpu, res, strings.Join(st.Failed(), "; ")})
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
	return []Table{t}
}

// saturationHeadline is the first line of a capacity search.
func saturationHeadline(s *Saturation) string {
	return fmt.Sprintf("loadcheck saturate: %s against %s — %s of %s", s.Scenario.Name, s.Target.Name, unit.Plural(len(s.Steps), "step", "steps"), s.Hold) + tlsHeadline(s.Target)
}
