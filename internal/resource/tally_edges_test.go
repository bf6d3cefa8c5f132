//go:build linux

package resource

import (
	"testing"
	"time"
)

// An interval counts in a window when at least half of it fits, and a
// series fills the window when one more interval like its first would
// not: the edges of "30 intervals of 1 s make a 30 s window".
func TestWindowMeanEdges(t *testing.T) {
	t.Parallel()
	s := time.Second
	busyFirst := []interval{{wall: s, cpu: s}, {wall: s}, {wall: s}}
	// 2.5 s: the first interval fits by exactly half, so it counts in.
	if m, full := windowMean(busyFirst, 2500*time.Millisecond); !approx(m, 100.0/3) || !full {
		t.Errorf("windowMean over 2.5 s = %v, %v; want 33.3 (all three intervals), full", m, full)
	}
	if m, full := windowMean(busyFirst, 2*s); !approx(m, 0) || !full {
		t.Errorf("windowMean over 2 s = %v, %v; want 0 (the last two), full", m, full)
	}
	for _, tc := range []struct {
		n      int
		window time.Duration
		full   bool
	}{
		{1, 1500 * time.Millisecond, false}, // one more 1 s interval would still count in
		{2, 1500 * time.Millisecond, true},
		{29, 29500 * time.Millisecond, false},
		{30, 30 * s, true},
	} {
		iv := make([]interval, tc.n)
		for i := range iv {
			iv[i] = interval{wall: s, cpu: s / 2}
		}
		if _, full := windowMean(iv, tc.window); full != tc.full {
			t.Errorf("%d intervals of 1 s over %v: full = %v, want %v", tc.n, tc.window, full, tc.full)
		}
	}
}

// A process that used no CPU in an interval has 0 % for it — its
// cumulative counter is not taken for a reset — and so has a group. A
// process keeps its name and role through readings that lack them, and
// "master" wins over another role. A restart before any interval has
// nothing to start from and is harmless.
func TestTallyIdleNamesRoles(t *testing.T) {
	t.Parallel()
	s := time.Second
	tl := newTally(10 * s)
	tl.restart()
	first := procAt(1, 0, 5*s, 7)
	first.role = "worker"
	tl.add(reading{at: at(0), procs: []procReading{first}, group: &groupReading{cpu: 9 * s}})
	tl.restart()
	second := procAt(1, s, 5*s, 7)
	second.name = ""
	tl.add(reading{at: at(s), procs: []procReading{second}, group: &groupReading{cpu: 9 * s}})
	third := procAt(1, 2*s, 5*s, 7)
	third.role = "master"
	tl.add(reading{at: at(2 * s), procs: []procReading{third}, group: &groupReading{cpu: 9 * s}})
	fourth := procAt(1, 3*s, 5*s, 7)
	fourth.role = "worker"
	tl.add(reading{at: at(3 * s), procs: []procReading{fourth}, group: &groupReading{cpu: 9 * s}})
	sum := tl.summary()
	p := sum.Processes[0]
	if !approx(p.CPUMean, 0) || !approx(sum.CPUTotal, 0) {
		t.Errorf("an idle process: CPUMean %v, group CPUTotal %v; want 0 and 0", p.CPUMean, sum.CPUTotal)
	}
	if p.Name != "p1" || p.Role != "master" {
		t.Errorf("name %q role %q, want p1 and master", p.Name, p.Role)
	}
}
