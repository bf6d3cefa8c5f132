package probe

import (
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// schedule is the broadcaster's arrival schedule: when each event is meant
// to be sent, counted from the start of the measured phase, along the one
// scenario.Schedule. It is an open model: the times do not depend on how
// fast the target answers.
type schedule struct {
	sc scenario.Schedule
}

// newSchedule returns the schedule of b over d (see Broadcast.Schedule).
func newSchedule(b scenario.Broadcast, d time.Duration) schedule {
	return schedule{sc: b.Schedule(d)}
}

// at returns when event k (from 0) is meant to be sent: the time by which
// the schedule has accumulated k events. ok is false when that is at or
// past the end of the schedule.
func (s schedule) at(k int) (time.Duration, bool) {
	t, ok := s.sc.At(uint64(k))
	if !ok || t >= s.sc.Duration() {
		return 0, false
	}
	return t, true
}

// len returns the number of events the schedule sends.
func (s schedule) len() int {
	k := 0
	for {
		if _, ok := s.at(k); !ok {
			return k
		}
		k++
	}
}
