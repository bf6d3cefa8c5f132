package sim

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// gil models CPython's global interpreter lock together with uvicorn's
// single-threaded event loop: whoever holds it stops every other request
// of the same worker. It is a plain mutex; sync.Mutex turns FIFO under
// contention (starvation mode), close enough to the GIL's hand-off.
type gil struct{ mu sync.Mutex }

// run holds the lock while it burns cpu of CPU time and then sleeps
// blocking of wall time.
func (g *gil) run(cpu, blocking time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	burnCPU(cpu)
	if blocking > 0 {
		time.Sleep(blocking)
	}
}

// pass waits until the lock is free and releases it at once: the event
// loop has to come round before a request, a poll or an accept proceeds.
func (g *gil) pass() {
	g.mu.Lock()
	//lint:ignore SA2001 an empty critical section is the point
	g.mu.Unlock()
}

// burnSink keeps the busy loop from being optimised away.
var burnSink atomic.Uint64

// burnCPU spins until the calling OS thread has used d of CPU time, so a
// 20 ms cost is 20 ms of one core even when the machine is busy and the
// spin takes longer in wall time. Where thread CPU time is not available
// it spins for d of wall time.
func burnCPU(d time.Duration) {
	if d <= 0 {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := threadCPUTime()
	began := time.Now()
	x := uint64(88172645463325252)
	for {
		for range 2000 { // ~5 µs between clock reads
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		if ok {
			if now, _ := threadCPUTime(); now-start >= d {
				break
			}
		} else if time.Since(began) >= d {
			break
		}
	}
	burnSink.Store(x)
}
