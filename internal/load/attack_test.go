package load

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/schedule"
)

// sleepServer answers every request after d.
func sleepServer(t *testing.T, d time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(d)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func constant(perSec float64, d time.Duration) []schedule.Stage {
	return []schedule.Stage{{To: rate(perSec)}, {Hold: d}}
}

func newScenario(stages []schedule.Stage, d time.Duration, eps ...scenario.Endpoint) *scenario.Scenario {
	if len(eps) == 0 {
		eps = []scenario.Endpoint{{Name: "root", Path: "/", Weight: 1}}
	}
	return &scenario.Scenario{
		Name:     "test",
		Duration: d,
		HTTP: scenario.HTTP{
			Timeout: 10 * time.Second, KeepAlive: true, MaxWorkers: 512,
			Stages: stages, Endpoints: eps,
		},
	}
}

func attack(t *testing.T, ctx context.Context, sc *scenario.Scenario, url string) (record.Summary, Stats) {
	t.Helper()
	a, err := New(sc, url, clientaddr.Plan{}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	names := make([]string, len(sc.HTTP.Endpoints))
	for i, e := range sc.HTTP.Endpoints {
		names[i] = e.Name
	}
	rec := record.New(names)
	st := a.Run(ctx, rec)
	return rec.Close(st.Ended), st
}

func TestFixedLatencyServer(t *testing.T) {
	s, _ := sleepServer(t, 50*time.Millisecond)
	sum, _ := attack(t, context.Background(), newScenario(constant(100, 5*time.Second), 5*time.Second), s.URL)
	tot := sum.Total
	if tot.Requests < 490 || tot.Requests > 510 {
		t.Errorf("requests = %d, want 490–510", tot.Requests)
	}
	if raceEnabled {
		t.Logf("race detector on: p50 %v, p99 %v; the bounds are checked without it", tot.Latency.P50.Duration(), tot.Latency.P99.Duration())
		return
	}
	if p50 := tot.Latency.P50.Duration(); p50 < 50*time.Millisecond || p50 > 55*time.Millisecond {
		t.Errorf("p50 = %v, want 50–55ms", p50)
	}
	if p99 := tot.Latency.P99.Duration(); p99 >= 60*time.Millisecond {
		t.Errorf("p99 = %v, want < 60ms", p99)
	}
	if tot.Errors != 0 || tot.LateRate() > 2 {
		t.Errorf("errors = %d, late = %d, want none and (nearly) none", tot.Errors, tot.Late)
	}
	// Little's law: 100/s × 50 ms ≈ 5 requests in flight.
	if tot.InflightMean < 4 || tot.InflightMean > 6.5 {
		t.Errorf("mean in flight = %.2f, want ≈ 5", tot.InflightMean)
	}
	if len(tot.Timeline) < 5 {
		t.Errorf("timeline has %d seconds, want ≥ 5", len(tot.Timeline))
	}
}

func TestRamp(t *testing.T) {
	s, _ := sleepServer(t, time.Millisecond)
	stages := []schedule.Stage{{To: rate(100), Over: 4 * time.Second}, {Hold: 2 * time.Second}}
	sum, _ := attack(t, context.Background(), newScenario(stages, 6*time.Second), s.URL)
	if n := sum.Total.Requests; n < 388 || n > 412 {
		t.Errorf("requests = %d, want 400 ± 3%%", n)
	}
}

func TestWeights(t *testing.T) {
	s, _ := sleepServer(t, 0)
	sc := newScenario(constant(200, 2*time.Second), 2*time.Second,
		scenario.Endpoint{Name: "a", Path: "/a", Weight: 3},
		scenario.Endpoint{Name: "b", Path: "/b", Weight: 1})
	sum, _ := attack(t, context.Background(), sc, s.URL)
	a, _ := sum.Endpoint("a")
	share := 100 * float64(a.Requests) / float64(sum.Total.Requests)
	if share < 72 || share > 78 {
		t.Errorf("endpoint a got %.1f%% of requests, want 75 ± 3", share)
	}
}

func TestWarmupNotRecorded(t *testing.T) {
	s, served := sleepServer(t, 0)
	sc := newScenario(constant(50, 2*time.Second), 2*time.Second)
	sc.Warmup = 2 * time.Second
	sum, st := attack(t, context.Background(), sc, s.URL)
	if st.Warmup < 95 || st.Warmup > 105 {
		t.Errorf("warm-up hits = %d, want ≈ 100", st.Warmup)
	}
	if got, all := sum.Total.Requests, served.Load(); got < 95 || got > 105 || int64(got)+int64(st.Warmup) != all {
		t.Errorf("recorded %d of %d served with %d warm-up, want ≈ 100 recorded and the rest warm-up", got, all, st.Warmup)
	}
}

func TestFeedValuesSubstituted(t *testing.T) {
	got := make(chan string, 100)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.URL.Query().Get("q") + "|" + r.Header.Get("X-Term"):
		default:
		}
	}))
	defer s.Close()
	fd := &feed.Feed{Columns: []string{"term"}, Rows: [][]string{{"a b"}, {"c"}}}
	sc := newScenario(constant(20, time.Second), time.Second, scenario.Endpoint{
		Name: "search", Path: "/s?q={{.term}}", Headers: map[string]string{"X-Term": "{{.term}}"}, Weight: 1, Feed: fd,
	})
	attack(t, context.Background(), sc, s.URL)
	close(got)
	seen := map[string]int{}
	for v := range got {
		seen[v]++
	}
	if seen["a b|a b"] == 0 || seen["c|c"] == 0 || len(seen) != 2 {
		t.Errorf("server saw %v, want both feed rows in path and header", seen)
	}
}

