//go:build linux

package resource

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// treeOf5 starts a helper with four children and returns a Sampler of its
// tree once all five processes are seen.
func treeOf5(tb testing.TB, every time.Duration) *Sampler {
	tb.Helper()
	root := startHelper(tb, "spawn:4").Process.Pid
	s, err := New(scenario.Source{}, root, scenario.Resources{Every: every})
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

// TestSamplingCost runs the process-tree sampler at 1s for 30 samples on a
// tree of five processes and reports the CPU time this process used. It
// takes 30s, so it runs only with LOADCHECK_SAMPLING_COST=1; run it alone
// (-run TestSamplingCost) so that nothing else uses this process's CPU.
func TestSamplingCost(t *testing.T) {
	if os.Getenv("LOADCHECK_SAMPLING_COST") == "" {
		t.Skip("set LOADCHECK_SAMPLING_COST=1 to measure the sampler's CPU over 30s")
	}
	s := treeOf5(t, time.Second)
	procs, _ := s.src.(*procSource).procs.List()
	self := os.Getpid()
	cpu0, wall0 := procCPU(t, self), time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 29500*time.Millisecond)
	defer cancel()
	s.Run(ctx)
	cpu1, wall1 := procCPU(t, self), time.Now()
	sum := s.Summary()
	t.Logf("%d samples of %d processes (%d on the host) in %v: %v CPU, %.3f %% of one core, %v per sample",
		sum.Samples, len(sum.Processes), len(procs), wall1.Sub(wall0).Round(time.Millisecond),
		cpu1-cpu0, cpuPercent(cpu1-cpu0, wall1.Sub(wall0)), (cpu1-cpu0)/time.Duration(sum.Samples))
}
