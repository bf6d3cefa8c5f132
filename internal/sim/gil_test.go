//go:build unix

package sim

import (
	"syscall"
	"testing"
	"time"
)

func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestBurnCPUUsesCPU checks that a CPU cost is CPU time, not wall time:
// the process uses about the asked amount even on a busy machine.
func TestBurnCPUUsesCPU(t *testing.T) {
	const d = 50 * time.Millisecond
	burnCPU(time.Millisecond) // warm up
	before, start := processCPU(t), time.Now()
	burnCPU(d)
	used, wall := processCPU(t)-before, time.Since(start)
	t.Logf("burnCPU(%v): %v CPU in %v wall", d, used, wall)
	if _, ok := threadCPUTime(); !ok {
		t.Skip("no thread CPU clock: burnCPU spins for wall time")
	}
	if used < d-2*time.Millisecond || used > d+d/2 {
		t.Errorf("burnCPU(%v) used %v of process CPU, want about %v", d, used, d)
	}
}
