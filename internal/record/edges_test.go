package record

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// The mean is a figure of its own, in the same unit as the percentiles;
// the ceiling is set only when a value was clipped, and a figure exactly
// at it is clipped.
func TestPercentilesMeanAndCeiling(t *testing.T) {
	t.Parallel()
	h := NewHistogramUpTo(time.Second)
	for _, d := range []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond} {
		h.Record(d)
	}
	p := h.Percentiles()
	if got := p.Mean.Duration(); math.Abs(float64(got-20*time.Millisecond)) > float64(50*time.Microsecond) {
		t.Errorf("mean = %v, want 20ms", got)
	}
	if p.Ceiling != 0 || p.Clipped(p.Max) {
		t.Errorf("nothing clipped: ceiling %v, max clipped %v; want none", p.Ceiling, p.Clipped(p.Max))
	}
	h.Record(2 * h.Ceiling())
	p = h.Percentiles()
	if p.Ceiling == 0 || !p.Clipped(p.Ceiling) || !p.Clipped(p.Max) || p.Clipped(p.P50) {
		t.Errorf("one value clipped: ceiling %v, max %v, p50 %v; want the max clipped at the ceiling, not p50", p.Ceiling, p.Max, p.P50)
	}
}

// A response is an error outside 2xx and 3xx, and its kind follows its
// status class at each class's edge.
func TestFailedAndKindAtTheEdges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code   uint16
		err    string
		failed bool
		kind   string
	}{
		{199, "", true, "http 1xx"},
		{100, "", true, "http 1xx"},
		{200, "", false, ""},
		{399, "", false, ""},
		{400, "", true, "http 4xx"},
		{499, "", true, "http 4xx"},
		{500, "", true, "http 5xx"},
		{599, "", true, "http 5xx"},
		{200, "read: connection reset by peer", true, "reset"},
		{0, "dial tcp: connection refused", true, "refused"},
	} {
		if got := Failed(tc.code, tc.err); got != tc.failed {
			t.Errorf("Failed(%d, %q) = %v, want %v", tc.code, tc.err, got, tc.failed)
		}
		if tc.failed {
			if got := ErrorKind(tc.code, tc.err); got != tc.kind {
				t.Errorf("ErrorKind(%d, %q) = %q, want %q", tc.code, tc.err, got, tc.kind)
			}
		}
	}
}

// A request sent exactly 10 ms after its intended time is on time; one a
// microsecond later is late (the README: "more than 10 ms late"). Codes are counted, the timeline's
// rows count errors, the second the recorder is closed in is a row, and
// the error and late shares are of all requests.
func TestRecorderCounts(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	r := New([]string{"a"})
	r.Begin(start)
	hit := func(at, late time.Duration, code uint16, err string) {
		in := start.Add(at)
		r.Record(&Hit{Endpoint: 0, Intended: in, Sent: in.Add(late), Latency: 5 * time.Millisecond, Code: code, Err: err})
	}
	hit(0, 10*time.Millisecond, 200, "")
	hit(100*time.Millisecond, 10*time.Millisecond+time.Microsecond, 200, "")
	hit(200*time.Millisecond, 30*time.Millisecond, 503, "503 Service Unavailable")
	hit(1200*time.Millisecond, 0, 200, "")
	hit(1300*time.Millisecond, 0, 200, "")
	s := r.Close(start.Add(2500 * time.Millisecond))
	a := s.Endpoints[0]
	if a.Late != 2 || a.LateRate() != 40 {
		t.Errorf("late %d (%.1f%%), want 2 (40%%): the two sent more than 10 ms late", a.Late, a.LateRate())
	}
	if a.ErrorRate() != 20 || !reflect.DeepEqual(a.Codes, map[string]uint64{"200": 4, "503": 1}) {
		t.Errorf("errors %.1f%%, codes %v; want 20%% and 4 × 200, 1 × 503", a.ErrorRate(), a.Codes)
	}
	tl := a.Timeline
	if len(tl) != 3 || tl[0].Requests != 3 || tl[0].Errors != 1 || tl[1].Requests != 2 || tl[1].Errors != 0 || tl[2].T != 2 {
		t.Errorf("timeline %+v, want 3 rows (0, 1 and the 2nd second the recorder closed in), the first with 3 requests and 1 error", tl)
	}
	if a.ErrorHist == "" || a.LatencyHist == "" {
		t.Errorf("histograms missing: errors %q, latency %q", a.ErrorHist, a.LatencyHist)
	}
	if (EndpointSummary{}).LateRate() != 0 || (EndpointSummary{}).ErrorRate() != 0 {
		t.Error("shares of no requests are not 0")
	}
}

