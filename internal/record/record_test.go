package record

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestHistogramPercentiles(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	p := h.Percentiles()
	tests := []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"p50", p.P50.Duration(), 500 * time.Millisecond},
		{"p95", p.P95.Duration(), 950 * time.Millisecond},
		{"p99", p.P99.Duration(), 990 * time.Millisecond},
		{"max", p.Max.Duration(), time.Second},
	}
	for _, tc := range tests {
		// 3 significant digits: within 0.1 %.
		if d := tc.got - tc.want; d < -tc.want/1000 || d > tc.want/1000 {
			t.Errorf("%s = %v, want %v ± 0.1%%", tc.name, tc.got, tc.want)
		}
	}
}

func TestHistogramOutOfRangeAndRoundTrip(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	h.Record(2 * time.Minute)
	h.Record(0)
	if h.OutOfRange != 1 || h.Count() != 2 {
		t.Errorf("OutOfRange = %d, Count = %d, want 1, 2", h.OutOfRange, h.Count())
	}
	s, err := h.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeHistogram(s)
	if err != nil {
		t.Fatal(err)
	}
	if back.Count() != 2 || back.Quantile(100) != h.Quantile(100) {
		t.Errorf("decoded count %d max %v, want 2 and %v", back.Count(), back.Quantile(100), h.Quantile(100))
	}
	// Merging two decoded halves gives the whole.
	a, b := NewHistogram(), NewHistogram()
	for i := 0; i < 100; i++ {
		a.Record(10 * time.Millisecond)
		b.Record(30 * time.Millisecond)
	}
	a.Merge(b)
	if got := a.Quantile(50); got < 9*time.Millisecond || got > 11*time.Millisecond {
		t.Errorf("merged p50 = %v, want ≈ 10ms", got)
	}
	if got := a.Quantile(75); got < 29*time.Millisecond || got > 31*time.Millisecond {
		t.Errorf("merged p75 = %v, want ≈ 30ms", got)
	}
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	r := New([]string{"search", "home"})
	r.Begin(start)
	hit := func(ep int, at, late, lat time.Duration, code uint16, err string) {
		intended := start.Add(at)
		r.Record(&Hit{Endpoint: ep, Intended: intended, Sent: intended.Add(late), Latency: lat, Code: code, Err: err, BytesIn: 100, BytesOut: 10})
	}
	// In completion order, as results arrive.
	hit(0, 0, 0, 100*time.Millisecond, 200, "")
	hit(1, 1200*time.Millisecond, 0, 10*time.Millisecond, 500, "500 Internal Server Error")
	hit(0, 500*time.Millisecond, 2*time.Second, 100*time.Millisecond, 200, "") // sent 2 s late
	hit(1, 3100*time.Millisecond, 0, 500*time.Millisecond, 0, `Get "http://127.0.0.1:1/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)
	s := r.Close(start.Add(4 * time.Second))

	search, _ := s.Endpoint("search")
	if search.Requests != 2 || search.Late != 1 || search.Errors != 0 {
		t.Errorf("search: requests %d late %d errors %d, want 2 1 0", search.Requests, search.Late, search.Errors)
	}
	// The late request waited 2 s in the generator: its corrected latency
	// is 2.1 s, its service time 100 ms.
	if got := search.Latency.Max.Duration(); got < 2090*time.Millisecond || got > 2110*time.Millisecond {
		t.Errorf("search corrected max = %v, want ≈ 2.1s", got)
	}
	if got := search.Service.Max.Duration(); got > 101*time.Millisecond {
		t.Errorf("search service max = %v, want ≈ 100ms", got)
	}
	home, _ := s.Endpoint("home")
	if home.Errors != 2 || len(home.ErrorKinds) != 2 {
		t.Fatalf("home: errors %d kinds %+v, want 2 errors of 2 kinds", home.Errors, home.ErrorKinds)
	}
	kinds := map[string]uint64{}
	for _, k := range home.ErrorKinds {
		kinds[k.Kind] = k.Count
	}
	if kinds["http 5xx"] != 1 || kinds["timeout"] != 1 {
		t.Errorf("error kinds = %v, want one http 5xx and one timeout", kinds)
	}
	if s.Total.Requests != 4 || s.Total.BytesIn != 400 || s.Total.Rate != 1 {
		t.Errorf("total: requests %d bytes in %d rate %v, want 4, 400, 1/s", s.Total.Requests, s.Total.BytesIn, s.Total.Rate)
	}
	// The timeline runs by completion second, gaps included.
	tl := s.Total.Timeline
	if len(tl) < 4 {
		t.Fatalf("timeline = %+v, want ≥ 4 seconds", tl)
	}
	if tl[0].Requests != 1 || tl[2].Requests != 1 || tl[1].Requests != 1 {
		t.Errorf("timeline requests = %d %d %d, want 1 1 1", tl[0].Requests, tl[1].Requests, tl[2].Requests)
	}
	// The summary survives JSON.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Total.Latency.P99 != s.Total.Latency.P99 {
		t.Errorf("JSON round trip: p99 %v, want %v", back.Total.Latency.P99, s.Total.Latency.P99)
	}
	// The percentiles hold the two successes; the two failures are apart.
	h, err := DecodeHistogram(back.Total.LatencyHist)
	if err != nil || h.Count() != 2 {
		t.Errorf("decoded histogram: count %v err %v, want the 2 successes", h, err)
	}
	if e, err := DecodeHistogram(back.Total.ErrorHist); err != nil || e.Count() != 2 {
		t.Errorf("decoded error histogram: count %v err %v, want the 2 failures", e, err)
	}
}

// Errors are kept out of the percentiles: three fast 503s to every slow
// success must not pull p50 down to the 503s' latency.
func TestErrorsApartFromPercentiles(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	r := New([]string{"a"})
	r.Begin(start)
	for i := range 100 {
		at := start.Add(time.Duration(i) * 10 * time.Millisecond)
		if i%4 == 0 {
			r.Record(&Hit{Intended: at, Sent: at, Latency: 500 * time.Millisecond, Code: 200})
			continue
		}
		r.Record(&Hit{Intended: at, Sent: at, Latency: 2 * time.Millisecond, Code: 503, Err: "503 Service Unavailable"})
	}
	tot := r.Close(start.Add(2 * time.Second)).Total
	if got := tot.Latency.P50.Duration(); got < 499*time.Millisecond || got > 501*time.Millisecond {
		t.Errorf("p50 = %v, want 500ms: the successes only", got)
	}
	if got := tot.ErrorRate(); got != 75 {
		t.Errorf("errors = %.1f%%, want 75%%", got)
	}
	if got := tot.ErrorLatency.P50.Duration(); got < 1990*time.Microsecond || got > 2010*time.Microsecond {
		t.Errorf("error p50 = %v, want 2ms", got)
	}
	if tot.Successes() != 25 {
		t.Errorf("successes = %d, want 25", tot.Successes())
	}
}

// Achieved counts the successes completed within the measured phase; a
// response completing after it is in the latency figures only, and its
// time in flight after the phase is not in the in-flight mean.
func TestAchievedWithinPhase(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	r := NewLimited([]string{"a"}, Limits{Phase: 2 * time.Second})
	r.Begin(start)
	hit := func(at, lat time.Duration, code uint16) {
		sent := start.Add(at)
		h := &Hit{Intended: sent, Sent: sent, Latency: lat, Code: code}
		if code != 200 {
			h.Err = "503 Service Unavailable"
		}
		r.Record(h)
	}
	hit(0, 500*time.Millisecond, 200)                      // in the phase
	hit(500*time.Millisecond, 1000*time.Millisecond, 200)  // in the phase
	hit(time.Second, 10*time.Millisecond, 503)             // an error: not achieved
	hit(1500*time.Millisecond, 1500*time.Millisecond, 200) // completes 1 s after the phase
	s := r.Close(start.Add(3 * time.Second))
	tot := s.Total
	if s.Elapsed != 2*time.Second {
		t.Errorf("elapsed = %v, want the 2s phase", s.Elapsed)
	}
	if tot.Achieved != 1 || tot.Rate != 2 || tot.AfterPhase != 1 {
		t.Errorf("achieved %.2f/s, sent %.2f/s, after the phase %d; want 1/s (2 successes in 2 s), 2/s, 1", tot.Achieved, tot.Rate, tot.AfterPhase)
	}
	// In flight within the phase: 0.5 + 1 + 0.01 + 0.5 s over 2 s.
	if want := 2.01 / 2; math.Abs(tot.InflightMean-want) > 1e-9 {
		t.Errorf("in flight mean = %.4f, want %.4f", tot.InflightMean, want)
	}
	if got := tot.Latency.Max.Duration(); got < 1499*time.Millisecond || got > 1501*time.Millisecond {
		t.Errorf("max = %v, want the late response's 1.5s", got)
	}
}

// A value past the ceiling is recorded as the ceiling and marked: the
// figure is a lower bound. The ceiling reaches twice the timeout.
func TestClippedPercentiles(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		timeout, lat time.Duration
		clipped      bool
	}{
		{30 * time.Second, 90 * time.Second, true},
		{30 * time.Second, 59 * time.Second, false},
		{90 * time.Second, 90 * time.Second, false},
	} {
		r := NewLimited([]string{"a"}, Limits{Timeout: tc.timeout})
		r.Begin(start)
		r.Record(&Hit{Intended: start, Sent: start, Latency: tc.lat, Code: 200})
		p := r.Close(start.Add(tc.lat)).Total.Latency
		if p.Clipped(p.Max) != tc.clipped || p.Clipped(p.P50) != tc.clipped {
			t.Errorf("timeout %v, latency %v: max %v clipped %v (ceiling %v), want %v",
				tc.timeout, tc.lat, p.Max.Duration(), p.Clipped(p.Max), p.Ceiling.Duration(), tc.clipped)
		}
		if !tc.clipped && (p.Max.Duration() < tc.lat-tc.lat/1000 || p.Max.Duration() > tc.lat+tc.lat/1000) {
			t.Errorf("timeout %v: max %v, want %v", tc.timeout, p.Max.Duration(), tc.lat)
		}
	}
}

func TestErrorKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code uint16
		err  string
		want string
	}{
		{503, "503 Service Unavailable", "http 5xx"},
		{404, "404 Not Found", "http 4xx"},
		{0, `Get "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused`, "refused"},
		{0, `Get "http://x/": read tcp 127.0.0.1:5->127.0.0.1:6: read: connection reset by peer`, "reset"},
		{0, `Get "http://x/": EOF`, "eof"},
		{0, `Get "http://x/": net/http: request canceled (Client.Timeout exceeded while awaiting headers)`, "timeout"},
		{0, "something new", "other"},
	}
	for _, tc := range tests {
		if got := ErrorKind(tc.code, tc.err); got != tc.want {
			t.Errorf("ErrorKind(%d, %q) = %q, want %q", tc.code, tc.err, got, tc.want)
		}
	}
}

