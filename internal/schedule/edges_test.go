package schedule

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// Fit gives stages that last exactly the phase: a stage that ends at the
// phase's end is kept whole and nothing of zero length follows; a stage
// past the end is cut to what is left, a ramp at the rate it reached; the
// last rate holds for the rest; no stages at all hold 0/s.
func TestScheduleFit(t *testing.T) {
	t.Parallel()
	s := time.Second
	r10, r20 := unit.Rate{Freq: 10, Per: s}, unit.Rate{Freq: 20, Per: s}
	r15 := unit.Rate{Freq: 15, Per: s}
	tests := []struct {
		name   string
		stages []Stage
		d      time.Duration
		want   []Stage
	}{
		{"exactly the phase", []Stage{{To: &r10, Over: 10 * s}, {Hold: 5 * s}}, 15 * s,
			[]Stage{{To: &r10, Over: 10 * s}, {Hold: 5 * s}}},
		{"ends with a ramp at the phase's end", []Stage{{To: &r10, Over: 10 * s}}, 10 * s,
			[]Stage{{To: &r10, Over: 10 * s}}},
		{"a stage after the end is dropped", []Stage{{To: &r10, Over: 10 * s}, {Hold: 5 * s}, {To: &r20, Over: s}}, 15 * s,
			[]Stage{{To: &r10, Over: 10 * s}, {Hold: 5 * s}}},
		{"a hold cut", []Stage{{To: &r10, Over: 10 * s}, {Hold: 10 * s}}, 15 * s,
			[]Stage{{To: &r10, Over: 10 * s}, {Hold: 5 * s}}},
		{"a second ramp cut midway", []Stage{{To: &r10, Over: 10 * s}, {To: &r20, Over: 10 * s}}, 15 * s,
			[]Stage{{To: &r10, Over: 10 * s}, {To: &r15, Over: 5 * s}}},
		{"the last rate held", []Stage{{To: &r10, Over: 5 * s}}, 12 * s,
			[]Stage{{To: &r10, Over: 5 * s}, {Hold: 7 * s}}},
		{"a last hold lengthened", []Stage{{To: &r10, Over: 5 * s}, {Hold: 2 * s}}, 12 * s,
			[]Stage{{To: &r10, Over: 5 * s}, {Hold: 7 * s}}},
		{"no stages", nil, 12 * s, []Stage{{Hold: 12 * s}}},
	}
	for _, tc := range tests {
		got := Fit(tc.stages, tc.d)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Fit = %v, want %v", tc.name, stagesString(got), stagesString(tc.want))
		}
	}
}

func stagesString(ss []Stage) []string {
	var out []string
	for _, s := range ss {
		if s.To != nil {
			out = append(out, "to "+s.To.String()+" over "+s.Over.String())
		} else {
			out = append(out, "hold "+s.Hold.String())
		}
	}
	return out
}

// A ramp's rate is interpolated in the unit of its target (per second
// when that has none), and has reached its target once over; a ramp of no
// length is at its target at once.
func TestScheduleRampMath(t *testing.T) {
	t.Parallel()
	s := time.Second
	perMin := unit.Rate{Freq: 60, Per: time.Minute}
	if got := interpolate(unit.Rate{}, perMin, 5*s, 10*s); got.Per != time.Minute || math.Abs(got.Freq-30) > 1e-9 {
		t.Errorf("half way to 60/min: %v, want 30/min", got)
	}
	if got := interpolate(unit.Rate{Freq: 1, Per: s}, unit.Rate{Freq: 30}, 5*s, 10*s); got.Per != s || math.Abs(got.Freq-0.5) > 1e-9 {
		t.Errorf("half way from 1/s to a rate without a period (0/s): %+v, want 0.5 per second", got)
	}
	if got := interpolate(unit.Rate{Freq: 1, Per: s}, perMin, 0, 0); got != perMin {
		t.Errorf("a ramp of no length: %v, want its target", got)
	}
	for _, tc := range []struct {
		r0, r1   float64
		at, over time.Duration
		want     float64
	}{
		{0, 10, 5 * s, 10 * s, 5},
		{4, 2, 3 * s, 4 * s, 2.5},
		{1, 5, 0, 0, 5},
	} {
		if got := rampRate(tc.r0, tc.r1, tc.at, tc.over); !(math.Abs(got-tc.want) <= 1e-9) {
			t.Errorf("rampRate(%v → %v, at %v of %v) = %v, want %v", tc.r0, tc.r1, tc.at, tc.over, got, tc.want)
		}
	}
}

