package schedule

import (
	"time"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// Stage is one piece of a load profile: a linear ramp from the previous
// rate to To over Over, or a hold of the previous rate for Hold.
type Stage struct {
	To   *unit.Rate // nil for a hold
	Over time.Duration
	Hold time.Duration
}

// Duration is the time the stage lasts.
func (s Stage) Duration() time.Duration {
	if s.To != nil {
		return s.Over
	}
	return s.Hold
}

// Fit returns stages that last exactly d. Stages past d are cut: a ramp
// cut midway ends at the rate it had reached by then. When the stages end
// before d, the last rate holds for the rest.
func Fit(stages []Stage, d time.Duration) []Stage {
	var (
		out     []Stage
		elapsed time.Duration
		prev    unit.Rate // the rate at the end of the previous stage
	)
	for _, st := range stages {
		if elapsed >= d {
			break
		}
		if left := d - elapsed; st.Duration() > left {
			if st.To != nil {
				to := interpolate(prev, *st.To, left, st.Over)
				st = Stage{To: &to, Over: left}
			} else {
				st = Stage{Hold: left}
			}
		}
		out = append(out, st)
		elapsed += st.Duration()
		if st.To != nil {
			prev = *st.To
		}
	}
	if elapsed < d {
		if n := len(out); n > 0 && out[n-1].To == nil {
			out[n-1].Hold += d - elapsed
		} else {
			out = append(out, Stage{Hold: d - elapsed})
		}
	}
	return out
}

// interpolate returns the rate a ramp from "from" to "to" over "over" has
// reached after "at", in the unit of "to".
func interpolate(from, to unit.Rate, at, over time.Duration) unit.Rate {
	if over <= 0 {
		return to
	}
	ps := rampRate(from.PerSecond(), to.PerSecond(), at, over)
	per := to.Per
	if per <= 0 {
		per = time.Second
	}
	return unit.Rate{Freq: ps * per.Seconds(), Per: per}
}

// rampRate returns the rate, per second, a linear ramp from r0 to r1 over
// "over" has reached after "at"; r1 when the ramp has no length.
func rampRate(r0, r1 float64, at, over time.Duration) float64 {
	if over <= 0 {
		return r1
	}
	return r0 + (r1-r0)*at.Seconds()/over.Seconds()
}

// Total is the summed length of stages.
func Total(stages []Stage) time.Duration {
	var d time.Duration
	for _, s := range stages {
		d += s.Duration()
	}
	return d
}

// Scale returns stages that last exactly d: stages written for longer are
// shortened in proportion (each stage's length times d over their total,
// to the millisecond, the last one taking the rounding), so every rate as
// written is still reached; shorter ones are fitted (the last rate held).
func Scale(stages []Stage, d time.Duration) []Stage {
	written := Total(stages)
	if written <= d || d <= 0 {
		return Fit(stages, d)
	}
	out := make([]Stage, len(stages))
	var sum time.Duration
	for i, st := range stages {
		n := (time.Duration(float64(st.Duration()) * float64(d) / float64(written))).Round(time.Millisecond)
		if i == len(stages)-1 {
			n = d - sum
		}
		sum += n
		if st.To != nil {
			out[i] = Stage{To: st.To, Over: n}
		} else {
			out[i] = Stage{Hold: n}
		}
	}
	return out
}

// PeakRate is the highest rate stages reach, 0/s without any.
func PeakRate(stages []Stage) unit.Rate {
	var peak unit.Rate
	for _, st := range stages {
		if st.To != nil && st.To.PerSecond() > peak.PerSecond() {
			peak = *st.To
		}
	}
	if peak.Per == 0 {
		peak.Per = time.Second
	}
	return peak
}
