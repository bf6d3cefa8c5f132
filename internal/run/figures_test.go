package run_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/capacity"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// loadScenario writes a scenario and a target for a server the test
// started, and loads them.
func loadScenario(t *testing.T, baseURL, scenarioYAML string) (*scenario.Scenario, *scenario.Target) {
	t.Helper()
	return loadFiles(t, "name: test server\nbase_url: "+baseURL+"\n", scenarioYAML)
}

// executeAt runs the scenario against a server the test started, which
// loadcheck does not start or stop.
func executeAt(t *testing.T, ctx context.Context, baseURL, scenarioYAML string) (*result.Result, error) {
	t.Helper()
	sc, tg := loadScenario(t, baseURL, scenarioYAML)
	return run.Execute(ctx, run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
}

// limitedServer completes at most perSecond requests a second, one every
// 1/perSecond, in arrival order; like uvicorn's --limit-concurrency it
// answers 503 at once when queue requests are already waiting.
func limitedServer(t *testing.T, perSecond, queue int) *httptest.Server {
	t.Helper()
	tokens := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				select {
				case tokens <- struct{}{}:
				case <-stop:
					return
				}
			case <-stop:
				return
			}
		}
	}()
	var waiting atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if waiting.Add(1) > int64(queue) {
			waiting.Add(-1)
			http.Error(w, "over the concurrency limit", http.StatusServiceUnavailable)
			return
		}
		defer waiting.Add(-1)
		select {
		case <-tokens:
			w.Write([]byte("ok"))
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(stop); s.Close() })
	return s
}

// Offered twice what the server completes, the achieved rate is what it
// completes, not what loadcheck sent.
func TestAchievedAtCapacity(t *testing.T) {
	s := limitedServer(t, 50, 20)
	res, err := executeAt(t, context.Background(), s.URL, `duration: 5s
warmup: 0s
http:
  load: {rate: 100/s}
  endpoints: [{name: root, path: /}]
gates: ["http.rate >= 90/s"]
`)
	if err != nil {
		t.Fatal(err)
	}
	tot := res.HTTP.Total
	if tot.Achieved < 45 || tot.Achieved > 55 {
		t.Errorf("achieved %.1f/s, want 45–55/s (the server completes 50/s)", tot.Achieved)
	}
	if tot.Rate < 90 {
		t.Errorf("sent %.1f/s, want ≈ 100/s", tot.Rate)
	}
	if res.Pass || res.Gates[0].Observed == nil || res.Gates[0].Observed.V > 55 {
		t.Errorf("gate http.rate >= 90/s: %+v, want it to fail on the achieved rate", res.Gates[0])
	}
}

// Three fast 503s to every 500 ms success: the percentiles are those of
// the successes, and the errors are counted apart.
func TestErrorsOutsidePercentiles(t *testing.T) {
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/work" {
			return // the reachability check gets its 200
		}
		if n.Add(1)%4 != 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		time.Sleep(500 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	res, err := executeAt(t, context.Background(), s.URL, `duration: 3s
warmup: 0s
http:
  load: {rate: 20/s}
  endpoints: [{name: work, path: /work}]
`)
	if err != nil {
		t.Fatal(err)
	}
	tot := res.HTTP.Total
	if p50 := tot.Latency.P50.Duration(); p50 < 495*time.Millisecond || p50 > 600*time.Millisecond {
		t.Errorf("p50 = %v, want ≈ 500ms (the successes)", p50)
	}
	if e := tot.ErrorRate(); e < 73 || e > 77 {
		t.Errorf("errors = %.1f%%, want 75%%", e)
	}
	if tot.ErrorLatency.P50.Duration() > 100*time.Millisecond {
		t.Errorf("error p50 = %v, want the fast 503s", tot.ErrorLatency.P50.Duration())
	}
}

// A server that queues instead of refusing, searched with steps too short
// for its queue to fail a gate: the steps it cannot keep up with fail
// because their achieved rate fell short, not on any gate.
func TestSaturateFailsWhenTheTargetFallsBehind(t *testing.T) {
	s := limitedServer(t, 50, 1000)
	sc, tg := loadScenario(t, s.URL, `duration: 3s
warmup: 0s
http:
  load: {rate: 10/s}
  timeout: 10s
  endpoints: [{name: root, path: /}]
gates: ["http.errors < 1%"]
`)
	sat := saturateFrom40(t, sc, tg)
	var rows []string
	for _, st := range sat.Steps {
		rows = append(rows, fmt.Sprintf("offered %.0f achieved %.1f errors %.1f%% %v", st.Rate, st.Achieved, st.Errors, st.Failed()))
	}
	if len(sat.Steps) != 3 || sat.Capacity != 40 {
		t.Fatalf("capacity %v after steps %v, want 40 after 40, 80 and 60/s", sat.Capacity, rows)
	}
	for _, st := range sat.Steps[1:] {
		if st.Pass || st.Errors > 0 || !strings.HasSuffix(st.FellBehind, fmt.Sprintf("of %.0f/s offered: the target fell behind", st.Rate)) {
			t.Errorf("offered %.0f/s to a 50/s server: pass %v, errors %.1f%%, fell behind %q; want a failure that says the target fell behind, no error (steps %v)",
				st.Rate, st.Pass, st.Errors, st.FellBehind, rows)
		}
	}
}

// saturateFrom40 searches the capacity of sc's target from 40/s, 3 s a
// step, bisecting to within 50 %: 40, 80 and 60/s.
func saturateFrom40(t *testing.T, sc *scenario.Scenario, tg *scenario.Target) *result.Saturation {
	t.Helper()
	sat, err := capacity.Saturate(context.Background(), sc, tg, capacity.SaturateOptions{
		Options: capacity.Options{TargetLog: io.Discard}, Start: 40, Hold: 3 * time.Second, Precision: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sat
}

// On the same server, a capacity search's achieved column flattens at the
// server's 50/s while the offered rate climbs past it.
func TestSaturateAchievedFlattens(t *testing.T) {
	s := limitedServer(t, 50, 20)
	sc, tg := loadScenario(t, s.URL, `duration: 3s
warmup: 0s
http:
  load: {rate: 10/s}
  endpoints: [{name: root, path: /}]
gates: ["http.errors < 1%"]
`)
	sat := saturateFrom40(t, sc, tg)
	var rows []string
	for _, st := range sat.Steps {
		rows = append(rows, fmt.Sprintf("offered %.0f achieved %.1f errors %.1f%%", st.Rate, st.Achieved, st.Errors))
	}
	if len(sat.Steps) != 3 {
		t.Fatalf("steps %v, want 40, 80 and 60/s", rows)
	}
	for _, st := range sat.Steps {
		want := min(st.Rate, 50)
		if st.Achieved < want*0.9 || st.Achieved > want*1.1 {
			t.Errorf("offered %.0f/s: achieved %.1f/s, want %.0f ± 10%% (steps %v)", st.Rate, st.Achieved, want, rows)
		}
	}
	if sat.Capacity != 40 {
		t.Errorf("capacity %v, want 40 (steps %v)", sat.Capacity, rows)
	}
}