// Without a measured phase's end every response is within the phase;
// with one, those completing after it are counted apart. A snapshot at
// the start has no rates rather than infinite ones, and a recorder without
// errors has no error histogram.
func TestRecorderPhaseAndEmptyWindow(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	for _, phase := range []time.Duration{0, time.Second} {
		r := NewLimited([]string{"a"}, Limits{Phase: phase})
		r.Begin(start)
		if s := r.Snapshot(start, true); s.Total.Rate != 0 || s.Total.Achieved != 0 || s.Total.InflightMean != 0 {
			t.Errorf("phase %v: snapshot at the start: rate %v, achieved %v, in flight %v; want 0", phase, s.Total.Rate, s.Total.Achieved, s.Total.InflightMean)
		}
		for _, at := range []time.Duration{100 * time.Millisecond, 1500 * time.Millisecond} {
			in := start.Add(at)
			r.Record(&Hit{Endpoint: 0, Intended: in, Sent: in, Latency: 10 * time.Millisecond, Code: 200})
		}
		s := r.Close(start.Add(2 * time.Second))
		wantAfter := uint64(0)
		if phase > 0 {
			wantAfter = 1
		}
		if s.Total.AfterPhase != wantAfter {
			t.Errorf("phase %v: %d responses after the phase, want %d", phase, s.Total.AfterPhase, wantAfter)
		}
		if s.Total.ErrorHist != "" {
			t.Errorf("phase %v: an error histogram without errors", phase)
		}
	}
}

// A histogram too small for a value is counted in OutOfRange, in every
// histogram it went to: a slow success in the corrected and the service
// latency, a slow failure in the failures'.
func TestOutOfRangeCountsEveryHistogram(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	r := NewLimited([]string{"a"}, Limits{Timeout: time.Second})
	r.Begin(start)
	ceiling := r.total.resp.Ceiling()
	for _, code := range []uint16{200, 500} {
		r.Record(&Hit{Endpoint: 0, Intended: start, Sent: start, Latency: 2 * ceiling, Code: code})
	}
	if got := r.Close(start.Add(3 * ceiling)).Total.OutOfRange; got != 3 {
		t.Errorf("OutOfRange = %d, want 3 (success: corrected and service; failure: its own)", got)
	}
}

// Error kinds are listed most frequent first, then by name.
func TestSortKinds(t *testing.T) {
	t.Parallel()
	ks := []ErrorCount{{Kind: "b", Count: 1}, {Kind: "c", Count: 5}, {Kind: "a", Count: 1}, {Kind: "d", Count: 2}}
	sortKinds(ks)
	var got []string
	for _, k := range ks {
		got = append(got, k.Kind)
	}
	if want := []string{"c", "d", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kinds in order %v, want %v", got, want)
	}
}

// Merged, the mean in flight is the sum of the shards' (each over the
// same window), a single-second timeline stays one row, and a merge of
// summaries that measured nothing has rates of 0, not NaN, and no error
// histogram.
func TestMergeInflightMeanAndEdges(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	part := func(inflight float64) Summary {
		e := EndpointSummary{InflightMean: inflight, Timeline: []Second{{T: 0, Requests: 0}}}
		return Summary{Start: t0, Elapsed: 10 * time.Second, Total: e}
	}
	m, err := Merge([]Summary{part(2), part(3)})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Total.InflightMean-5) > 1e-9 || len(m.Total.Timeline) != 1 || m.Total.ErrorHist != "" {
		t.Errorf("in flight %v, timeline %+v, error histogram %q; want 5, one row, none", m.Total.InflightMean, m.Total.Timeline, m.Total.ErrorHist)
	}
	empty, err := Merge([]Summary{{}, {}})
	if err != nil {
		t.Fatal(err)
	}
	if r := empty.Total; r.Rate != 0 || r.Achieved != 0 || r.InflightMean != 0 {
		t.Errorf("merge of nothing measured: rate %v achieved %v in flight %v, want 0", r.Rate, r.Achieved, r.InflightMean)
	}
}