// A schedule's rate at the first instant of a stage is that stage's, and
// in a ramp that starts late it is measured from the ramp's own start.
// Arrivals in a ramp come when the integral of its rate reaches them;
// none after the end; a schedule without stages holds none. The one share
// of one shard is the whole schedule, fractions included.
func TestScheduleEdges(t *testing.T) {
	t.Parallel()
	s := time.Second
	r10, r20 := unit.Rate{Freq: 10, Per: s}, unit.Rate{Freq: 20, Per: s}
	sc := New(2*s, []Stage{{To: &r10}, {Hold: 4 * s}, {To: &r20, Over: 10 * s}}, 14*s)
	for _, tc := range []struct {
		at   time.Duration
		rate float64
	}{
		{0, 10}, {2 * s, 10}, {6 * s, 10}, {11 * s, 15}, {15 * s, 19}, {16 * s, 0},
	} {
		if got := sc.Rate(tc.at); math.Abs(got-tc.rate) > 1e-9 {
			t.Errorf("Rate(%v) = %v, want %v", tc.at, got, tc.rate)
		}
	}
	if got := sc.Hits(20 * s); math.Abs(got-210) > 1e-9 {
		t.Errorf("Hits after the end = %v, want 210 (20 warm-up, 40 held, 150 in the ramp)", got)
	}
	// From 10/s to 20/s over 10 s after 6 s, n(τ) = 60 + 10τ + τ²/2:
	// arrival 82 is due 2 s into the ramp.
	if at, ok := sc.At(82); !ok || (at-8*s).Abs() > time.Microsecond {
		t.Errorf("At(82) in a ramp from 10/s = %v, %v; want 8s", at, ok)
	}
	// From 0 to 10/s over 10 s, n(t) = t²/2: arrival 8 is due at 4 s.
	ramp := New(0, []Stage{{To: &r10, Over: 10 * s}}, 10*s)
	if at, ok := ramp.At(8); !ok || (at-4*s).Abs() > time.Microsecond {
		t.Errorf("At(8) in a ramp from 0 to 10/s = %v, %v; want 4s", at, ok)
	}
	if got := ramp.Hits(20 * s); math.Abs(got-50) > 1e-9 {
		t.Errorf("Hits after the end = %v, want all 50", got)
	}
	if got, ok := New(s, nil, 10*s).At(0); ok || New(s, nil, 10*s).Hits(10*s) != 0 {
		t.Errorf("a schedule without stages has arrival 0 at %v, want none", got)
	}
	steady := New(0, []Stage{{To: &r10}}, 10*s)
	if whole, one := steady.Hits(250*time.Millisecond), steady.Shard(1, 1).Hits(250*time.Millisecond); whole != 2.5 || one != whole {
		t.Errorf("Hits(250ms) = %v, of shard 1/1 %v; want 2.5 both", whole, one)
	}
	// Before 1 s, arrivals 0–9: shard 2 of 3 holds 1, 4 and 7.
	if got := steady.Shard(2, 3).Hits(s); got != 3 {
		t.Errorf("shard 2/3 Hits(1s) = %v, want 3 (arrivals 1, 4, 7)", got)
	}
	if got := steady.Shard(3, 3).Hits(150 * time.Millisecond); got != 0 {
		t.Errorf("shard 3/3 Hits(150ms) = %v, want 0 (arrival 2 is due at 200ms)", got)
	}
}

// Len counts arrivals by At, the definition, where Hits rounds: 9.72/s
// for 25 s sums to 243.00000000000003 arrivals, of which arrival 243 (from
// 0) would be due at the end, which belongs to what follows.
func TestScheduleLenWhereHitsRounds(t *testing.T) {
	t.Parallel()
	r := unit.Rate{Freq: 9.72, Per: time.Second}
	sc := New(0, []Stage{{To: &r}}, 25*time.Second)
	if h := sc.Hits(25 * time.Second); h <= 243 {
		t.Fatalf("Hits(25s) = %v: the float no longer rounds above 243, pick another rate", h)
	}
	if n := sc.Len(); n != 243 {
		t.Errorf("Len of 9.72/s over 25 s = %d, want 243", n)
	}
	if n := sc.Shard(2, 2).Len(); n != 121 {
		t.Errorf("Len of shard 2/2 = %d, want 121 (arrivals 1, 3, …, 241)", n)
	}
}

// A step to a rate at the very start of the phase is kept, then held.
func TestFitZeroLengthProfile(t *testing.T) {
	t.Parallel()
	r := unit.Rate{Freq: 5, Per: time.Second}
	got := Fit([]Stage{{To: &r}}, time.Minute)
	if len(got) != 2 || got[0].To != &r || got[1].Hold != time.Minute {
		t.Errorf("Fit(step to 5/s, 1m) = %+v, want the step then a 1m hold", got)
	}
}
