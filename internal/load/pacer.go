package load

import (
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadcheck/loadcheck/internal/schedule"
)

// Pacer is a vegeta Pacer for a warm-up followed by the scenario's stages,
// along the one schedule.Schedule. Beyond pacing it knows its schedule
// exactly: Schedule(n) is when hit n was meant to be sent. It is safe for
// concurrent use once the attack runs.
type Pacer struct {
	sched schedule.Schedule
	// began is the attack's start, learnt from the first call to Pace
	// (vegeta does not export it), with its monotonic clock reading.
	began atomic.Pointer[time.Time]
}

var _ vegeta.Pacer = (*Pacer)(nil)

// NewPacer returns the pacer for warm-up w at the first stage's rate,
// followed by stages cut or extended (holding the last rate) to measured.
func NewPacer(warmup time.Duration, stages []schedule.Stage, measured time.Duration) *Pacer {
	return &Pacer{sched: schedule.New(warmup, stages, measured)}
}

// Shard makes p send only shard k of n (1 ≤ k ≤ n): every n-th arrival of
// the schedule, starting with arrival k-1, each at its own intended time,
// so n pacers started on one clock send exactly the whole schedule between
// them. Call it before the attack runs.
func (p *Pacer) Shard(k, n int) {
	if n < 1 || k < 1 || k > n {
		panic("load: Pacer.Shard: want 1 ≤ k ≤ n")
	}
	p.sched = p.sched.Shard(k, n)
}

// Duration is the length of the whole schedule, warm-up included.
func (p *Pacer) Duration() time.Duration { return p.sched.Duration() }

// Hits returns the number of hits scheduled before offset t. For a shard
// it counts the shard's own hits: a whole number.
func (p *Pacer) Hits(t time.Duration) float64 { return p.sched.Hits(t) }

// Schedule returns the offset at which hit n (counting from 0) is meant to
// be sent, and false when the schedule ends before it. For a shard, n
// counts the shard's own hits.
func (p *Pacer) Schedule(n uint64) (time.Duration, bool) { return p.sched.At(n) }

// Pace implements vegeta.Pacer.
func (p *Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if p.began.Load() == nil {
		b := time.Now().Add(-elapsed)
		p.began.CompareAndSwap(nil, &b)
	}
	if elapsed >= p.sched.Duration() {
		return 0, true
	}
	at, ok := p.sched.At(hits)
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
func (p *Pacer) Rate(elapsed time.Duration) float64 { return p.sched.Rate(elapsed) }

// Began returns when the attack started, or the zero time before it has.
func (p *Pacer) Began() time.Time {
	if b := p.began.Load(); b != nil {
		return *b
	}
	return time.Time{}
}
