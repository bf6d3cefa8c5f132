package probe

import (
	"math"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// schedule is the broadcaster's arrival schedule: when each event is meant
// to be sent, counted from the start of the measured phase. It is an open
// model: the times do not depend on how fast the target answers.
type schedule struct {
	segs []segment
	end  time.Duration
}

// segment is a stretch of the schedule whose rate changes linearly from
// r0 to r1 events per second.
type segment struct {
	start, dur time.Duration
	r0, r1     float64
	n0         float64 // events scheduled before the segment
}

// count returns the number of events the segment holds (fractional).
func (s segment) count() float64 {
	return (s.r0 + s.r1) / 2 * s.dur.Seconds()
}

// newSchedule returns the schedule of b over d. With stages, each ramp
// starts from the rate the previous stage ended at (0 for the first) and
// the last rate holds until d; stages past d are cut. Without stages, b.Rate
// holds for d.
func newSchedule(b scenario.Broadcast, d time.Duration) schedule {
	sc := schedule{end: d}
	var at time.Duration
	var n float64
	add := func(dur time.Duration, r0, r1 float64) {
		if dur <= 0 || at >= d {
			return
		}
		if at+dur > d { // cut: the ramp ends at the rate it reached by d
			cut := d - at
			r1 = r0 + (r1-r0)*cut.Seconds()/dur.Seconds()
			dur = cut
		}
		s := segment{start: at, dur: dur, r0: r0, r1: r1, n0: n}
		sc.segs = append(sc.segs, s)
		at += dur
		n += s.count()
	}
	if len(b.Stages) == 0 {
		r := b.Rate.PerSecond()
		add(d, r, r)
		return sc
	}
	prev := 0.0
	for _, st := range b.Stages {
		if st.To != nil {
			to := st.To.PerSecond()
			add(st.Over, prev, to)
			prev = to
		} else {
			add(st.Hold, prev, prev)
		}
	}
	add(d-at, prev, prev)
	return sc
}

// at returns when event k (from 0) is meant to be sent: the time by which
// the schedule has accumulated k events. ok is false when that is at or
// past the end of the schedule.
func (sc schedule) at(k int) (time.Duration, bool) {
	want := float64(k)
	for _, s := range sc.segs {
		if want >= s.n0+s.count() {
			continue
		}
		h := want - s.n0
		a := (s.r1 - s.r0) / (2 * s.dur.Seconds()) // n(τ) = r0·τ + a·τ²
		var tau float64
		switch {
		case math.Abs(a) < 1e-12:
			if s.r0 <= 0 {
				continue
			}
			tau = h / s.r0
		default:
			tau = (-s.r0 + math.Sqrt(s.r0*s.r0+4*a*h)) / (2 * a)
		}
		t := s.start + time.Duration(tau*float64(time.Second))
		if t >= sc.end {
			return 0, false
		}
		return t, true
	}
	return 0, false
}

// len returns the number of events the schedule sends.
func (sc schedule) len() int {
	k := 0
	for {
		if _, ok := sc.at(k); !ok {
			return k
		}
		k++
	}
}
