package scenario

import "time"

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
