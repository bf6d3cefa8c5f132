package record

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// LateAfter is how far behind its scheduled time a request may be sent
// before it counts as late: then loadcheck itself, not the target, was the
// bottleneck for that request.
const LateAfter = 10 * time.Millisecond

// Hit is one HTTP request as the recorder sees it.
type Hit struct {
	Endpoint int           // index into the names given to New
	Intended time.Time     // when the arrival schedule meant to send it
	Sent     time.Time     // when it was sent
	Latency  time.Duration // from Sent to the end of the response
	Code     uint16        // 0 for a transport error
	Err      string        // transport error or status text; "" on success
	BytesIn  uint64
	BytesOut uint64
}

// Recorder aggregates hits. It is safe for concurrent use: one goroutine
// records while another takes snapshots for progress and abort checks.
type Recorder struct {
	mu        sync.Mutex
	start     time.Time
	phase     time.Duration // length of the measured phase; 0 for no end
	endpoints []*endpoint
	total     *endpoint
	sec       int // the second the current timeline row covers
}

// Limits are what a recorder knows of a run before it starts.
type Limits struct {
	// Phase is the length of the measured phase. A response that completes
	// after the phase ended still counts in the latency and error figures,
	// but not in the achieved rate nor in the in-flight mean: those say
	// what the target did within the phase. 0: the phase has no set end.
	Phase time.Duration
	// Timeout is the longest a request may take. The histograms reach at
	// least twice it (and at least DefaultCeiling), so a timed-out request
	// is not clipped even when it also waited in the generator.
	Timeout time.Duration
}

// New returns a recorder for the named endpoints without limits.
// Recording starts at Begin.
func New(names []string) *Recorder { return NewLimited(names, Limits{}) }

// NewLimited returns a recorder for the named endpoints of a run with
// those limits.
func NewLimited(names []string, l Limits) *Recorder {
	ceiling := max(DefaultCeiling, 2*l.Timeout)
	r := &Recorder{total: newEndpoint("all", ceiling), phase: l.Phase}
	for _, n := range names {
		r.endpoints = append(r.endpoints, newEndpoint(n, ceiling))
	}
	return r
}

type endpoint struct {
	name     string
	resp     *Histogram // successes, from the intended send time: gates use this
	service  *Histogram // successes, from the actual send time
	errResp  *Histogram // failures, from the intended send time
	cur      *Histogram // response times of the current second's successes
	curReq   uint64
	curErr   uint64
	requests uint64
	errors   uint64
	late     uint64
	inPhase  uint64 // successes completed within the measured phase
	after    uint64 // responses (or failures) completed after it
	bytesIn  uint64
	bytesOut uint64
	busy     time.Duration // time in flight within the measured phase, for Little's law
	codes    map[uint16]uint64
	kinds    map[string]uint64
	examples map[string]string
	timeline []Second
}

func newEndpoint(name string, ceiling time.Duration) *endpoint {
	return &endpoint{
		name: name, resp: NewHistogramUpTo(ceiling), service: NewHistogramUpTo(ceiling),
		errResp: NewHistogramUpTo(ceiling), cur: NewHistogramUpTo(ceiling),
		codes: map[uint16]uint64{}, kinds: map[string]uint64{}, examples: map[string]string{},
	}
}

// Begin marks the start of the measured phase: offsets in the timeline
// count from t.
func (r *Recorder) Begin(t time.Time) {
	r.mu.Lock()
	r.start = t
	r.mu.Unlock()
}

// Record adds one hit.
func (r *Recorder) Record(h *Hit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start.IsZero() {
		r.start = h.Intended
	}
	end := h.Sent.Add(h.Latency)
	if s := int(end.Sub(r.start) / time.Second); s > r.sec {
		r.roll(s)
	}
	// The part of the hit's time in flight within the measured phase.
	from, until, inPhase := h.Sent, end, true
	if from.Before(r.start) {
		from = r.start
	}
	if r.phase > 0 {
		if stop := r.start.Add(r.phase); end.After(stop) {
			until, inPhase = stop, false
		}
	}
	busy := max(until.Sub(from), 0)
	r.add(r.endpoints[h.Endpoint], h, end, busy, inPhase)
	r.add(r.total, h, end, busy, inPhase)
}

// Failed reports whether a response is an error: a transport error, or a
// status outside 2xx and 3xx.
func Failed(code uint16, err string) bool { return err != "" || code < 200 || code >= 400 }

