package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/record"
)

// BenchmarkAttack measures what the generator costs per request: b.N
// requests at LOADCHECK_BENCH_RATE (default 10,000/s) with 50 workers,
// recorded as a run records them. It reports the process's CPU time per
// request and the share sent late. Point LOADCHECK_BENCH_URL at a server on
// another core to leave the server out of the figures and the profile:
//
//	taskset -c 1 bench/bin/fastserver -listen 127.0.0.1:9999 &
//	go test -c -o /tmp/load.test ./internal/load
//	LOADCHECK_BENCH_URL=http://127.0.0.1:9999 taskset -c 0 /tmp/load.test \
//	    -test.run '^$' -test.bench Attack -test.benchtime 100000x -test.cpuprofile /tmp/cpu.out
//
// Without it the benchmark serves 200 bytes from an in-process server.
func BenchmarkAttack(b *testing.B) {
	url, perSec, d := benchSetup(b)
	sc := newScenario(constant(perSec, d), d)
	sc.HTTP.MaxWorkers = 50
	// The shipped client model: 100 clients, each from a loopback /24 of
	// its own (LOADCHECK_BENCH_CLIENTS changes the count).
	sc.HTTP.Clients = 100
	if n, err := strconv.Atoi(os.Getenv("LOADCHECK_BENCH_CLIENTS")); err == nil && n > 0 {
		sc.HTTP.Clients = n
	}
	a, err := New(sc, url, clientaddr.Spread(clientaddr.Counts{HTTP: sc.HTTP.Clients}), nil)
	if err != nil {
		b.Fatal(err)
	}
	rec := record.New([]string{"root"})
	cpu0 := cpuTime()
	b.ResetTimer()
	st := a.Run(context.Background(), rec)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	sum := rec.Close(st.Ended)
	n := max(sum.Total.Requests, 1)
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/req")
	b.ReportMetric(100*float64(sum.Total.Late)/float64(n), "late-%")
	b.ReportMetric(100*float64(sum.Total.Errors)/float64(n), "errors-%")
}

// BenchmarkVegetaLibrary is the floor BenchmarkAttack is measured
// against: the vegeta library alone, as bench/vegetalib runs it in make
// bench (the CLI's defaults, the same worker cap, results drained and only
// counted), with the same environment variables. Run both in turn, on the
// same server, and compare their cpu-µs/req:
//
//	LOADCHECK_BENCH_URL=http://127.0.0.1:9999 taskset -c 0 /tmp/load.test \
//	    -test.run '^$' -test.bench 'Attack|VegetaLibrary' -test.benchtime 80000x -test.count 4
func BenchmarkVegetaLibrary(b *testing.B) {
	url, perSec, d := benchSetup(b)
	atk := vegeta.NewAttacker(vegeta.MaxBody(0), vegeta.Timeout(10*time.Second), vegeta.MaxWorkers(50))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url + "/"})
	cpu0 := cpuTime()
	b.ResetTimer()
	var n, errs int
	for res := range atk.Attack(tr, vegeta.ConstantPacer{Freq: int(perSec), Per: time.Second}, d, "floor") {
		n++
		if res.Error != "" || res.Code < 200 || res.Code >= 400 {
			errs++
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(max(n, 1)), "cpu-µs/req")
	b.ReportMetric(100*float64(errs)/float64(max(n, 1)), "errors-%")
}

// benchSetup returns the benchmark's server URL (LOADCHECK_BENCH_URL, or a
// server of its own answering 200 bytes, stopped when b ends), its rate
// (LOADCHECK_BENCH_RATE, default 10,000/s) and the duration that sends b.N
// requests at that rate.
func benchSetup(b *testing.B) (url string, perSec float64, d time.Duration) {
	url = os.Getenv("LOADCHECK_BENCH_URL")
	if url == "" {
		body := []byte(strings.Repeat("x", 200))
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
		b.Cleanup(s.Close)
		url = s.URL
	}
	perSec = 10000.0
	if r, err := strconv.ParseFloat(os.Getenv("LOADCHECK_BENCH_RATE"), 64); err == nil && r > 0 {
		perSec = r
	}
	d = time.Duration(float64(b.N) / perSec * float64(time.Second))
	return url, perSec, max(d, 10*time.Millisecond)
}

// cpuTime returns the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
