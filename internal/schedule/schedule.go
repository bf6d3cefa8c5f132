package schedule

import (
	"math"
	"time"
)

// Schedule is an open-model arrival schedule: when each arrival is meant
// to happen, counted from its start, whatever the target answers. Its rate
// changes linearly within each segment. The zero Schedule holds nothing.
// A Schedule is a value and safe for concurrent use.
type Schedule struct {
	segs []segment
	end  time.Duration
	// shard is the share of the schedule kept, 0-based, of shards: global
	// arrivals shard, shard+shards, shard+2·shards, … (see Shard). shards
	// 0 means the whole schedule.
	shard, shards uint64
}

// segment is a stretch of a schedule whose rate changes linearly from r0
// to r1 arrivals per second over dur.
type segment struct {
	start, dur time.Duration
	r0, r1     float64
	hits0      float64 // arrivals scheduled before the segment
}

// hitsAt returns the arrivals of the segment in its first t:
// n(τ) = r0·τ + (r1−r0)·τ²/(2·dur).
func (s segment) hitsAt(t time.Duration) float64 {
	tau := t.Seconds()
	d := s.dur.Seconds()
	if d == 0 {
		return 0
	}
	return s.r0*tau + (s.r1-s.r0)*tau*tau/(2*d)
}

// timeOf inverts hitsAt: the offset into the segment at which h of its
// arrivals have been scheduled, or false when it holds fewer than h.
func (s segment) timeOf(h float64) (time.Duration, bool) {
	d := s.dur.Seconds()
	a := (s.r1 - s.r0) / (2 * d)
	b := s.r0
	var tau float64
	switch {
	case math.Abs(a) < 1e-12:
		if b <= 0 {
			return 0, false
		}
		tau = h / b
	default:
		disc := b*b + 4*a*h
		if disc < 0 {
			return 0, false
		}
		tau = (-b + math.Sqrt(disc)) / (2 * a)
	}
	if tau < 0 || tau > d {
		return 0, false
	}
	return time.Duration(tau * float64(time.Second)), true
}

// New returns the schedule of a warm-up at the first stage's rate
// followed by stages fitted to d (see Fit): each ramp starts from
// the rate the previous stage ended at, 0 for the first.
func New(warmup time.Duration, stages []Stage, d time.Duration) Schedule {
	var s Schedule
	first := 0.0
	if len(stages) > 0 && stages[0].To != nil {
		first = stages[0].To.PerSecond()
	}
	s.add(warmup, first, first)
	rate := 0.0
	for _, st := range Fit(stages, d) {
		to := rate
		if st.To != nil {
			to = st.To.PerSecond()
		}
		s.add(st.Duration(), rate, to)
		rate = to
	}
	s.end = warmup + max(d, 0)
	return s
}

// add appends a segment of dur ramping from r0 to r1; nothing when dur is
// not positive.
func (s *Schedule) add(dur time.Duration, r0, r1 float64) {
	if dur <= 0 {
		return
	}
	var at time.Duration
	var hits float64
	if n := len(s.segs); n > 0 {
		last := s.segs[n-1]
		at, hits = last.start+last.dur, last.hits0+last.hitsAt(last.dur)
	}
	s.segs = append(s.segs, segment{start: at, dur: dur, r0: r0, r1: r1, hits0: hits})
}

// Shard returns share k of n (1 ≤ k ≤ n) of s: every n-th arrival,
// starting with arrival k-1, each at its own intended time, so n shares
// started on one clock hold exactly the arrivals of s between them. It
// panics when k or n is out of range, which callers check first.
func (s Schedule) Shard(k, n int) Schedule {
	if n < 1 || k < 1 || k > n {
		panic("schedule: Schedule.Shard: want 1 ≤ k ≤ n")
	}
	s.shard, s.shards = uint64(k-1), uint64(n)
	return s
}

// Duration is the length of the schedule, warm-up included.
func (s Schedule) Duration() time.Duration { return s.end }

// Hits returns the number of arrivals scheduled before offset t. For a
// share it counts the share's own arrivals: a whole number.
func (s Schedule) Hits(t time.Duration) float64 {
	h := s.allHits(t)
	if s.shards <= 1 {
		return h
	}
	// Global arrivals g < h with g ≡ shard (mod shards).
	if c := math.Ceil((h - float64(s.shard)) / float64(s.shards)); c > 0 {
		return c
	}
	return 0
}

// allHits returns the number of arrivals of the whole schedule before t.
func (s Schedule) allHits(t time.Duration) float64 {
	for i := len(s.segs) - 1; i >= 0; i-- {
		sg := s.segs[i]
		if t >= sg.start {
			if t > sg.start+sg.dur {
				t = sg.start + sg.dur
			}
			return sg.hits0 + sg.hitsAt(t-sg.start)
		}
	}
	return 0
}

// At returns the offset at which arrival n (counting from 0) is meant to
// happen, and false when the schedule ends before it. For a share, n
// counts the share's own arrivals.
func (s Schedule) At(n uint64) (time.Duration, bool) {
	h := float64(n*max(s.shards, 1) + s.shard)
	for _, sg := range s.segs {
		if h < sg.hits0+sg.hitsAt(sg.dur) {
			off, ok := sg.timeOf(h - sg.hits0)
			if !ok {
				return 0, false
			}
			return sg.start + off, true
		}
	}
	return 0, false
}

// Len returns the number of arrivals the schedule holds, a share's own
// for a share: those due before its end (one due at the very end belongs
// to what follows). The broadcaster sizes its table of events by it before
// it sends the first, so that a board can tell a late event from a
// foreign one.
func (s Schedule) Len() uint64 {
	n := uint64(max(math.Ceil(s.Hits(s.end)), 0))
	for n > 0 && !s.due(n-1) { // Hits rounds; At is the definition
		n--
	}
	for s.due(n) {
		n++
	}
	return n
}

// due reports whether arrival n is due before the end of the schedule.
func (s Schedule) due(n uint64) bool {
	t, ok := s.At(n)
	return ok && t < s.end
}

// Rate returns the rate at offset t in arrivals per second (a share's part
// for a share), 0 outside the schedule.
func (s Schedule) Rate(t time.Duration) float64 {
	for _, sg := range s.segs {
		if t >= sg.start && t < sg.start+sg.dur {
			return rampRate(sg.r0, sg.r1, t-sg.start, sg.dur) / float64(max(s.shards, 1))
		}
	}
	return 0
}