// With 5 workers against a 200 ms target at 50/s (twice what 5 workers
// carry), requests queue in the generator: the corrected p95 grows to
// seconds while the service time stays near 200 ms.
func TestCoordinatedOmission(t *testing.T) {
	s, _ := sleepServer(t, 200*time.Millisecond)
	tests := []struct {
		name       string
		workers    int
		minLate    float64 // share of late requests, %
		maxLate    float64
		minP95     time.Duration
		maxP95     time.Duration
		maxService time.Duration
	}{
		// A scheduler hiccup on a busy 2-core machine can delay the odd
		// send by 10 ms; the regimes differ by two orders of magnitude.
		{"5 workers", 5, 30, 100, 2 * time.Second, 60 * time.Second, 300 * time.Millisecond},
		{"unlimited", 512, 0, 2, 190 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(constant(50, 10*time.Second), 10*time.Second)
			sc.HTTP.MaxWorkers = tc.workers
			sum, _ := attack(t, context.Background(), sc, s.URL)
			tot := sum.Total
			if raceEnabled && tc.maxLate < 100 {
				// The race detector's slowdown alone makes some sends
				// late (3 % seen on a busy 2-core machine); the race-free
				// pass of make test checks the bound.
				t.Logf("race detector on: late = %d of %d (%.1f%%); the bound is checked without it", tot.Late, tot.Requests, tot.LateRate())
			} else if l := tot.LateRate(); l < tc.minLate || l > tc.maxLate {
				t.Errorf("late = %d of %d (%.1f%%), want %v–%v%%", tot.Late, tot.Requests, l, tc.minLate, tc.maxLate)
			}
			if p95 := tot.Latency.P95.Duration(); p95 < tc.minP95 || p95 > tc.maxP95 {
				t.Errorf("corrected p95 = %v, want %v–%v", p95, tc.minP95, tc.maxP95)
			}
			if p95 := tot.Service.P95.Duration(); p95 > tc.maxService {
				t.Errorf("uncorrected p95 = %v, want ≤ %v", p95, tc.maxService)
			}
		})
	}
}

