package load

import (
	"math"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/unit"
)

func rate(perSec float64) *unit.Rate { return &unit.Rate{Freq: perSec, Per: time.Second} }

func TestPacerHits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		warmup   time.Duration
		stages   []schedule.Stage
		measured time.Duration
		at       time.Duration
		want     float64
	}{
		{"constant", 0, []schedule.Stage{{To: rate(100)}, {Hold: 5 * time.Second}}, 5 * time.Second, 5 * time.Second, 500},
		{"ramp from zero", 0, []schedule.Stage{{To: rate(100), Over: 4 * time.Second}}, 4 * time.Second, 4 * time.Second, 200},
		{"ramp then hold", 0, []schedule.Stage{{To: rate(100), Over: 4 * time.Second}, {Hold: 2 * time.Second}}, 6 * time.Second, 6 * time.Second, 400},
		{"warm-up at first rate", 2 * time.Second, []schedule.Stage{{To: rate(50)}, {Hold: time.Second}}, time.Second, 3 * time.Second, 150},
		{"stages cut to duration", 0, []schedule.Stage{{To: rate(100), Over: 10 * time.Second}}, 5 * time.Second, 5 * time.Second, 125},
		{"last rate held past the stages", 0, []schedule.Stage{{To: rate(10), Over: time.Second}}, 3 * time.Second, 3 * time.Second, 25},
		{"half way up a ramp", 0, []schedule.Stage{{To: rate(100), Over: 4 * time.Second}}, 4 * time.Second, 2 * time.Second, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := NewPacer(tc.warmup, tc.stages, tc.measured)
			if got := p.Hits(tc.at); math.Abs(got-tc.want) > 1e-6 {
				t.Errorf("Hits(%v) = %v, want %v", tc.at, got, tc.want)
			}
			if p.Duration() != tc.warmup+tc.measured {
				t.Errorf("Duration() = %v, want %v", p.Duration(), tc.warmup+tc.measured)
			}
		})
	}
}

// Schedule must invert Hits: hit n is sent when n hits have been scheduled.
func TestPacerScheduleInvertsHits(t *testing.T) {
	t.Parallel()
	p := NewPacer(time.Second, []schedule.Stage{
		{To: rate(20), Over: 2 * time.Second},
		{To: rate(5), Over: 3 * time.Second},
		{Hold: 2 * time.Second},
	}, 7*time.Second)
	total := uint64(p.Hits(p.Duration()))
	prev := time.Duration(-1)
	for n := uint64(0); n < total; n++ {
		at, ok := p.Schedule(n)
		if !ok {
			t.Fatalf("Schedule(%d) = none, want a time (total %d)", n, total)
		}
		if at < prev {
			t.Fatalf("Schedule(%d) = %v, before Schedule(%d) = %v", n, at, n-1, prev)
		}
		prev = at
		if h := p.Hits(at); math.Abs(h-float64(n)) > 1e-6 {
			t.Fatalf("Hits(Schedule(%d) = %v) = %v, want %d", n, at, h, n)
		}
	}
	if _, ok := p.Schedule(total + 1); ok {
		t.Errorf("Schedule(%d) past the end returned a time", total+1)
	}
}

func TestPacerPace(t *testing.T) {
	t.Parallel()
	p := NewPacer(0, []schedule.Stage{{To: rate(10)}, {Hold: time.Second}}, time.Second)
	tests := []struct {
		elapsed  time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
	}{
		{0, 0, 0, false},
		{0, 1, 100 * time.Millisecond, false},
		{50 * time.Millisecond, 1, 50 * time.Millisecond, false},
		{500 * time.Millisecond, 2, 0, false}, // behind: send at once
		{time.Second, 10, 0, true},
		{900 * time.Millisecond, 10, 0, true}, // every hit sent: stop, send no more
	}
	for _, tc := range tests {
		wait, stop := p.Pace(tc.elapsed, tc.hits)
		if d := wait - tc.wantWait; d > time.Microsecond || d < -time.Microsecond || stop != tc.wantStop {
			t.Errorf("Pace(%v, %d) = %v, %v, want %v, %v", tc.elapsed, tc.hits, wait, stop, tc.wantWait, tc.wantStop)
		}
	}
	if r := p.Rate(500 * time.Millisecond); r != 10 {
		t.Errorf("Rate(500ms) = %v, want 10", r)
	}
}

