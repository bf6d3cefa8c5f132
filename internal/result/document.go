package result

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/resource"
)

// Comparison is the same scenario run against several targets, in the
// order they ran; the first is the baseline the deltas are taken against.
// It is the document loadcheck compare prints and `loadcheck report A.json
// B.json` re-renders.
type Comparison struct {
	Schema int    `json:"schema"`
	Kind   string `json:"kind"` // always "compare"
	// Results holds one result per target; a run cut short is kept with its
	// status.
	Results []*Result `json:"results"`
	// Pass is true when every result passed every gate.
	Pass bool `json:"pass"`
}

// KindComparison is Comparison.Kind.
const KindComparison = "compare"

// NewComparison returns the comparison of rs, the first being the baseline.
func NewComparison(rs []*Result) *Comparison {
	c := &Comparison{Schema: Schema, Kind: KindComparison, Results: rs, Pass: len(rs) > 0}
	for _, r := range rs {
		c.Pass = c.Pass && r.Pass
	}
	return c
}

// Document is anything loadcheck reports: a *Result (one run), a
// *Comparison, a *Saturation or a *Nightly. The kinds are closed: only
// these four have the unexported method.
type Document interface{ document() }

func (*Comparison) document() {}

func (*Saturation) document() {}

func (*Nightly) document() {}

// ReadDocument reads any document loadcheck writes as JSON: a run's result
// (no "kind"), a comparison, a capacity search or a nightly report.
func ReadDocument(path string) (Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema int    `json:"schema"`
		Kind   string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%s:%s", path, jsonError(b, err))
	}
	if !bytes.Contains(b, []byte(`"schema"`)) {
		return nil, fmt.Errorf("%s:1:1: no schema field: not a file loadcheck wrote — report reads the result JSON run, compare, saturate and nightly write (reports/runs/<run-id>.json)", path)
	}
	if head.Schema < 1 || head.Schema > Schema {
		return nil, fmt.Errorf("%s:%s: schema %d: this loadcheck reads schema 1 to %d — render it with the loadcheck that wrote it", path, fieldAt(b, "schema"), head.Schema, Schema)
	}
	if required[head.Kind] != nil {
		if err := checkShape(b, head.Kind); err != nil {
			return nil, fmt.Errorf("%s:%v", path, err)
		}
	}
	var doc Document
	switch head.Kind {
	case "":
		doc = &Result{}
	case KindComparison:
		doc = &Comparison{}
	case KindSaturation:
		doc = &Saturation{}
	case KindNightly:
		doc = &Nightly{}
	default:
		return nil, fmt.Errorf("%s:%s: unknown kind %q: want a result, %q, %q or %q — use a file loadcheck wrote", path, fieldAt(b, "kind"), head.Kind, KindComparison, KindSaturation, KindNightly)
	}
	if err := json.Unmarshal(b, doc); err != nil {
		return nil, fmt.Errorf("%s:%s", path, jsonError(b, err))
	}
	return doc, nil
}

// KindNightly is Nightly.Kind.
const KindNightly = "nightly"

// TrendNights is how many nights the nightly report's trend shows.
const TrendNights = 30

// Nightly is one night's report: the comparison of the targets, their
// capacity searches when asked for, the regressions against earlier
// nights, and the trend.
type Nightly struct {
	Schema      int           `json:"schema"`
	Kind        string        `json:"kind"` // always "nightly"
	Date        string        `json:"date"`
	Comparison  *Comparison   `json:"comparison"`
	Saturations []*Saturation `json:"saturations,omitempty"`
	Regressions []Regression  `json:"regressions"`
	Thresholds  Thresholds    `json:"thresholds"`
	// Trend holds the history lines of the last TrendNights nights,
	// tonight's included.
	Trend []HistoryEntry `json:"trend"`
	// Pass is true when every gate held, every capacity search passed and
	// nothing regressed.
	Pass bool `json:"pass"`
}

// Saturation returns the night's capacity search of the target named
// target, nil when none ran.
func (n *Nightly) Saturation(target string) *Saturation {
	var found *Saturation
	for _, s := range n.Saturations {
		if s.Target.Name == target {
			found = s
		}
	}
	return found
}

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
	if v, ok := r.Metric(metric.CPUSustained); ok {
		s.CPUSustained, s.HasCPU = v.V, true
		s.CPUWindow = CPUWindowNote(r.Resources)
	}
	return s
}

// Failed lists the step's failing gates as "metric value fails gate".
func (s Step) Failed() []string {
	var out []string
	for _, o := range s.Gates {
		if !o.Pass {
			out = append(out, Describe(o))
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

// CPUWindowNote says, when the CPU figures span less than the sustained
// window, over how long cpu.sustained really is: "cpu.sustained over 5 s
// only (window 30 s)"; "" when the window filled.
func CPUWindowNote(s *resource.Summary) string {
	if s == nil || s.WindowFilled() {
		return ""
	}
	secs := func(d time.Duration) string {
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
	}
	return fmt.Sprintf("cpu.sustained over %s only (window %s)", secs(s.Span), secs(s.SustainedWindow))
}

// Describe is a failed outcome in words, as reports and Saturation.Limit
// give it: "ws.loss 49.7% fails ws.loss == 0%", or the metric, the reason
// and the gate when there is no value.
func Describe(o gate.Outcome) string {
	if o.Observed == nil {
		return o.Metric + " " + o.Reason + " (" + o.Gate + ")"
	}
	return fmt.Sprintf("%s %s fails %s", o.Metric, o.Observed, o.Gate)
}
