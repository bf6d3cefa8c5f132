package probe

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/probe/probetest"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// startChild starts this test binary as a Hub target and returns its URL.
func startChild(b *testing.B) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("target process: %v", err)
	}
	return "http://" + strings.TrimSpace(addr)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// BenchmarkBoards10k holds LOADCHECK_BENCH_BOARDS boards (default 10000)
// for LOADCHECK_BENCH_HOLD (default 60s) with broadcasts at 1/s, and
// reports loadcheck's peak RSS, CPU time, delivery p95 and loss. The
// target is LOADCHECK_BENCH_URL (e.g. a running `loadcheck sim`; paths
// /ws/dispatch and /api/dispatch/broadcast) or, by default, a
// probetest.Hub in a child process. It runs once whatever b.N is: use
// -benchtime=1x and -run '^$' so no test inflates the peak RSS.
// LOADCHECK_BENCH_HEAP=FILE writes a heap profile at the end of the hold.
//
//	go test -run '^$' -bench Boards10k -benchtime 1x ./internal/probe/
func BenchmarkBoards10k(b *testing.B) {
	boards, err := strconv.Atoi(envOr("LOADCHECK_BENCH_BOARDS", "10000"))
	if err != nil {
		b.Fatalf("LOADCHECK_BENCH_BOARDS: %v", err)
	}
	hold, err := time.ParseDuration(envOr("LOADCHECK_BENCH_HOLD", "60s"))
	if err != nil {
		b.Fatalf("LOADCHECK_BENCH_HOLD: %v", err)
	}
	stagger, err := time.ParseDuration(envOr("LOADCHECK_BENCH_STAGGER", "500us"))
	if err != nil {
		b.Fatalf("LOADCHECK_BENCH_STAGGER: %v", err)
	}
	url := os.Getenv("LOADCHECK_BENCH_URL")
	if url == "" {
		url = startChild(b)
	}
	cfg := scenario.WebSocket{
		Boards: boards, Path: probetest.WSPath, Stagger: stagger, Grace: 2 * time.Second,
		Broadcast: scenario.Broadcast{Path: probetest.BroadcastPath, Rate: unit.Rate{Freq: 1, Per: time.Second}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), hold+10*time.Minute)
	defer cancel()

	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	ws, err := StartWS(ctx, url, cfg, clientaddr.Plan{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	connectAll := time.Since(start)
	if err := ws.Broadcast(ctx, hold); err != nil {
		b.Error(err)
	}
	if path := os.Getenv("LOADCHECK_BENCH_HEAP"); path != "" {
		writeHeapProfile(b, path) // what the boards hold, before Close frees it
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	goroutines := runtime.NumGoroutine()
	sum := ws.Close(ctx)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	hwm := procStatus("VmHWM")

	b.ReportMetric(float64(sum.Connected), "boards")
	b.ReportMetric(float64(hwm)/(1<<20), "MiB-rss-peak")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(float64(sum.Delivery.P95.Duration())/1e6, "ms-delivery-p95")
	b.ReportMetric(sum.Loss, "%loss")
	b.ReportMetric(0, "ns/op")
	b.Logf("boards %d connected %d (all up in %v, connect p95 %v), events sent %d acked %d, expected %d delivered %d missing %d loss %.3f%% dup %d, not expected %d, reconnects %d",
		sum.Boards, sum.Connected, connectAll.Round(time.Millisecond), sum.Connect.P95.Duration(), sum.Sent, sum.Acked,
		sum.Expected, sum.Delivered, sum.Missing, sum.Loss, sum.Duplicates, sum.NotExpected, sum.Reconnects)
	b.Logf("delivery p50 %v p95 %v p99 %v max %v; broadcast POST p95 %v",
		sum.Delivery.P50.Duration(), sum.Delivery.P95.Duration(), sum.Delivery.P99.Duration(), sum.Delivery.Max.Duration(),
		sum.Broadcast.Latency.P95.Duration())
	var tl []string
	for _, sec := range sum.Broadcast.Timeline {
		tl = append(tl, sec.P95.Duration().Round(time.Millisecond).String())
	}
	b.Logf("broadcast POST p95 per second: %s", strings.Join(tl, " "))
	b.Logf("loadcheck: peak RSS %.1f MiB, CPU %.2f s over %v; at the end of the hold: heap in use %.1f MiB, stacks %.1f MiB, goroutines %d",
		float64(hwm)/(1<<20), cpu.Seconds(), time.Since(start).Round(time.Second),
		float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), goroutines)
}

// writeHeapProfile writes the live heap to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Error(err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Error(err)
	}
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus returns a "kB" field of /proc/self/status in bytes, 0 when
// unknown.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
