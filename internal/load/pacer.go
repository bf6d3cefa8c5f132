package load

import (
	"math"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// segment is a piece of the schedule whose rate changes linearly from r0 to
// r1 (in hits per second) over dur.
type segment struct {
	start  time.Duration
	dur    time.Duration
	r0, r1 float64
	hits0  float64 // hits scheduled before the segment
}

func (s segment) hitsAt(t time.Duration) float64 {
	tau := t.Seconds()
	d := s.dur.Seconds()
	if d == 0 {
		return 0
	}
	return s.r0*tau + (s.r1-s.r0)*tau*tau/(2*d)
}

// timeOf returns the offset into the segment at which h hits of it have
// been scheduled, or false when it needs more than the segment holds.
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

// Pacer is a vegeta Pacer for a warm-up followed by the scenario's stages.
// Beyond pacing it knows its schedule exactly: Schedule(n) is when hit n
// was meant to be sent. It is safe for concurrent use once the attack runs.
type Pacer struct {
	segs  []segment
	total time.Duration
	// shard is this pacer's share of the schedule, 0-based, of shards: it
	// sends global hits shard, shard+shards, shard+2·shards, … (see Shard).
	shard, shards uint64
	// began is the attack's start, learnt from the first call to Pace
	// (vegeta does not export it), with its monotonic clock reading.
	began atomic.Pointer[time.Time]
}

var _ vegeta.Pacer = (*Pacer)(nil)

// NewPacer returns the pacer for warm-up w at the first stage's rate,
// followed by stages cut or extended (holding the last rate) to measured.
func NewPacer(warmup time.Duration, stages []scenario.Stage, measured time.Duration) *Pacer {
	p := &Pacer{shards: 1}
	var at time.Duration
	var hits float64
	add := func(dur time.Duration, r0, r1 float64) {
		if dur <= 0 {
			return
		}
		s := segment{start: at, dur: dur, r0: r0, r1: r1, hits0: hits}
		p.segs = append(p.segs, s)
		hits += s.hitsAt(dur)
		at += dur
	}
	first := 0.0
	if len(stages) > 0 && stages[0].To != nil {
		first = stages[0].To.PerSecond()
	}
	add(warmup, first, first)
	end := warmup + measured
	rate := 0.0
	for _, st := range stages {
		if at >= end {
			break
		}
		to := rate
		if st.To != nil {
			to = st.To.PerSecond()
		}
		d := st.Duration()
		if at+d > end {
			// Cut the stage, ending at the rate it has reached by then.
			frac := float64(end-at) / float64(d)
			to = rate + (to-rate)*frac
			d = end - at
		}
		add(d, rate, to)
		rate = to
	}
	add(end-at, rate, rate)
	p.total = end
	return p
}

// Shard makes p send only shard k of n (1 ≤ k ≤ n): every n-th arrival of
// the schedule, starting with arrival k-1, each at its own intended time,
// so n pacers started on one clock send exactly the whole schedule between
// them. Call it before the attack runs.
func (p *Pacer) Shard(k, n int) {
	if n < 1 || k < 1 || k > n {
		panic("load: Pacer.Shard: want 1 ≤ k ≤ n")
	}
	p.shard, p.shards = uint64(k-1), uint64(n)
}

// Duration is the length of the whole schedule, warm-up included.
func (p *Pacer) Duration() time.Duration { return p.total }

// Hits returns the number of hits scheduled before offset t. For a shard
// it counts the shard's own hits: a whole number.
func (p *Pacer) Hits(t time.Duration) float64 {
	h := p.allHits(t)
	if p.shards <= 1 {
		return h
	}
	// Global hits g < h with g ≡ shard (mod shards).
	if c := math.Ceil((h - float64(p.shard)) / float64(p.shards)); c > 0 {
		return c
	}
	return 0
}

// allHits returns the number of hits of the whole schedule before t.
func (p *Pacer) allHits(t time.Duration) float64 {
	for i := len(p.segs) - 1; i >= 0; i-- {
		s := p.segs[i]
		if t >= s.start {
			if t > s.start+s.dur {
				t = s.start + s.dur
			}
			return s.hits0 + s.hitsAt(t-s.start)
		}
	}
	return 0
}

// Schedule returns the offset at which hit n (counting from 0) is meant to
// be sent, and false when the schedule ends before it. For a shard, n
// counts the shard's own hits.
func (p *Pacer) Schedule(n uint64) (time.Duration, bool) {
	h := float64(n*max(p.shards, 1) + p.shard)
	for _, s := range p.segs {
		if h < s.hits0+s.hitsAt(s.dur) {
			off, ok := s.timeOf(h - s.hits0)
			if !ok {
				return 0, false
			}
			return s.start + off, true
		}
	}
	return 0, false
}

// Pace implements vegeta.Pacer.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.began.Load() == nil {
		b := time.Now().Add(-elapsed)
		p.began.CompareAndSwap(nil, &b)
	}
	if elapsed >= p.total {
		return 0, true
	}
	at, ok := p.Schedule(hits)
	if !ok {
		// No hit left: stop now (vegeta sends a hit after every wait).
		return 0, true
	}
	if at <= elapsed {
		return 0, false
	}
	return at - elapsed, false
}

// Rate implements vegeta.Pacer: the rate at offset elapsed, in hits per
// second (a shard's share for a shard).
func (p *Pacer) Rate(elapsed time.Duration) float64 {
	for _, s := range p.segs {
		if elapsed >= s.start && elapsed < s.start+s.dur {
			r := s.r0 + (s.r1-s.r0)*float64(elapsed-s.start)/float64(s.dur)
			return r / float64(max(p.shards, 1))
		}
	}
	return 0
}

// Began returns when the attack started, or the zero time before it has.
func (p *Pacer) Began() time.Time {
	if b := p.began.Load(); b != nil {
		return *b
	}
	return time.Time{}
}
