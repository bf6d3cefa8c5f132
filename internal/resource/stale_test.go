//go:build linux

package resource

import (
	"testing"
	"time"
)

// The README promises of the Prometheus source: a series missing from a
// scrape keeps its last counter and comes back, its CPU counted when it
// does, and it counts as exited after 30 s unseen. Series a is scraped at
// 0 s and then missing (b answers every scrape) until it comes back at
// lastSeen, or never.
func TestSeriesExitsAfter30sUnseen(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := []struct {
		name     string
		until    time.Duration // the last scrape
		back     time.Duration // when a is scraped again; 0: never
		exited   time.Duration // want Exited; 0: not exited
		wantMean float64       // a's CPUMean, % of one core
	}{
		{"30 s unseen is still running", 30 * s, 0, 0, 0},
		{"31 s unseen has exited", 31 * s, 0, 31 * s, 0},
		{"back after 30 s, its CPU counted", 31 * s, 30 * s, 0, 10},
		{"back after 32 s is too late", 32 * s, 32 * s, 31 * s, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tl := newTally(10 * s)
			series := func(key string, when, cpu time.Duration) procReading {
				return procReading{key: key, name: key, at: at(when), cpu: cpu, rss: 1000}
			}
			tl.add(reading{at: at(0), keepMissing: true, procs: []procReading{series("a", 0, 0), series("b", 0, 0)}})
			for when := s; when <= tc.until; when += s {
				procs := []procReading{series("b", when, when/2)}
				if tc.back != 0 && when == tc.back {
					// 10 % of a core over the whole absence.
					procs = append(procs, series("a", when, when/10))
				}
				tl.add(reading{at: at(when), keepMissing: true, procs: procs})
			}
			sum := tl.summary()
			a := sum.Processes[0]
			switch {
			case tc.exited == 0 && a.Exited != nil:
				t.Errorf("series a exited after %v, want it running", *a.Exited)
			case tc.exited != 0 && (a.Exited == nil || *a.Exited != tc.exited):
				t.Errorf("series a exited after %v, want %v", a.Exited, tc.exited)
			}
			if !approx(a.CPUMean, tc.wantMean) {
				t.Errorf("series a CPUMean = %v %%, want %v", a.CPUMean, tc.wantMean)
			}
		})
	}
}
