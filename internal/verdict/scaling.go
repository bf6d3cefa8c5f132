package verdict

import (
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// Decision is what a run says about scaling.
type Decision int

// The decisions.
const (
	// NoDecision: the scenario has no gate on a metric the decision reads.
	NoDecision Decision = iota
	// Stay at one worker and tune it: every gate holds, on a complete run
	// at the load the scenario was written for.
	Stay
	// Scale: a gate on a metric the decision reads failed.
	Scale
	// Undecided: no such gate failed, but the run cannot say "stay": it
	// did not finish, its load peaked below the scenario's, or another
	// gate failed. Also when nothing was measured at all.
	Undecided
)

// Scaling is a run's scaling decision and what it rests on.
type Scaling struct {
	Decision Decision
	// Holds and Fails are the gates on the metrics the decision reads (the
	// catalogue's Scaling) that held and failed, with a measured value;
	// Others the other gates that failed.
	Holds, Fails, Others []gate.Outcome
	// NeverMeasured: the run stopped before its measured phase began.
	NeverMeasured bool
	// BelowPeak: the load peaked below the scenario's (BelowPeak).
	BelowPeak bool
	// CPUGated: a gate reads cpu.sustained, so a sustained window the run
	// did not fill qualifies the decision.
	CPUGated bool
}

// ScalingOf is the scaling rule: scale only past a gate on cpu.sustained
// or a p95 latency. It follows every gate and the run's status: a run that
// failed another gate, did not finish or ran below the scenario's load
// never reads Stay.
func ScalingOf(r *result.Result) Scaling {
	var s Scaling
	for _, o := range r.Gates {
		m, _ := metric.Find(o.Metric)
		switch {
		case m.Scaling && o.Observed != nil && o.Pass:
			s.Holds = append(s.Holds, o)
		case m.Scaling && o.Observed != nil:
			s.Fails = append(s.Fails, o)
		case !o.Pass:
			s.Others = append(s.Others, o)
		}
		s.CPUGated = s.CPUGated || o.Metric == metric.CPUSustained
	}
	s.NeverMeasured = r.Status != result.Complete && r.Elapsed == 0
	s.BelowPeak = BelowPeak(r.Scenario)
	switch {
	case len(s.Holds) == 0 && len(s.Fails) == 0:
		s.Decision = NoDecision
	case s.NeverMeasured:
		s.Decision = Undecided
	case len(s.Fails) > 0:
		s.Decision = Scale
	case r.Status != result.Complete || s.BelowPeak || len(s.Others) > 0:
		s.Decision = Undecided
	default:
		s.Decision = Stay
	}
	return s
}

// BelowPeak reports whether a run's load peaked below the scenario's as
// written (--rate or --duration changed it): such a run judges the target
// at a load nobody asked about, so it decides nothing and is recommended
// for nothing.
func BelowPeak(s result.ScenarioInfo) bool {
	return s.WrittenPeakRate > 0 && s.PeakRate < s.WrittenPeakRate*0.999
}
