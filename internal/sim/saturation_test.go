//go:build unix

package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/sim"
)

// TestSaturation drives /api/zeus/search with 20 ms of CPU per request
// from 8 closed-loop clients for 3 s and checks the throughput one and two
// workers reach: ideally 50 and 100 req/s on two free cores. -short skips
// it (7 s of load on every core).
//
// The machine is shared with other test processes, so the lower bounds
// hold only when the workers could have had their cores: when other
// processes (not the workers, not this test) used more than a quarter of
// a core during the run, a rate under the bound skips the subtest instead
// of failing it. What holds under any contention is checked always: each
// request costs 20 ms of worker CPU plus a little overhead.
func TestSaturation(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput test: 7 s of load on every core")
	}
	const cost = 20 * time.Millisecond
	for _, tc := range []struct {
		workers  int
		min, max float64 // req/s
	}{
		// Two workers share the 2 cores with this test's own clients (slower
		// still under -race), so they cannot reach the ideal 100; 60 is
		// already beyond what one worker can serve.
		{1, 35, 60},
		{2, 60, 120},
	} {
		t.Run(fmt.Sprintf("workers=%d", tc.workers), func(t *testing.T) {
			srv := startSim(t, sim.Options{Workers: tc.workers, SearchCPU: cost})
			r := closedLoop(t, srv, "/api/zeus/search?q=saturate", 8, 500*time.Millisecond, 3*time.Second)
			t.Logf("%d worker(s), %v CPU per search, 8 clients: %.1f req/s; workers used %.0f%% of one core, %.1fms CPU per request; other processes %.0f%%",
				tc.workers, cost, r.rate, r.workersBusy*100, r.cpuPerRequest.Seconds()*1000, r.foreignBusy*100)
			if r.cpuPerRequest > 0 && (r.cpuPerRequest < cost-cost/20 || r.cpuPerRequest > cost+cost/2) {
				t.Errorf("worker CPU per request %v, want %v plus a little overhead", r.cpuPerRequest, cost)
			}
			switch {
			case r.rate > tc.max:
				t.Errorf("%d worker(s): %.1f req/s, want at most %v", tc.workers, r.rate, tc.max)
			case r.rate >= tc.min:
			case r.foreignBusy > 0.25:
				t.Skipf("other processes used %.0f%% of one core: %.1f req/s under the %v req/s bound not counted", r.foreignBusy*100, r.rate, tc.min)
			default:
				t.Errorf("%d worker(s): %.1f req/s, want %v..%v (other processes used %.0f%% of one core)", tc.workers, r.rate, tc.min, tc.max, r.foreignBusy*100)
			}
		})
	}
}

type loopResult struct {
	rate          float64       // successful responses per second
	workersBusy   float64       // worker CPU, in cores
	cpuPerRequest time.Duration // worker CPU per successful response; 0 without /proc
	foreignBusy   float64       // CPU of processes other than the workers and this test, in cores
}

// closedLoop runs clients that each send a request as soon as the last
// one answered, on a new connection every time, and measures the rate of
// successful responses and the CPU over measure, after warmup.
func closedLoop(t *testing.T, srv *sim.Server, path string, clients int, warmup, measure time.Duration) loopResult {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), warmup+measure)
	defer cancel()
	var counting atomic.Bool
	var ok, failed atomic.Int64
	var cpu0, self0, busy0 time.Duration
	var began time.Time
	time.AfterFunc(warmup, func() {
		cpu0, self0, busy0 = workersCPU(srv.PIDs()), selfCPU(), machineBusy()
		began = time.Now()
		counting.Store(true)
	})
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+path, nil)
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if counting.Load() && ctx.Err() == nil && resp.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	cpu := workersCPU(srv.PIDs()) - cpu0
	self := selfCPU() - self0
	busy := machineBusy() - busy0
	if n := failed.Load(); n > 0 {
		t.Errorf("%d requests failed", n)
	}
	r := loopResult{rate: float64(ok.Load()) / elapsed.Seconds(), workersBusy: float64(cpu) / float64(elapsed)}
	if n := ok.Load(); n > 0 {
		r.cpuPerRequest = cpu / time.Duration(n)
	}
	if busy > 0 {
		r.foreignBusy = max(0, float64(busy-cpu-self)/float64(elapsed))
	}
	return r
}

// workersCPU sums the CPU time of pids; 0 without /proc.
func workersCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		total += procCPU(strconv.Itoa(pid))
	}
	return total
}

// selfCPU is the CPU time of this test process; 0 without /proc.
func selfCPU() time.Duration { return procCPU("self") }

// procCPU reads utime+stime from /proc/PID/stat; 0 without /proc.
func procCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// After "(comm)": state is field 0, utime field 11, stime field 12.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// machineBusy is the CPU time all cores spent not idle, from /proc/stat;
// 0 without /proc.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var busy uint64
	// user nice system idle iowait irq softirq steal; guest is inside user.
	for i, f := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseUint(f, 10, 64)
		if i < 8 && i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}