// Asked for far more than the target carries, the generator keeps its
// worker cap, finishes on time, says it fell behind, and stays bounded in
// memory — where vegeta's CLI without a cap collapses.
func TestOverloadStaysBounded(t *testing.T) {
	s, _ := sleepServer(t, 20*time.Millisecond)
	sc := newScenario(constant(20000, 3*time.Second), 3*time.Second)
	sc.HTTP.MaxWorkers = 64
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	sum, st := attack(t, context.Background(), sc, s.URL)
	took := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if took > 5*time.Second {
		t.Errorf("3 s run took %v, want it to end on time", took)
	}
	if sum.Total.Late == 0 {
		t.Errorf("no late requests reported at 20,000/s against a target carrying ~3,200/s")
	}
	if st.Scheduled <= st.Sent {
		t.Errorf("scheduled %d, sent %d: want unsent requests reported", st.Scheduled, st.Sent)
	}
	if heap := after.HeapInuse; heap > 200<<20 {
		t.Errorf("heap in use %d MiB after the run, want < 200 MiB", heap>>20)
	}
}

func TestStopCancelsInFlight(t *testing.T) {
	s, _ := sleepServer(t, 5*time.Second)
	sc := newScenario(constant(20, 30*time.Second), 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	sum, st := attack(t, ctx, sc, s.URL)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("stopped run took %v, want about 1 s", took)
	}
	if st.Canceled == 0 || sum.Total.Errors != 0 {
		t.Errorf("canceled %d, errors %d: want the cut requests canceled, not counted as errors", st.Canceled, sum.Total.Errors)
	}
}

func TestErrorsClassified(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer s.Close()
	sum, _ := attack(t, context.Background(), newScenario(constant(20, time.Second), time.Second), s.URL)
	if sum.Total.Errors != sum.Total.Requests || sum.Total.Requests == 0 {
		t.Errorf("errors %d of %d, want all", sum.Total.Errors, sum.Total.Requests)
	}
	if len(sum.Total.ErrorKinds) != 1 || sum.Total.ErrorKinds[0].Kind != "http 5xx" {
		t.Errorf("error kinds = %+v, want one: http 5xx", sum.Total.ErrorKinds)
	}
	if sum.Total.Codes["500"] != sum.Total.Requests {
		t.Errorf("codes = %v, want all 500", sum.Total.Codes)
	}
	if sum.Total.BytesIn == 0 {
		t.Errorf("bytes in = 0, want the error bodies counted")
	}
}

// TestClientModel: the load is carried by http.clients independent
// clients, each on its own keep-alive connection (from its own source
// address when the plan spreads them); keepalive false opens a connection
// per request. The server counts the connections it accepted: at least
// one per client, and more only while requests overlap.
func TestClientModel(t *testing.T) {
	spread := clientaddr.Spread(clientaddr.Counts{HTTP: 20})
	if ln, err := net.Listen("tcp", spread.HTTP(0).String()+":0"); err != nil {
		t.Skipf("no %v on this machine: %v", spread.HTTP(0), err)
	} else {
		ln.Close()
	}
	tests := []struct {
		name       string
		clients    int
		keepAlive  bool
		plan       clientaddr.Plan
		perRequest bool
		wantAddrs  int
	}{
		{"one client", 1, true, clientaddr.Plan{}, false, 1},
		{"20 clients", 20, true, clientaddr.Plan{}, false, 1},
		{"20 clients spread", 20, true, spread, false, 20},
		{"a connection per request", 20, false, clientaddr.Plan{}, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			conns := map[string]bool{}
			addrs := map[string]bool{}
			s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("ok"))
			}))
			s.Config.ConnState = func(c net.Conn, st http.ConnState) {
				if st == http.StateNew {
					host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
					mu.Lock()
					conns[c.RemoteAddr().String()] = true
					addrs[host] = true
					mu.Unlock()
				}
			}
			s.Start()
			defer s.Close()
			sc := newScenario(constant(200, time.Second), time.Second)
			sc.HTTP.Clients, sc.HTTP.KeepAlive = tc.clients, tc.keepAlive
			a, err := New(sc, s.URL, tc.plan, nil)
			if err != nil {
				t.Fatal(err)
			}
			st := a.Run(context.Background(), record.New([]string{"root"}))
			mu.Lock()
			defer mu.Unlock()
			// On a starved machine the generator may fall behind and leave
			// a few hits unsent; the connections are counted against what
			// was sent.
			if st.Sent < 100 || st.Sent > 200 {
				t.Fatalf("sent %d, want 100–200 of the 200 scheduled", st.Sent)
			}
			// A request that waits for a connection dials one; when
			// another of its client's frees first it takes that, and the
			// new one joins the pool: up to one more per request in flight.
			lo, hi := tc.clients, tc.clients+2*int(st.InflightMax)
			t.Logf("%d connections from %d addresses, at most %d in flight", len(conns), len(addrs), st.InflightMax)
			if tc.perRequest {
				lo, hi = int(st.Sent), int(st.Sent)
			}
			if n := len(conns); n < lo || n > hi {
				t.Errorf("%d connections for %d requests (at most %d in flight), want %d–%d", n, st.Sent, st.InflightMax, lo, hi)
			}
			if len(addrs) != tc.wantAddrs {
				t.Errorf("connections came from %d addresses, want %d: %v", len(addrs), tc.wantAddrs, addrs)
			}
		})
	}
}

