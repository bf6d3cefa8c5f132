package load

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/schedule"
)

// Began is zero until the attack's first Pace, then the moment the attack
// began (elapsed before that call), and it does not move on later calls.
// At the end of the schedule the pacer stops, whatever hit is next.
func TestPacerBeganAndEnd(t *testing.T) {
	t.Parallel()
	p := NewPacer(0, []schedule.Stage{{To: rate(10)}, {Hold: time.Second}}, time.Second)
	if b := p.Began(); !b.IsZero() {
		t.Fatalf("Began before the attack = %v, want zero", b)
	}
	before := time.Now()
	p.Pace(300*time.Millisecond, 0)
	after := time.Now()
	b := p.Began()
	if b.Before(before.Add(-300*time.Millisecond)) || b.After(after.Add(-300*time.Millisecond)) {
		t.Errorf("Began = %v after a first Pace at 300ms, want 300ms before the call (%v – %v)", b, before.Add(-300*time.Millisecond), after.Add(-300*time.Millisecond))
	}
	p.Pace(600*time.Millisecond, 1)
	if again := p.Began(); !again.Equal(b) {
		t.Errorf("Began moved from %v to %v on a later Pace", b, again)
	}
	for _, hits := range []uint64{0, 5} {
		if wait, stop := p.Pace(p.Duration(), hits); !stop || wait != 0 {
			t.Errorf("Pace at the schedule's end (%v) with %d hits sent = %v, %v; want to stop", p.Duration(), hits, wait, stop)
		}
	}
}
