// The truth: what the target saw, and what an open-model client would
// have measured against its schedule.

package main

import (
	"math"
	"sort"
	"time"
)

// serverLog is what fastserver -log writes.
type serverLog struct {
	Delay    time.Duration      `json:"delay_ns"`
	Freezes  [][2]time.Duration `json:"freezes_ns"`
	Requests [][2]time.Duration `json:"requests_ns"`
}

// served returns the latency of each request the server saw, arrival to
// completion.
func (l *serverLog) served() []time.Duration {
	d := make([]time.Duration, len(l.Requests))
	for i, r := range l.Requests {
		d[i] = r[1] - r[0]
	}
	return d
}

// openModel returns the truth for an open-model client: arrivals at a
// constant rate from the first one, for dur, each answered by the server's
// own schedule — one arriving during a freeze waits for its end and then
// takes the service time; one whose service time ends during a freeze
// completes at its end. The service time is the median the server measured
// (its 50 ms sleep overshoots a little), not the nominal delay.
func (l *serverLog) openModel(rate float64, dur time.Duration) []time.Duration {
	service := l.Delay
	if p := percentiles(l.served()); p != nil {
		service = p[0]
	}
	n := int(rate * dur.Seconds())
	out := make([]time.Duration, n)
	frozen := func(t time.Duration) (time.Duration, bool) {
		for _, f := range l.Freezes {
			if t >= f[0] && t < f[1] {
				return f[1], true
			}
		}
		return 0, false
	}
	for k := range n {
		a := time.Duration(float64(k) / rate * float64(time.Second))
		start := a
		if end, ok := frozen(a); ok {
			start = end
		}
		done := start + service
		if end, ok := frozen(done); ok {
			done = end
		}
		out[k] = done - a
	}
	return out
}

// percentiles returns p50, p95 and p99 (nearest rank).
func percentiles(d []time.Duration) []time.Duration {
	if len(d) == 0 {
		return nil
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q/100*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	return []time.Duration{at(50), at(95), at(99)}
}
