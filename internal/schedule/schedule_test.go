package schedule_test

import (
	"math"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/unit"
)

func perSec(f float64) *unit.Rate { return &unit.Rate{Freq: f, Per: time.Second} }

// The schedule the pacer and the broadcaster share: arrivals by a time,
// the time of arrival n (its inverse), the rate, and a shard's share.
func TestSchedule(t *testing.T) {
	t.Parallel()
	rampHold := []schedule.Stage{{To: perSec(10), Over: 2 * time.Second}, {Hold: time.Second}}
	tests := []struct {
		name     string
		warmup   time.Duration
		stages   []schedule.Stage
		d        time.Duration
		at       time.Duration
		hits     float64       // Hits(at)
		n        uint64        // arrival n ...
		nAt      time.Duration // ... is due at nAt
		rateAt   float64       // Rate(at)
		duration time.Duration
	}{
		{"step then hold", 0, []schedule.Stage{{To: perSec(50)}, {Hold: 2 * time.Second}}, 2 * time.Second,
			time.Second, 50, 99, 1980 * time.Millisecond, 50, 2 * time.Second},
		{"40/min", 0, []schedule.Stage{{To: &unit.Rate{Freq: 40, Per: time.Minute}}}, time.Minute,
			30 * time.Second, 20, 39, 58500 * time.Millisecond, 40.0 / 60, time.Minute},
		// n(t) = 2.5 t² in the ramp, so arrival 5 is due at √2 s.
		{"ramp from zero", 0, rampHold, 4 * time.Second,
			time.Second, 2.5, 5, 1414213562, 5, 4 * time.Second},
		{"last rate held past the stages", 0, rampHold, 4 * time.Second,
			4 * time.Second, 30, 29, 3900 * time.Millisecond, 0, 4 * time.Second},
		{"ramp cut midway", 0, rampHold, time.Second,
			time.Second, 2.5, 2, 894427191, 0, time.Second},
		{"warm-up at the first rate", 2 * time.Second, []schedule.Stage{{To: perSec(50)}, {Hold: time.Second}}, time.Second,
			3 * time.Second, 150, 120, 2400 * time.Millisecond, 0, 3 * time.Second},
		{"down to zero", 0, []schedule.Stage{{To: perSec(4)}, {Hold: time.Second}, {To: perSec(0)}}, 10 * time.Second,
			5 * time.Second, 4, 3, 750 * time.Millisecond, 0, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := schedule.New(tc.warmup, tc.stages, tc.d)
			if got := s.Hits(tc.at); math.Abs(got-tc.hits) > 1e-9 {
				t.Errorf("Hits(%v) = %v, want %v", tc.at, got, tc.hits)
			}
			if got, ok := s.At(tc.n); !ok || (got-tc.nAt).Abs() > time.Microsecond {
				t.Errorf("At(%d) = %v, %v, want %v", tc.n, got, ok, tc.nAt)
			}
			if got := s.Rate(tc.at); math.Abs(got-tc.rateAt) > 1e-9 {
				t.Errorf("Rate(%v) = %v, want %v", tc.at, got, tc.rateAt)
			}
			if s.Duration() != tc.duration {
				t.Errorf("Duration() = %v, want %v", s.Duration(), tc.duration)
			}
			// At inverts Hits for every arrival, and none is due past the end.
			total := uint64(math.Ceil(s.Hits(s.Duration())))
			for n := uint64(0); n < total; n++ {
				at, ok := s.At(n)
				if h := s.Hits(at); !ok || math.Abs(h-float64(n)) > 1e-6 {
					t.Fatalf("Hits(At(%d) = %v, %v) = %v, want %d", n, at, ok, h, n)
				}
			}
			if at, ok := s.At(total); ok {
				t.Errorf("At(%d) = %v past the last arrival, want none", total, at)
			}
		})
	}
}

// Shards of one schedule hold every arrival once, at its own time, and
// each runs at its share of the rate.
func TestScheduleShard(t *testing.T) {
	t.Parallel()
	whole := schedule.New(time.Second, []schedule.Stage{{To: perSec(30), Over: 2 * time.Second}, {Hold: time.Second}}, 3*time.Second)
	tests := []struct{ k, n int }{{1, 1}, {1, 2}, {2, 2}, {3, 7}, {7, 7}}
	for _, tc := range tests {
		s := whole.Shard(tc.k, tc.n)
		for i := uint64(0); ; i++ {
			got, ok := s.At(i)
			want, wok := whole.At(i*uint64(tc.n) + uint64(tc.k-1))
			if ok != wok || got != want {
				t.Fatalf("shard %d/%d: At(%d) = %v, %v, want the whole's arrival %d: %v, %v", tc.k, tc.n, i, got, ok, i*uint64(tc.n)+uint64(tc.k-1), want, wok)
			}
			if !ok {
				break
			}
		}
		if got, want := s.Rate(2*time.Second), whole.Rate(2*time.Second)/float64(tc.n); got != want {
			t.Errorf("shard %d/%d: Rate = %v, want %v", tc.k, tc.n, got, want)
		}
	}
}
