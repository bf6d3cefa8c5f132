package scenario

import (
	"fmt"
	"strconv"
	"time"

	"github.com/loadcheck/loadcheck/internal/schedule"
)

// emptySchedules says, for each load of s (the HTTP load, the broadcasts)
// whose schedule holds less than one arrival in the measured phase, where
// it is and what to change: a rate such as 5/h over a 5 s phase schedules
// 0.007 requests, and a run of it would measure nothing while saying it
// measured 5 s. Each entry is the YAML path and the message.
func (s *Scenario) emptySchedules() [][2]string {
	if s.Duration <= 0 {
		return nil
	}
	var out [][2]string
	if len(s.HTTP.Endpoints) > 0 && len(s.HTTP.Stages) > 0 {
		if n := schedule.New(0, s.HTTP.Stages, s.Duration).Hits(s.Duration); n < 1 {
			out = append(out, [2]string{"http.load", nothingSent(n, "requests", s.Duration)})
		}
	}
	if ws := s.WebSocket; ws != nil && ws.Broadcast.Path != "" {
		if n := ws.Broadcast.Schedule(s.Duration).Hits(s.Duration); n < 1 {
			out = append(out, [2]string{"websocket.broadcast", nothingSent(n, "broadcasts", s.Duration)})
		}
	}
	return out
}

// nothingSent is the message for a schedule of n (< 1) arrivals of what
// over a phase of d: the problem and the least rate that sends one.
func nothingSent(n float64, what string, d time.Duration) string {
	return fmt.Sprintf("schedules %s %s in the %s measured phase, so it would send none: raise the rate so the phase holds one or more (a constant rate needs at least %s, one per %s), or lengthen duration",
		strconv.FormatFloat(n, 'g', 2, 64), what, d, leastRate(d), d)
}

// leastRate is the lowest rate, written in a unit that reads well, that
// schedules one arrival in d: "0.2/s", "6/min".
func leastRate(d time.Duration) string {
	perSecond := 1 / d.Seconds()
	if perSecond >= 0.1 {
		return strconv.FormatFloat(perSecond, 'g', 3, 64) + "/s"
	}
	if perMinute := perSecond * 60; perMinute >= 0.1 {
		return strconv.FormatFloat(perMinute, 'g', 3, 64) + "/min"
	}
	return strconv.FormatFloat(perSecond*3600, 'g', 3, 64) + "/h"
}

// CheckSends returns an error when a load of s — as the command line left
// it (--duration, --rate) — schedules nothing in the measured phase. The
// file's own load is checked by Load; this is for the flags, named in
// flags ("--duration 5s").
func (s *Scenario) CheckSends(flags string) error {
	if e := s.emptySchedules(); len(e) > 0 {
		return fmt.Errorf("%s: %s: %s", flags, e[0][0], e[0][1])
	}
	return nil
}
