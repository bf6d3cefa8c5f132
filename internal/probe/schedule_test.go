package probe

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

func rate(perSec float64) *scenario.Rate { return &scenario.Rate{Freq: perSec, Per: time.Second} }

func TestScheduleConstant(t *testing.T) {
	t.Parallel()
	sc := newSchedule(scenario.Broadcast{Rate: *rate(50)}, 2*time.Second)
	if n := sc.len(); n != 100 {
		t.Fatalf("len = %d, want 100", n)
	}
	for _, k := range []int{0, 1, 50, 99} {
		got, ok := sc.at(k)
		want := time.Duration(k) * 20 * time.Millisecond
		if !ok || absDur(got-want) > time.Microsecond {
			t.Errorf("at(%d) = %v, %v, want %v", k, got, ok, want)
		}
	}
	if _, ok := sc.at(100); ok {
		t.Errorf("at(100) ok, want past the end")
	}
	if n := newSchedule(scenario.Broadcast{Rate: scenario.Rate{Freq: 40, Per: time.Minute}}, time.Minute).len(); n != 40 {
		t.Errorf("40/min over 1m: len = %d, want 40", n)
	}
	if n := newSchedule(scenario.Broadcast{}, time.Minute).len(); n != 0 {
		t.Errorf("no rate: len = %d, want 0", n)
	}
}

func TestScheduleStages(t *testing.T) {
	t.Parallel()
	// Ramp 0→10/s over 2s (10 events), hold 10/s 1s (10), then the last
	// rate holds to d=4s (10 more).
	b := scenario.Broadcast{Stages: []scenario.Stage{
		{To: rate(10), Over: 2 * time.Second},
		{Hold: time.Second},
	}}
	sc := newSchedule(b, 4*time.Second)
	if n := sc.len(); n != 30 {
		t.Errorf("len = %d, want 30", n)
	}
	// In the ramp n(t) = 2.5 t², so event 5 is at sqrt(2) s.
	if got, _ := sc.at(5); absDur(got-1414213562) > time.Microsecond {
		t.Errorf("at(5) = %v, want 1.414s", got)
	}
	if got, _ := sc.at(10); absDur(got-2*time.Second) > time.Microsecond {
		t.Errorf("at(10) = %v, want 2s", got)
	}
	prev := time.Duration(-1)
	for k := range 30 {
		at, _ := sc.at(k)
		if at <= prev {
			t.Errorf("at(%d) = %v, not after at(%d) = %v", k, at, k-1, prev)
		}
		prev = at
	}
	// Cut at 1s: the ramp reaches 5/s, 2.5 events.
	if n := newSchedule(b, time.Second).len(); n != 3 {
		t.Errorf("cut at 1s: len = %d, want 3", n)
	}
	// A zero-length ramp jumps.
	jump := scenario.Broadcast{Stages: []scenario.Stage{{To: rate(5)}, {Hold: 2 * time.Second}}}
	if n := newSchedule(jump, 2*time.Second).len(); n != 10 {
		t.Errorf("jump: len = %d, want 10", n)
	}
	// Down to zero: nothing more.
	down := scenario.Broadcast{Stages: []scenario.Stage{{To: rate(4)}, {Hold: time.Second}, {To: rate(0)}, {Hold: time.Second}}}
	if n := newSchedule(down, 10*time.Second).len(); n != 4 {
		t.Errorf("down to zero: len = %d, want 4", n)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