func (r *Recorder) add(e *endpoint, h *Hit, end time.Time, busy time.Duration, inPhase bool) {
	e.requests++
	e.curReq++
	e.bytesIn += h.BytesIn
	e.bytesOut += h.BytesOut
	e.codes[h.Code]++
	e.busy += busy
	if !inPhase {
		e.after++
	}
	rt := end.Sub(h.Intended)
	if rt < h.Latency {
		rt = h.Latency
	}
	if h.Sent.Sub(h.Intended) > LateAfter {
		e.late++
	}
	if !Failed(h.Code, h.Err) {
		e.service.Record(h.Latency)
		e.resp.Record(rt)
		e.cur.Record(rt)
		if inPhase {
			e.inPhase++
		}
		return
	}
	e.errResp.Record(rt)
	e.errors++
	e.curErr++
	k := ErrorKind(h.Code, h.Err)
	e.kinds[k]++
	if _, ok := e.examples[k]; !ok {
		e.examples[k] = h.Err
	}
}

// roll closes timeline rows up to second s (exclusive).
func (r *Recorder) roll(s int) {
	for _, e := range append(r.endpoints, r.total) {
		e.timeline = append(e.timeline, e.row(r.sec))
		for t := r.sec + 1; t < s; t++ {
			e.timeline = append(e.timeline, Second{T: t})
		}
		e.cur.Reset()
		e.curReq, e.curErr = 0, 0
	}
	r.sec = s
}

func (e *endpoint) row(t int) Second {
	return Second{
		T: t, Requests: e.curReq, Errors: e.curErr,
		P50: DurationMs(e.cur.Quantile(50)), P95: DurationMs(e.cur.Quantile(95)), P99: DurationMs(e.cur.Quantile(99)),
	}
}

// ErrorKind classifies a failed request into a small fixed set, so a report
// never lists one line per distinct address or port.
func ErrorKind(code uint16, err string) string {
	switch {
	case code >= 500:
		return "http 5xx"
	case code >= 400:
		return "http 4xx"
	case code > 0 && code < 200:
		return "http 1xx"
	case strings.Contains(err, "Timeout exceeded"), strings.Contains(err, "deadline exceeded"),
		strings.Contains(err, "i/o timeout"):
		return "timeout"
	case strings.Contains(err, "connection refused"):
		return "refused"
	case strings.Contains(err, "connection reset"):
		return "reset"
	case strings.Contains(err, "broken pipe"):
		return "broken pipe"
	case strings.HasSuffix(err, "EOF"):
		return "eof"
	case strings.Contains(err, "too many open files"):
		return "out of file descriptors"
	case strings.Contains(err, "context canceled"):
		return "canceled"
	}
	return "other"
}

// Summary is the HTTP part of a result: immutable, safe to share.
type Summary struct {
	Start time.Time `json:"start"`
	// Elapsed is the measured time the rates are computed over: the
	// measured phase, or the part of it that ran.
	Elapsed   time.Duration     `json:"elapsed_ns"`
	Endpoints []EndpointSummary `json:"endpoints"`
	Total     EndpointSummary   `json:"total"`
	// InflightMax is the peak of requests in flight, from the generator.
	InflightMax int64 `json:"inflight_max"`
}

// EndpointSummary is what one endpoint (or all of them) measured.
type EndpointSummary struct {
	Name string `json:"name"`
	// Requests counts the requests sent in the measured phase that were
	// answered or failed; Errors those that failed (see Failed).
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	Late     uint64 `json:"late"`
	// Rate is the sent rate: Requests per second of the measured phase.
	Rate float64 `json:"rate_per_s"`
	// Achieved is the throughput: successful responses completed within
	// the measured phase, per second of it. Responses completing after
	// the phase ended (AfterPhase, failures included) are in the latency
	// and error figures but not here.
	Achieved   float64 `json:"achieved_per_s"`
	AfterPhase uint64  `json:"after_phase,omitempty"`
	BytesIn    uint64  `json:"bytes_in"`
	BytesOut   uint64  `json:"bytes_out"`
	// InflightMean is the mean number of requests in flight (Little's law:
	// the time requests spent in flight within the measured phase, over
	// its length).
	InflightMean float64 `json:"inflight_mean"`
	// Latency is measured over successful responses only, from the
	// intended send time (gates use it); Service from the actual send
	// time. Failed requests are apart, in ErrorLatency: a fast 503 must
	// not make the percentiles look better.
	Latency      Percentiles `json:"latency"`
	Service      Percentiles `json:"service"`
	ErrorLatency Percentiles `json:"error_latency"`
	// Codes counts responses by status code; "0" is a transport error.
	Codes      map[string]uint64 `json:"codes"`
	ErrorKinds []ErrorCount      `json:"error_kinds,omitempty"`
	OutOfRange int64             `json:"out_of_range,omitempty"`
	Timeline   []Second          `json:"timeline"`
	// LatencyHist, ServiceHist and ErrorHist are the HDR histograms,
	// encoded, so results can be re-read and merged.
	LatencyHist string `json:"latency_hdr"`
	ServiceHist string `json:"service_hdr"`
	ErrorHist   string `json:"error_hdr,omitempty"`
}

