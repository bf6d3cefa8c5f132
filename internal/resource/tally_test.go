//go:build linux

package resource

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ms = time.Millisecond

func TestCPUPercent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cpu, wall time.Duration
		want      float64
	}{
		{500 * ms, time.Second, 50},
		{0, time.Second, 0},
		{time.Second, 0, 0},
		{2 * time.Second, time.Second, 200}, // two cores' worth
		{30 * ms, 100 * ms, 30},
	} {
		if got := cpuPercent(tc.cpu, tc.wall); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("cpuPercent(%v, %v) = %v, want %v", tc.cpu, tc.wall, got, tc.want)
		}
	}
}

// pcts builds intervals of the given walls (one wall for all when walls has
// one element) with CPU in percent.
func pcts(walls []time.Duration, pct ...float64) []interval {
	iv := make([]interval, len(pct))
	for i, p := range pct {
		w := walls[0]
		if len(walls) > 1 {
			w = walls[i]
		}
		iv[i] = interval{wall: w, cpu: time.Duration(p / 100 * float64(w))}
	}
	return iv
}

func TestWindowMean(t *testing.T) {
	t.Parallel()
	sec := []time.Duration{time.Second}
	for _, tc := range []struct {
		name     string
		iv       []interval
		window   time.Duration
		wantMean float64
		wantFull bool
	}{
		{"empty", nil, 3 * time.Second, 0, false},
		{"exact span", pcts(sec, 10, 20, 30), 3 * time.Second, 20, true},
		{"last three of five", pcts(sec, 90, 90, 10, 20, 30), 3 * time.Second, 20, true},
		{"shorter than window", pcts(sec, 10, 30), 3 * time.Second, 20, false},
		{"jitter short", pcts([]time.Duration{999 * ms}, 0, 40, 40, 40), 3 * time.Second, 40, true},
		{"jitter long", pcts([]time.Duration{1001 * ms}, 0, 40, 40, 40), 3 * time.Second, 40, true},
		{"failed read spans two", []interval{{time.Second, 0}, {0, 0}, {2 * time.Second, time.Second}}, 2 * time.Second, 50, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mean, full := windowMean(tc.iv, tc.window)
			if math.Abs(mean-tc.wantMean) > 1e-6 || full != tc.wantFull {
				t.Errorf("windowMean(%v, %v) = %v, %v, want %v, %v", tc.iv, tc.window, mean, full, tc.wantMean, tc.wantFull)
			}
		})
	}
}

func TestRollingMax(t *testing.T) {
	t.Parallel()
	sec := []time.Duration{time.Second}
	for _, tc := range []struct {
		name   string
		iv     []interval
		window time.Duration
		want   float64
	}{
		{"steady", pcts(sec, 50, 50, 50, 50, 50), 3 * time.Second, 50},
		{"plateau", pcts(sec, 10, 10, 90, 90, 90, 10), 3 * time.Second, 90},
		{"plateau, short window", pcts(sec, 10, 10, 90, 90, 90, 10), 2 * time.Second, 90},
		{"run shorter than window: whole-run mean", pcts(sec, 10, 10, 90, 90, 90, 10), 10 * time.Second, 50},
		{"burst is diluted", pcts(sec, 0, 0, 100, 0, 0), 2 * time.Second, 50},
		{"ramp", pcts(sec, 0, 20, 40, 60, 80), 2 * time.Second, 70},
		{"uneven walls", pcts([]time.Duration{time.Second, 3 * time.Second, time.Second}, 0, 60, 0), 3 * time.Second, 60},
		{"empty", nil, time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := rollingMax(tc.iv, tc.window); math.Abs(got-tc.want) > 1e-6 {
				t.Errorf("rollingMax(%v, %v) = %v, want %v", tc.iv, tc.window, got, tc.want)
			}
		})
	}
}

// at is a fixed clock: t0 plus d.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// procAt is the reading of process pid at t0+when.
func procAt(pid int, when time.Duration, cpu time.Duration, rss uint64) procReading {
	return procReading{key: fmt.Sprint(pid), pid: pid, name: fmt.Sprint("p", pid), at: at(when), cpu: cpu, rss: rss}
}