func TestSmoothRoundRobin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		w    []int
		want []uint8
	}{
		{[]int{3, 1}, []uint8{0, 0, 1, 0}},
		{[]int{30, 10}, []uint8{0, 0, 1, 0}},
		{[]int{1, 1, 1}, []uint8{0, 1, 2}},
		{[]int{5}, []uint8{0}},
	}
	for _, tc := range tests {
		got := smoothRoundRobin(append([]int(nil), tc.w...))
		if string(got) != string(tc.want) {
			t.Errorf("smoothRoundRobin(%v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	fd := &feed.Feed{Columns: []string{"term", "id"}, Rows: [][]string{{"sewer camera", "a/b"}}}
	tests := []struct {
		in, want string
		inURL    bool
	}{
		{"/api/zeus/search?q={{.term}}", "/api/zeus/search?q=sewer+camera", true},
		{"/items/{{.id}}?q={{ .term }}", "/items/a%2Fb?q=sewer+camera", true},
		{`{"q": "{{.term}}"}`, `{"q": "sewer camera"}`, false},
		{"/static", "/static", true},
	}
	for _, tc := range tests {
		tp, err := compile(tc.in, fd, tc.inURL)
		if err != nil {
			t.Fatalf("compile(%q): %v", tc.in, err)
		}
		if got := tp.render(fd.Rows[0]); got != tc.want {
			t.Errorf("render(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := compile("/x?q={{.nope}}", fd, true); err == nil {
		t.Errorf("compile with an unknown column: no error")
	}
}

// N shards started on one clock must send exactly the schedule between
// them: every arrival once, at its own intended time, and their Hits must
// add up to the whole schedule's at every offset.
func TestPacerShardsPartitionSchedule(t *testing.T) {
	t.Parallel()
	stages := []schedule.Stage{{To: rate(30), Over: 2 * time.Second}, {To: rate(7), Over: 3 * time.Second}, {Hold: time.Second}}
	whole := NewPacer(time.Second, stages, 6*time.Second)
	var want []time.Duration
	for n := uint64(0); ; n++ {
		at, ok := whole.Schedule(n)
		if !ok {
			break
		}
		want = append(want, at)
	}
	for _, shards := range []int{1, 2, 3, 4, 7} {
		got := make([]time.Duration, len(want))
		seen := make([]int, len(want))
		parts := make([]*Pacer, shards)
		for k := 1; k <= shards; k++ {
			p := NewPacer(time.Second, stages, 6*time.Second)
			p.Shard(k, shards)
			parts[k-1] = p
			for i := uint64(0); ; i++ {
				at, ok := p.Schedule(i)
				if !ok {
					break
				}
				g := int(i)*shards + k - 1
				if g >= len(want) {
					t.Fatalf("%d shards: shard %d hit %d is global hit %d, past the schedule's %d", shards, k, i, g, len(want))
				}
				got[g] = at
				seen[g]++
			}
		}
		for g := range want {
			if seen[g] != 1 || got[g] != want[g] {
				t.Fatalf("%d shards: global hit %d sent %d times at %v, want once at %v", shards, g, seen[g], got[g], want[g])
			}
		}
		for _, at := range []time.Duration{0, 700 * time.Millisecond, time.Second, 3 * time.Second, whole.Duration()} {
			sum := 0.0
			for _, p := range parts {
				sum += p.Hits(at)
			}
			w := whole.Hits(at)
			if shards > 1 {
				w = math.Ceil(w) // shards count whole hits
			}
			if sum != w {
				t.Errorf("%d shards: Hits(%v) sum to %v, want %v", shards, at, sum, w)
			}
		}
	}
}

func TestPacerShardRate(t *testing.T) {
	t.Parallel()
	p := NewPacer(0, []schedule.Stage{{To: rate(100)}, {Hold: 5 * time.Second}}, 5*time.Second)
	p.Shard(2, 4)
	if got := p.Rate(time.Second); got != 25 {
		t.Errorf("Rate = %v, want 25 (a quarter of 100/s)", got)
	}
}