// Successes is the number of successful responses: the requests the
// latency percentiles are taken over.
func (s EndpointSummary) Successes() uint64 { return s.Requests - s.Errors }

// ErrorCount is how often one kind of error happened, with one example.
type ErrorCount struct {
	Kind    string `json:"kind"`
	Count   uint64 `json:"count"`
	Example string `json:"example"`
}

// Second is one row of the per-second timeline; T counts seconds from the
// start of the measured phase, by completion time. The percentiles are
// those of the second's successful responses.
type Second struct {
	T        int        `json:"t_s"`
	Requests uint64     `json:"requests"`
	Errors   uint64     `json:"errors"`
	P50      DurationMs `json:"p50_ms"`
	P95      DurationMs `json:"p95_ms"`
	P99      DurationMs `json:"p99_ms"`
}

// Snapshot returns the figures so far without closing the timeline. The
// histograms are encoded only when encode is true (it costs a few
// milliseconds; progress lines do not need them).
func (r *Recorder) Snapshot(now time.Time, encode bool) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	el := now.Sub(r.start)
	if r.start.IsZero() || el < 0 {
		el = 0
	}
	if r.phase > 0 && el > r.phase {
		el = r.phase
	}
	s := Summary{Start: r.start, Elapsed: el}
	for _, e := range r.endpoints {
		s.Endpoints = append(s.Endpoints, e.summary(el, encode))
	}
	s.Total = r.total.summary(el, encode)
	return s
}

// Close ends recording at end and returns the final summary, the current
// second included in the timeline.
func (r *Recorder) Close(end time.Time) Summary {
	r.Seal(end)
	return r.Snapshot(end, true)
}

// Seal ends recording at end, the current second included in the
// timeline, for a caller that takes the final summary at another time
// (a run's rates end when sending did): the histograms are then encoded
// once, by that Snapshot.
func (r *Recorder) Seal(end time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.start.IsZero() {
		r.roll(int(end.Sub(r.start)/time.Second) + 1)
	}
}

func (e *endpoint) summary(el time.Duration, encode bool) EndpointSummary {
	s := EndpointSummary{
		Name: e.name, Requests: e.requests, Errors: e.errors, Late: e.late, AfterPhase: e.after,
		BytesIn: e.bytesIn, BytesOut: e.bytesOut,
		Latency: e.resp.Percentiles(), Service: e.service.Percentiles(), ErrorLatency: e.errResp.Percentiles(),
		Codes:      map[string]uint64{},
		OutOfRange: e.resp.OutOfRange + e.service.OutOfRange + e.errResp.OutOfRange,
		Timeline:   append([]Second(nil), e.timeline...),
	}
	if el > 0 {
		s.Rate = float64(e.requests) / el.Seconds()
		s.Achieved = float64(e.inPhase) / el.Seconds()
		s.InflightMean = float64(e.busy) / float64(el)
	}
	for c, n := range e.codes {
		s.Codes[strconv.Itoa(int(c))] = n
	}
	for k, n := range e.kinds {
		s.ErrorKinds = append(s.ErrorKinds, ErrorCount{Kind: k, Count: n, Example: e.examples[k]})
	}
	sortKinds(s.ErrorKinds)
	if encode {
		s.LatencyHist, _ = e.resp.Encode()
		s.ServiceHist, _ = e.service.Encode()
		if e.errors > 0 {
			s.ErrorHist, _ = e.errResp.Encode()
		}
	}
	return s
}

// ErrorRate returns the share of failed requests in percent.
func (s EndpointSummary) ErrorRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return 100 * float64(s.Errors) / float64(s.Requests)
}

// LateRate returns the share of late requests in percent.
func (s EndpointSummary) LateRate() float64 {
	if s.Requests == 0 {
		return 0
	}
	return 100 * float64(s.Late) / float64(s.Requests)
}

// Endpoint returns the summary of the named endpoint.
func (s Summary) Endpoint(name string) (EndpointSummary, bool) {
	for _, e := range s.Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return EndpointSummary{}, false
}
