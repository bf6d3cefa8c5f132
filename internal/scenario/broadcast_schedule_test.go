package scenario_test

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// The broadcaster sends exactly Len events of its schedule, event k at
// At(k): the rate over the phase, ramps, cuts, jumps and a fall to zero.
func TestBroadcastScheduleLen(t *testing.T) {
	t.Parallel()
	rampHold := []schedule.Stage{{To: perSec(10), Over: 2 * time.Second}, {Hold: time.Second}}
	tests := []struct {
		name string
		b    scenario.Broadcast
		d    time.Duration
		want uint64
	}{
		{"50/s over 2s", scenario.Broadcast{Rate: *perSec(50)}, 2 * time.Second, 100},
		{"40/min over 1m", scenario.Broadcast{Rate: unit.Rate{Freq: 40, Per: time.Minute}}, time.Minute, 40},
		{"no rate", scenario.Broadcast{}, time.Minute, 0},
		// Ramp 0→10/s over 2s (10), hold 1s (10), the last rate to 4s (10).
		{"ramp, hold, held", scenario.Broadcast{Stages: rampHold}, 4 * time.Second, 30},
		// Cut at 1s: the ramp reaches 5/s, 2.5 events: 0, 1 and 2 are due.
		{"cut midway", scenario.Broadcast{Stages: rampHold}, time.Second, 3},
		{"jump", scenario.Broadcast{Stages: []schedule.Stage{{To: perSec(5)}, {Hold: 2 * time.Second}}}, 2 * time.Second, 10},
		{"down to zero", scenario.Broadcast{Stages: []schedule.Stage{
			{To: perSec(4)}, {Hold: time.Second}, {To: perSec(0)}, {Hold: time.Second},
		}}, 10 * time.Second, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := tt.b.Schedule(tt.d)
			if n := sc.Len(); n != tt.want {
				t.Fatalf("Len = %d, want %d", n, tt.want)
			}
			prev := time.Duration(-1)
			for k := range tt.want {
				at, ok := sc.At(k)
				if !ok || at <= prev || at >= sc.Duration() {
					t.Fatalf("At(%d) = %v, %v: want after %v and before %v", k, at, ok, prev, sc.Duration())
				}
				prev = at
			}
			if at, ok := sc.At(tt.want); ok && at < sc.Duration() {
				t.Errorf("At(Len) = %v, due before the end %v", at, sc.Duration())
			}
		})
	}
}

// Event times on a constant rate and in a ramp, where n(t) = 2.5 t².
func TestBroadcastScheduleAt(t *testing.T) {
	t.Parallel()
	constant := scenario.Broadcast{Rate: *perSec(50)}.Schedule(2 * time.Second)
	for _, k := range []uint64{0, 1, 50, 99} {
		got, _ := constant.At(k)
		if want := time.Duration(k) * 20 * time.Millisecond; absDur(got-want) > time.Microsecond {
			t.Errorf("50/s: At(%d) = %v, want %v", k, got, want)
		}
	}
	ramp := scenario.Broadcast{Stages: []schedule.Stage{{To: perSec(10), Over: 2 * time.Second}}}.Schedule(4 * time.Second)
	for k, want := range map[uint64]time.Duration{5: 1414213562, 10: 2 * time.Second} {
		if got, _ := ramp.At(k); absDur(got-want) > time.Microsecond {
			t.Errorf("ramp: At(%d) = %v, want %v", k, got, want)
		}
	}
	// A share of the schedule holds its own events: shard 2 of 3 of 100.
	if n := constant.Shard(2, 3).Len(); n != 33 {
		t.Errorf("shard 2/3: Len = %d, want 33", n)
	}
}

func perSec(f float64) *unit.Rate { return &unit.Rate{Freq: f, Per: time.Second} }

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