func TestTally(t *testing.T) {
	t.Parallel()
	s := time.Second
	tl := newTally(2 * s)
	// 1 runs at 50 %, then 100 %; 2 starts at 1.5s and burns 0.2s in its
	// first half second, then 20 %; 3 is there from the start and exits.
	tl.add(reading{at: at(0), procs: []procReading{procAt(1, 0, 10*s, 100), procAt(3, 0, 0, 10)}})
	r := reading{at: at(s), procs: []procReading{procAt(1, s, 10*s+500*ms, 100), procAt(3, s, 100*ms, 30)}}
	tl.add(r)
	p2 := procAt(2, 2*s, 200*ms, 50)
	p2.started = at(1500 * ms)
	tl.add(reading{at: at(2 * s), procs: []procReading{procAt(1, 2*s, 11*s+500*ms, 120), p2}})
	tl.add(reading{at: at(3 * s), procs: []procReading{procAt(1, 3*s, 12*s+500*ms, 110), procAt(2, 3*s, 400*ms, 60)}})

	got := tl.summary()
	exit := 2 * s
	want := Summary{
		Start:         t0,  // the first reading
		CPUSustained:  100, // process 1 over [1s, 3s]
		CPUTotal:      100.0 * (2500 + 100 + 400) / 3000,
		RSSTotal:      170,
		RSSMaxProcess: 120,
		Span:          3 * time.Second, // from the first reading to the last
		Samples:       4,
		Processes: []Process{
			{PID: 1, Name: "p1", CPUMean: 100 * 2.5 / 3, CPUSustained: 100, RSSPeak: 120},
			{PID: 3, Name: "p3", CPUMean: 10, CPUSustained: 5, RSSPeak: 30, Exited: &exit},
			{PID: 2, Name: "p2", CPUMean: 20, CPUSustained: 20, RSSPeak: 60, Seen: 2 * s},
		},
		Timeline: []Sample{
			{T: s, CPU: 60, RSS: 130, PerProcess: []float64{50, 10}, PerProcessRSS: []uint64{100, 30}},
			{T: 2 * s, CPU: 120, RSS: 170, PerProcess: []float64{100, 0, 20}, PerProcessRSS: []uint64{120, 0, 50}},
			{T: 3 * s, CPU: 120, RSS: 170, PerProcess: []float64{100, 0, 20}, PerProcessRSS: []uint64{110, 0, 60}},
		},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(approx)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// A PostgreSQL backend busier than the service's worker is not the
// busiest process of cpu.sustained: the gate is about the service's one
// core. It stays in its row and in the total.
func TestTallySustainedLeavesTheDatabaseOut(t *testing.T) {
	t.Parallel()
	s := time.Second
	tl := newTally(2 * s)
	worker, backend := procAt(1, 0, 0, 100), procAt(2, 0, 0, 100)
	backend.role = "postgres"
	tl.add(reading{at: at(0), procs: []procReading{worker, backend}})
	worker, backend = procAt(1, s, 300*ms, 100), procAt(2, s, 900*ms, 100)
	backend.role = "postgres"
	tl.add(reading{at: at(s), procs: []procReading{worker, backend}})
	got := tl.summary()
	if !approx(got.CPUSustained, 30) || !approx(got.CPUTotal, 120) || !approx(got.Processes[1].CPUSustained, 90) {
		t.Errorf("sustained %.1f%%, total %.1f%%, backend's row %.1f%%: want the worker's 30%%, 120%% and 90%%",
			got.CPUSustained, got.CPUTotal, got.Processes[1].CPUSustained)
	}
}

func TestTallyEdges(t *testing.T) {
	t.Parallel()
	s := time.Second

	t.Run("counter reset", func(t *testing.T) {
		t.Parallel()
		tl := newTally(10 * s)
		tl.add(reading{at: at(0), procs: []procReading{procAt(1, 0, 5*s, 0)}})
		tl.add(reading{at: at(s), procs: []procReading{procAt(1, s, 300*ms, 0)}})
		if got := tl.summary().Processes[0].CPUMean; !approx(got, 30) {
			t.Errorf("CPUMean after a reset = %v, want 30", got)
		}
	})

	t.Run("failed read keeps the baseline", func(t *testing.T) {
		t.Parallel()
		tl := newTally(10 * s)
		tl.add(reading{at: at(0), procs: []procReading{procAt(1, 0, 0, 7)}})
		tl.add(reading{at: at(s), procs: []procReading{{key: "1", failed: true}}, errs: []error{fs.ErrPermission}})
		tl.add(reading{at: at(2 * s), procs: []procReading{procAt(1, 2*s, s, 7)}})
		got := tl.summary()
		if p := got.Processes[0]; !approx(p.CPUMean, 50) || p.Exited != nil {
			t.Errorf("process after a failed read = %+v, want CPUMean 50, not exited", p)
		}
		if !approx(got.CPUTotal, 50) || got.RSSTotal != 7 {
			t.Errorf("CPUTotal, RSSTotal = %v, %v, want 50, 7", got.CPUTotal, got.RSSTotal)
		}
		want := []SampleError{{Kind: KindPermission, Count: 1, Example: fs.ErrPermission.Error()}}
		if diff := cmp.Diff(want, got.Errors); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})

	t.Run("zombie counts its last CPU", func(t *testing.T) {
		t.Parallel()
		tl := newTally(10 * s)
		tl.add(reading{at: at(0), procs: []procReading{procAt(1, 0, 0, 7)}})
		z := procAt(1, s, 400*ms, 0)
		z.exited = true
		tl.add(reading{at: at(s), procs: []procReading{z}})
		tl.add(reading{at: at(2 * s), procs: []procReading{z}})
		p := tl.summary().Processes[0]
		if !approx(p.CPUMean, 40) || p.Exited == nil || *p.Exited != s {
			t.Errorf("zombie = %+v, want CPUMean 40, exited after 1s", p)
		}
	})

	t.Run("group totals", func(t *testing.T) {
		t.Parallel()
		tl := newTally(10 * s)
		tl.add(reading{at: at(0), group: &groupReading{cpu: s, mem: 1000, hasMem: true}, procs: []procReading{procAt(1, 0, 0, 7)}})
		tl.add(reading{at: at(s), group: &groupReading{cpu: 1900 * ms, mem: 2000, hasMem: true}, procs: []procReading{procAt(1, s, 600*ms, 7)}})
		got := tl.summary()
		// The group's figures are the totals; the row's, cpu.sustained.
		if !approx(got.CPUTotal, 90) || got.RSSTotal != 2000 || !approx(got.CPUSustained, 60) {
			t.Errorf("CPUTotal, RSSTotal, CPUSustained = %v, %v, %v, want 90, 2000, 60", got.CPUTotal, got.RSSTotal, got.CPUSustained)
		}
	})

	t.Run("group without rows", func(t *testing.T) {
		t.Parallel()
		tl := newTally(10 * s)
		tl.add(reading{at: at(0), group: &groupReading{cpu: 0}})
		tl.add(reading{at: at(s), group: &groupReading{cpu: 250 * ms}})
		if got := tl.summary().CPUSustained; !approx(got, 25) {
			t.Errorf("CPUSustained = %v, want 25", got)
		}
	})

	t.Run("one reading has no CPU figure", func(t *testing.T) {
		t.Parallel()
		tl := newTally(10 * s)
		tl.add(reading{at: at(0), procs: []procReading{procAt(1, 0, 0, 7)}})
		got := tl.summary()
		if got.Samples != 1 || got.CPUTotal != 0 || len(got.Timeline) != 0 || got.RSSTotal != 7 {
			t.Errorf("after one reading: %+v", got)
		}
	})
}

func TestErrKind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("pid 3: %w", fs.ErrNotExist), KindGone},
		{fmt.Errorf("cgroup x: %w", fs.ErrPermission), KindPermission},
		{failure(KindScrape, "boom"), KindScrape},
		{errors.New("odd"), KindRead},
	} {
		if got := errKind(tc.err); got != tc.want {
			t.Errorf("errKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// After restart (the measured phase begins), the figures cover only the
// readings that follow: a busy warm-up does not count, the timeline keeps
// it, and Span says how much wall time the figures cover.
func TestTallyRestart(t *testing.T) {
	t.Parallel()
	tl := newTally(30 * time.Second)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	read := func(s int, cpu time.Duration, rss uint64) {
		tl.add(reading{at: at(s), procs: []procReading{{key: "1", pid: 1, at: at(s), cpu: cpu, rss: rss}}})
	}
	read(0, 0, 500)
	read(1, 900*ms, 500) // warm-up: 90 %
	read(2, 1800*ms, 400)
	tl.restart()
	read(3, 1900*ms, 100) // measured: 10 %
	read(4, 2000*ms, 100)
	read(5, 2100*ms, 100)
	s := tl.summary()
	if math.Abs(s.CPUTotal-10) > 1e-9 || math.Abs(s.CPUSustained-10) > 1e-9 || math.Abs(s.Processes[0].CPUMean-10) > 1e-9 {
		t.Errorf("cpu total %.1f, sustained %.1f, mean %.1f; want 10 %% each (the measured phase)", s.CPUTotal, s.CPUSustained, s.Processes[0].CPUMean)
	}
	if s.RSSTotal != 400 || s.Processes[0].RSSPeak != 400 {
		t.Errorf("rss total %d, peak %d; want 400 (the reading the phase began at)", s.RSSTotal, s.Processes[0].RSSPeak)
	}
	if s.Span != 3*time.Second || len(s.Timeline) != 5 {
		t.Errorf("span %v, timeline %d rows; want 3s and the whole 5", s.Span, len(s.Timeline))
	}
	s.Every, s.SustainedWindow = time.Second, 30*time.Second
	if s.WindowFilled() {
		t.Errorf("a 3 s span fills a 30 s window")
	}
}

// rollingMax returns the highest windowMean over every prefix of iv: the
// highest rolling mean over window, or the mean over all of iv when it
// spans less than window. It is what tally computes incrementally.
func rollingMax(iv []interval, window time.Duration) float64 {
	var r rolling
	for i := range iv {
		r.add(iv[:i+1], window)
	}
	return r.value()
}
