package scenario

import (
	"fmt"
	"time"

	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/unit"
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
		c.HTTP.Stages = schedule.Scale(c.httpProfile, d)
		c.durationNote = fitNote(c.httpProfile, d)
	}
	if c.WebSocket != nil && c.broadcastProfile != nil {
		ws := *c.WebSocket
		ws.Broadcast.Stages = schedule.Scale(c.broadcastProfile, d)
		c.WebSocket = &ws
	}
	return &c
}

// WithRate returns a copy of s whose HTTP load is the constant rate r for
// the whole Duration, as the CLI's --rate flag asks: Stages becomes a ramp
// of zero length to r followed by a hold. Broadcasts are not changed. s is
// not changed.
func (s *Scenario) WithRate(r unit.Rate) *Scenario {
	c := *s
	c.rateNote = fmt.Sprintf("a constant %s replaces the stages as written (peak %s)", r, c.WrittenPeak())
	c.durationNote = ""
	c.httpProfile = []schedule.Stage{{To: &r}}
	c.HTTP.Stages = schedule.Fit(c.httpProfile, c.Duration)
	return &c
}

// fitNote says how stages written for another length were made to last
// d, or "" when they last d as written.
func fitNote(stages []schedule.Stage, d time.Duration) string {
	written := schedule.Total(stages)
	switch {
	case written == 0 || written == d:
		return ""
	case written > d:
		return fmt.Sprintf("stages written for %s scaled to the %s phase (each stage %.2g× as long, same rates)", written, d, float64(d)/float64(written))
	}
	return fmt.Sprintf("stages written for %s; the last rate holds for the rest of the %s phase", written, d)
}

// WrittenPeak is the highest HTTP rate of the stages as written in the
// file, before --duration or --rate changed them: the load the scenario
// is meant to judge the target at.
func (s *Scenario) WrittenPeak() unit.Rate { return schedule.PeakRate(s.writtenHTTP) }

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

// Schedule returns the broadcasts' schedule over the measured phase d:
// along Stages, or at Rate throughout when there are none.
func (b Broadcast) Schedule(d time.Duration) schedule.Schedule {
	stages := b.Stages
	if len(stages) == 0 {
		r := b.Rate
		stages = []schedule.Stage{{To: &r}}
	}
	return schedule.New(0, stages, d)
}