// TestTimeout: http.timeout bounds each request — waiting for headers,
// reading the body, and a whole redirect chain, as http.Client.Timeout
// does — and a request cut by it counts as a timeout.
func TestTimeout(t *testing.T) {
	hold := func(r *http.Request, d time.Duration) {
		select {
		case <-r.Context().Done():
		case <-time.After(d):
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"headers", func(w http.ResponseWriter, r *http.Request) { hold(r, 5*time.Second) }},
		{"body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			hold(r, 5*time.Second)
			w.Write([]byte("late"))
		}},
		// Three hops of 150 ms each: every hop is within the timeout of
		// 300 ms, the chain is not.
		{"redirect chain", func(w http.ResponseWriter, r *http.Request) {
			hold(r, 150*time.Millisecond)
			if n := len(r.URL.Path); n < 4 {
				http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := httptest.NewServer(tc.handler)
			defer s.Close()
			sc := newScenario(constant(10, 500*time.Millisecond), 500*time.Millisecond)
			sc.HTTP.Timeout = 300 * time.Millisecond
			a, err := New(sc, s.URL, clientaddr.Plan{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rec := &cutTimes{Recorder: record.New([]string{"root"})}
			st := a.Run(context.Background(), rec)
			sum := rec.Close(st.Ended)
			if sum.Total.Requests == 0 || sum.Total.Errors != sum.Total.Requests {
				t.Fatalf("errors %d of %d, want all", sum.Total.Errors, sum.Total.Requests)
			}
			if len(sum.Total.ErrorKinds) != 1 || sum.Total.ErrorKinds[0].Kind != "timeout" {
				t.Errorf("error kinds = %+v, want one: timeout", sum.Total.ErrorKinds)
			}
			// Cut at 300 ms, not at the 5 s the server holds on. Each
			// request's own time, from its send to its end, is what the
			// timeout bounds (measured: 300.2–302.5 ms, once 349 ms on a
			// busy machine: 100 ms allows a scheduling hiccup, not a
			// timeout that is late or doubled); the corrected latency
			// adds how late it was sent as well.
			lo, hi := rec.span()
			t.Logf("cut requests ran %v to %v; corrected p99 %v", lo, hi, sum.Total.ErrorLatency.P99.Duration())
			if lo < 300*time.Millisecond || hi > 400*time.Millisecond {
				t.Errorf("cut requests ran %v to %v, want the 300ms timeout (at most 400ms)", lo, hi)
			}
		})
	}
}

// cutTimes records hits, keeping the shortest and the longest time a
// failed request ran, from its actual send.
type cutTimes struct {
	*record.Recorder
	mu     sync.Mutex
	lo, hi time.Duration
}

func (c *cutTimes) Record(h *record.Hit) {
	if h.Err != "" {
		c.mu.Lock()
		if c.lo == 0 || h.Latency < c.lo {
			c.lo = h.Latency
		}
		c.hi = max(c.hi, h.Latency)
		c.mu.Unlock()
	}
	c.Recorder.Record(h)
}

func (c *cutTimes) span() (lo, hi time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lo, c.hi
}
