package scenario

import (
	"fmt"
	"time"
)

// WithDuration returns a copy of s whose measured phase lasts d, as the
// CLI's --duration flag asks. Stages written for longer than d are scaled
// to fit — every stage keeps its rates and its share of the time — so the
// run still reaches the scenario's peak rate; stages written for less
// than d hold their last rate for the rest. LoadChange says which
// happened. s is not changed.
func (s *Scenario) WithDuration(d time.Duration) *Scenario {
	c := *s
	c.Duration = d
	c.HTTP.Stages = nil
	c.durationNote = ""
	if c.httpProfile != nil {
		c.HTTP.Stages = scale(c.httpProfile, d)
		c.durationNote = fitNote(c.httpProfile, d)
	}
	if c.WebSocket != nil && c.broadcastProfile != nil {
		ws := *c.WebSocket
		ws.Broadcast.Stages = scale(c.broadcastProfile, d)
		c.WebSocket = &ws
	}
	return &c
}

// WithRate returns a copy of s whose HTTP load is the constant rate r for
// the whole Duration, as the CLI's --rate flag asks: Stages becomes a ramp
// of zero length to r followed by a hold. Broadcasts are not changed. s is
// not changed.
func (s *Scenario) WithRate(r Rate) *Scenario {
	c := *s
	c.rateNote = fmt.Sprintf("a constant %s replaces the stages as written (peak %s)", r, c.WrittenPeak())
	c.durationNote = ""
	c.httpProfile = []Stage{{To: &r}}
	c.HTTP.Stages = fit(c.httpProfile, c.Duration)
	return &c
}

// scale returns stages that last exactly d: stages written for longer are
// shortened in proportion (each stage's length times d over their total,
// to the millisecond, the last one taking the rounding), so every rate as
// written is still reached; shorter ones are fitted (the last rate held).
func scale(stages []Stage, d time.Duration) []Stage {
	written := total(stages)
	if written <= d || d <= 0 {
		return fit(stages, d)
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

// fitNote says how stages written for another length were made to last
// d, or "" when they last d as written.
func fitNote(stages []Stage, d time.Duration) string {
	written := total(stages)
	switch {
	case written == 0 || written == d:
		return ""
	case written > d:
		return fmt.Sprintf("stages written for %s scaled to the %s phase (each stage %.2g× as long, same rates)", written, d, float64(d)/float64(written))
	}
	return fmt.Sprintf("stages written for %s; the last rate holds for the rest of the %s phase", written, d)
}

// PeakRate is the highest rate stages reach, 0/s without any.
func PeakRate(stages []Stage) Rate {
	var peak Rate
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

// WrittenPeak is the highest HTTP rate of the stages as written in the
// file, before --duration or --rate changed them: the load the scenario
// is meant to judge the target at.
func (s *Scenario) WrittenPeak() Rate { return PeakRate(s.writtenHTTP) }

// LoadChange says how --duration or --rate changed the load as written,
// "" when they did not: every report states it beside the load applied.
func (s *Scenario) LoadChange() string {
	switch {
	case s.rateNote != "" && s.durationNote != "":
		return s.rateNote + "; " + s.durationNote
	case s.rateNote != "":
		return s.rateNote
	}
	return s.durationNote
}