// Memory stays flat in run length: recording a million hits allocates
// nothing per hit.
func TestRecordDoesNotAllocate(t *testing.T) {
	r := New([]string{"a"})
	start := time.Now()
	r.Begin(start)
	h := &Hit{Intended: start, Sent: start, Latency: time.Millisecond, Code: 200}
	allocs := testing.AllocsPerRun(10000, func() {
		h.Latency += time.Microsecond
		r.Record(h)
	})
	if allocs > 0.01 {
		t.Errorf("Record allocates %.2f per hit, want 0", allocs)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := New([]string{"a", "b"})
	start := time.Now()
	r.Begin(start)
	h := &Hit{Intended: start, Sent: start, Latency: time.Millisecond, Code: 200}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Endpoint = i & 1
		h.Latency = time.Duration(i%5000) * time.Microsecond
		r.Record(h)
	}
}

// TestMergeKeepsHigherCeiling: a part recorded with a higher ceiling (a
// longer timeout) merges into a default histogram without clipping.
func TestMergeKeepsHigherCeiling(t *testing.T) {
	into, part := NewHistogram(), NewHistogramUpTo(3*time.Minute)
	into.Record(time.Second)
	part.Record(90 * time.Second)
	into.Merge(part)
	if into.OutOfRange != 0 || into.Count() != 2 {
		t.Errorf("merged: %d values, %d out of range; want 2 and 0", into.Count(), into.OutOfRange)
	}
	if q := into.Quantile(100); q < 89*time.Second || q > 91*time.Second {
		t.Errorf("merged max = %v, want ≈ 90s", q)
	}
}
