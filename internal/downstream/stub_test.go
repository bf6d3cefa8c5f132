package downstream_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

func serve(t *testing.T, spec scenario.StubSpec) *downstream.Stub {
	t.Helper()
	s, err := downstream.Serve(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStubLatency holds a fixed latency of 50 ms at the median within
// 5 ms, with the configured status and body.
func TestStubLatency(t *testing.T) {
	s := serve(t, scenario.StubSpec{LatencyMin: 50 * time.Millisecond, LatencyMax: 50 * time.Millisecond, Status: 202, Body: `{"data": []}`})
	var took []time.Duration
	for range 40 {
		start := time.Now()
		resp, err := http.Get(s.URL() + "/v1/embeddings")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(start))
		if resp.StatusCode != 202 || string(body) != `{"data": []}` {
			t.Fatalf("got %d %q, want 202 and the body", resp.StatusCode, body)
		}
	}
	slices.Sort(took)
	p50 := took[len(took)/2]
	t.Logf("stub latency 50ms: p50 %v (min %v, max %v)", p50, took[0], took[len(took)-1])
	if p50 < 50*time.Millisecond {
		t.Errorf("p50 %v, shorter than the stub's 50ms", p50)
	}
	if !raceEnabled && p50 > 55*time.Millisecond {
		t.Errorf("p50 %v, want 50ms within 5ms", p50)
	}
	if r := mustRead(t, s); r.Total != 40 || r.By["/v1/embeddings"] != 40 || r.Source != downstream.SourceStub {
		t.Errorf("reading %+v, want 40 calls of /v1/embeddings", r)
	}
}

// TestStubLatencyRange draws latencies uniform in a range: over one
// keep-alive connection, so that the lookup of the caller's process, made
// once per connection, is not in the figures.
func TestStubLatencyRange(t *testing.T) {
	s := serve(t, scenario.StubSpec{LatencyMin: 10 * time.Millisecond, LatencyMax: 30 * time.Millisecond, Status: 200})
	var took []time.Duration
	for i := range 60 {
		start := time.Now()
		resp, err := http.Get(s.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if i > 0 { // the first opened the connection
			took = append(took, time.Since(start))
		}
	}
	slices.Sort(took)
	q := func(p float64) time.Duration { return took[int(p*float64(len(took)-1))] }
	t.Logf("stub latency 10ms..30ms: min %v, p10 %v, p50 %v, p90 %v, max %v", took[0], q(.1), q(.5), q(.9), took[len(took)-1])
	// Uniform over 10ms..30ms: p10 12ms, p50 20ms, p90 28ms; a call
	// never answers early, and may answer late by the machine's jitter.
	if took[0] < 10*time.Millisecond {
		t.Errorf("a call took %v, shorter than the range's 10ms", took[0])
	}
	if raceEnabled {
		return
	}
	for _, c := range []struct {
		p        float64
		want, by time.Duration
	}{{.1, 12 * time.Millisecond, 3 * time.Millisecond}, {.5, 20 * time.Millisecond, 4 * time.Millisecond}, {.9, 28 * time.Millisecond, 3 * time.Millisecond}} {
		if got := q(c.p); got < c.want-c.by || got > c.want+c.by {
			t.Errorf("p%.0f %v, want %v within %v", c.p*100, got, c.want, c.by)
		}
	}
}

// callScript makes N calls to URL, each on a connection of its own.
const callScript = `
import sys, urllib.request
for _ in range(int(sys.argv[2])):
    urllib.request.urlopen(sys.argv[1]).read()
`

// TestStubByPID attributes each call to the process that made it.
func TestStubByPID(t *testing.T) {
	s := serve(t, scenario.StubSpec{Status: 200})
	a := runPython(t, callScript, s.URL()+"/customers", "7")
	b := runPython(t, callScript, s.URL()+"/figma", "12")
	r := mustRead(t, s)
	t.Logf("by pid: %v (child %d made 7 calls, child %d made 12)", r.ByPID, a, b)
	if r.ByPID[a] != 7 || r.ByPID[b] != 12 || r.Total != 19 {
		t.Errorf("ByPID %v, want %d: 7 and %d: 12", r.ByPID, a, b)
	}
	if r.By["/customers"] != 7 || r.By["/figma"] != 12 {
		t.Errorf("By %v, want /customers: 7 and /figma: 12", r.By)
	}
}

// TestStubClose answers calls still waiting out their latency and returns
// once they are answered.
func TestStubClose(t *testing.T) {
	s, err := downstream.Serve(context.Background(), scenario.StubSpec{LatencyMin: 30 * time.Second, LatencyMax: 30 * time.Second, Status: 200})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 3)
	for range 3 {
		go func() {
			resp, err := http.Get(s.URL())
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); mustRead(t, s).Total < 3 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v with calls waiting 30s, want them answered at once", took)
	}
	for range 3 {
		if code := <-done; code != 200 {
			t.Errorf("a waiting call got %s, want 200", strconv.Itoa(code))
		}
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Error("the stub still answers after Close")
	}
}
