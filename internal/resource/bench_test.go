//go:build linux

package resource

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// treeOf5 starts a helper with four children and returns a Sampler of its
// tree once all five processes are seen.
func treeOf5(tb testing.TB, every time.Duration) *Sampler {
	tb.Helper()
	root := startHelper(tb, "spawn:4").Process.Pid
	s, err := New(scenario.ResourceSource{}, root, scenario.Resources{Every: every})
	if err != nil {
		tb.Fatal(err)
	}
	src := s.src.(*procSource)
	for deadline := time.Now().Add(20 * time.Second); ; {
		r, err := src.read(context.Background())
		if err == nil && len(r.procs) == 5 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("tree of %d processes after 20s, want 5", len(r.procs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// BenchmarkSampleTree measures one sample of a process tree of five
// processes: the /proc walk, and the tally. At one sample a second, its
// time per op is the sampler's CPU time per second.
func BenchmarkSampleTree(b *testing.B) {
	s := treeOf5(b, time.Second)
	procs, _ := s.src.(*procSource).procs.List()
	ctx := context.Background()
	for b.Loop() {
		s.sample(ctx)
	}
	b.ReportMetric(float64(len(procs)), "procs-on-host")
}

// TestSamplingCost holds the process-tree sampler to the cost the
// package documents, on a tree of five processes: at most 1 ms of CPU per
// sample, 0.1 % of one core at one sample a second, where the kernel has
// children files; and where it has not (every process's stat is read), at
// most 40 µs per process on the host. Both are about five times what was
// measured. It takes 200 samples back to back
// and measures this process's CPU time (getrusage, to the microsecond),
// not wall time, so a busy machine slows it without failing it. It runs
// alone: no parallel test of the package runs while a serial one does.
// Under the race detector it is skipped (make test runs it again without).
func TestSamplingCost(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies the sampler's CPU time; make test runs this test again without it")
	}
	const samples = 200
	s := treeOf5(t, time.Second)
	src := s.src.(*procSource)
	procs, _ := src.procs.List()
	for _, scanAll := range []bool{false, true} {
		if !scanAll && !src.procs.HasChildrenFiles() {
			continue
		}
		src.scanAll = scanAll
		ctx := t.Context()
		s.sample(ctx) // the first reading opens what later ones reuse
		cpu0 := selfCPU(t)
		for range samples {
			s.sample(ctx)
		}
		per := (selfCPU(t) - cpu0) / samples
		limit := time.Millisecond
		if scanAll {
			limit = time.Duration(len(procs)) * 40 * time.Microsecond
		}
		t.Logf("every process read: %v; a sample of 5 processes (%d on the host): %v of CPU, %.3f %% of one core at 1 s",
			scanAll, len(procs), per, cpuPercent(per, time.Second))
		if sum := s.Summary(); len(sum.Processes) != 5 {
			t.Fatalf("%d processes sampled, want 5", len(sum.Processes))
		}
		if per > limit {
			t.Errorf("every process read: %v; a sample of 5 processes (%d on the host) took %v of CPU, want at most %v", scanAll, len(procs), per, limit)
		}
	}
}

// selfCPU is the CPU time, user and system, this process has used.
func selfCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
