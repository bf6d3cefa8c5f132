package scenario

import "time"

// fit returns stages that last exactly d. Stages past d are cut: a ramp
// cut midway ends at the rate it had reached by then. When the stages end
// before d, the last rate holds for the rest.
func fit(stages []Stage, d time.Duration) []Stage {
	var (
		out     []Stage
		elapsed time.Duration
		prev    Rate // the rate at the end of the previous stage
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
func interpolate(from, to Rate, at, over time.Duration) Rate {
	if over <= 0 {
		return to
	}
	ps := from.PerSecond() + (to.PerSecond()-from.PerSecond())*at.Seconds()/over.Seconds()
	per := to.Per
	if per <= 0 {
		per = time.Second
	}
	return Rate{Freq: ps * per.Seconds(), Per: per}
}

// total is the summed length of stages.
func total(stages []Stage) time.Duration {
	var d time.Duration
	for _, s := range stages {
		d += s.Duration()
	}
	return d
}

// WithDuration returns a copy of s whose measured phase lasts d, as the
// CLI's --duration flag asks. The stages as written are fitted to d again:
// cut when longer, the last rate held when shorter. s is not changed.
func (s *Scenario) WithDuration(d time.Duration) *Scenario {
	c := *s
	c.Duration = d
	c.HTTP.Stages = nil
	if c.httpProfile != nil {
		c.HTTP.Stages = fit(c.httpProfile, d)
	}
	if c.WebSocket != nil && c.broadcastProfile != nil {
		ws := *c.WebSocket
		ws.Broadcast.Stages = fit(c.broadcastProfile, d)
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
	c.httpProfile = []Stage{{To: &r}}
	c.HTTP.Stages = fit(c.httpProfile, c.Duration)
	return &c
}
