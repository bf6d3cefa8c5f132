package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Recorder receives the measured hits. *record.Recorder implements it.
type Recorder interface {
	Begin(t time.Time)
	Record(h *record.Hit)
}

// Attack is one run of a scenario's HTTP load. Its methods other than Run
// are safe to call from other goroutines while Run runs.
type Attack struct {
	pacer    *Pacer
	mix      *mix
	client   *http.Client
	conns    *conns
	gauge    *gauge
	warmup   time.Duration
	workers  uint64
	stopped  atomic.Bool
	stopAt   atomic.Pointer[time.Time]
	sent     atomic.Uint64
	warm     atomic.Uint64
	canceled atomic.Uint64
	// ranOut counts, per endpoint, the measured arrivals not sent because
	// the endpoint's feed had run out.
	ranOut []atomic.Uint64
}

// Stats are the generator's own figures for a run.
type Stats struct {
	// Scheduled counts the hits the measured schedule asked for; Sent those
	// that were sent. The difference was never sent: the generator could
	// not keep up (every worker busy) or the run was stopped early.
	// Arrivals of an endpoint whose feed had run out are neither: they
	// are counted in RanOut, not in Scheduled.
	Scheduled uint64
	Sent      uint64
	// RanOut counts, per endpoint in the scenario's order, the measured
	// arrivals not sent because its order-once feed had run out.
	RanOut   []uint64
	Warmup   uint64 // hits of the warm-up, sent but not recorded
	Canceled uint64 // in flight when the run was stopped; not recorded
	// InflightMax is the peak of requests in flight during the run.
	InflightMax int64
	Began       time.Time
	// SendEnded is when sending ended: the end of the schedule, or the
	// moment the run was stopped. Rates are per second of this window;
	// Ended, later, is when the last response arrived.
	SendEnded time.Time
	Ended     time.Time
}

// New prepares the scenario's HTTP load against baseURL, its clients
// connecting from the addresses of plan.
func New(sc *scenario.Scenario, baseURL string, plan clientaddr.Plan, tlsConf *tls.Config) (*Attack, error) {
	m, err := newMix(baseURL, sc.HTTP.Endpoints)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %v", sc.Name, err)
	}
	workers := uint64(sc.HTTP.MaxWorkers)
	if workers == 0 {
		workers = 512
	}
	g := &gauge{}
	cs := &conns{open: map[net.Conn]struct{}{}}
	return &Attack{
		pacer:   NewPacer(sc.Warmup, sc.HTTP.Stages, sc.Duration),
		mix:     m,
		client:  newClient(sc.HTTP, int(workers), plan, g, cs, tlsConf),
		conns:   cs,
		gauge:   g,
		warmup:  sc.Warmup,
		workers: workers,
		ranOut:  make([]atomic.Uint64, len(sc.HTTP.Endpoints)),
	}, nil
}

// newClient returns the vegeta client of the scenario's client model:
// h.Clients independent clients, each with a connection pool of its own,
// taking the arrivals in turn (see clients).
func newClient(h scenario.HTTP, maxConns int, plan clientaddr.Plan, g *gauge, cs *conns, tlsConf *tls.Config) *http.Client {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	n := max(h.Clients, 1)
	// A client keeps as many idle connections as its share of the
	// generator's concurrency: one client keeps them all, as one proxy
	// with upstream keep-alive does; a hundred keep about five each, as a
	// browser keeps up to six.
	idle := max((maxConns+n-1)/n, 1)
	c := &clients{gauge: g, timeout: timeout, pool: make([]*http.Transport, n)}
	for i := range c.pool {
		d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		if a := plan.HTTP(i); a.IsValid() {
			d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0))
		}
		c.pool[i] = &http.Transport{
			DialContext:         cs.dial(d),
			MaxIdleConnsPerHost: idle,
			DisableKeepAlives:   !h.KeepAlive,
			IdleConnTimeout:     90 * time.Second,
			TLSClientConfig:     tlsConf,
		}
	}
	// No Client.Timeout: clients applies the timeout itself (see there).
	return &http.Client{
		Transport: c,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return fmt.Errorf("stopped after 10 redirects")
			}
			return nil
		},
	}
}

// Pacer returns the attack's schedule.
func (a *Attack) Pacer() *Pacer { return a.pacer }

// Inflight returns the requests in flight now and the peak so far.
func (a *Attack) Inflight() (now, peak int64) { return a.gauge.cur.Load(), a.gauge.peak.Load() }

// Run sends the load until the schedule ends or ctx is done, recording
// every measured hit into rec. When ctx is done, sending stops at once and
// requests still in flight are cancelled and not recorded.
func (a *Attack) Run(ctx context.Context, rec Recorder) Stats {
	atk := vegeta.NewAttacker(
		vegeta.Client(a.client),
		vegeta.MaxBody(0),
		vegeta.Workers(min(a.workers, 16)),
		vegeta.MaxWorkers(a.workers),
	)
	results := atk.Attack(a.mix.targeter, a.pacer, 0, "")
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			now := time.Now()
			a.stopAt.Store(&now)
			a.stopped.Store(true)
			atk.Stop()
			a.conns.closeAll()
		case <-done:
		}
	}()

	began := a.recordAll(results, rec)
	// Every response is in: the clients' idle connections go now rather
	// than linger to the next run of a compare or saturate.
	a.conns.closeAll()
	if began.IsZero() {
		began = time.Now()
		rec.Begin(began.Add(a.warmup))
	}
	return a.stats(began)
}

// recordAll records every measured result into rec until results closes,
// and returns when the schedule began (zero when nothing was sent).
func (a *Attack) recordAll(results <-chan *vegeta.Result, rec Recorder) (began time.Time) {
	var (
		measured time.Time
		hit      record.Hit
	)
	for res := range results {
		if began.IsZero() {
			began = a.pacer.Began()
			measured = began.Add(a.warmup)
			rec.Begin(measured)
		}
		off, _ := a.pacer.Schedule(res.Seq)
		intended := began.Add(off)
		ep, ranOut, ok := endpointOf(res.URL)
		if ranOut {
			if off >= a.warmup {
				a.ranOut[ep].Add(1)
			}
			continue
		}
		a.sent.Add(1)
		if off < a.warmup {
			a.warm.Add(1)
			continue
		}
		if res.Error != "" && a.stopped.Load() {
			a.canceled.Add(1)
			continue
		}
		if !ok {
			continue // the targeter failed before choosing; cannot happen
		}
		hit = record.Hit{
			Endpoint: ep,
			Intended: intended,
			Sent:     res.Timestamp,
			Latency:  res.Latency,
			Code:     res.Code,
			Err:      res.Error,
			BytesOut: res.BytesOut,
			BytesIn:  bytesIn(res.Headers),
		}
		rec.Record(&hit)
	}
	return began
}

// stats are the counts of a run whose schedule began at began, once every
// response is in.
func (a *Attack) stats(began time.Time) Stats {
	end := time.Now()
	sendEnd := began.Add(a.pacer.Duration())
	if at := a.stopAt.Load(); at != nil && at.Before(sendEnd) {
		sendEnd = *at
	}
	if !a.stopped.Load() {
		// The last hit is due up to 1/rate before the schedule's end: the
		// run still lasted the whole schedule.
		end = later(end, began.Add(a.pacer.Duration()))
	}
	st := Stats{
		Sent:        a.sent.Load() - a.warm.Load(),
		Warmup:      a.warm.Load(),
		Canceled:    a.canceled.Load(),
		InflightMax: a.gauge.peak.Load(),
		Began:       began,
		SendEnded:   sendEnd,
		Ended:       end,
	}
	// Scheduled counts what was due until sending ended: after a stop, the
	// hits the schedule still held are not "unsent".
	st.RanOut = make([]uint64, len(a.ranOut))
	for i := range a.ranOut {
		st.RanOut[i] = a.ranOut[i].Load()
	}
	st.Scheduled = a.scheduled(sendEnd.Sub(began))
	return st
}

// scheduled returns the measured hits due before offset until, less those
// not sent because their endpoint's feed had run out.
func (a *Attack) scheduled(until time.Duration) uint64 {
	until = min(until, a.pacer.Duration())
	sched := a.pacer.Hits(until) - a.pacer.Hits(a.warmup)
	for i := range a.ranOut {
		sched -= float64(a.ranOut[i].Load())
	}
	if sched > 0 {
		return uint64(sched + 0.5)
	}
	return 0
}

// SoFar returns the measured hits due by now and those sent so far, for a
// checkpoint of a run still going; zeros before the run began. Sent is read
// first and the schedule at the later of now and the moment of that read,
// so a hit sent while the checkpoint is taken is never more than were due.
func (a *Attack) SoFar(now time.Time) (scheduled, sent uint64) {
	began := a.pacer.Began()
	if began.IsZero() {
		return 0, 0
	}
	sent = a.sent.Load() - a.warm.Load()
	scheduled = a.scheduled(later(now, time.Now()).Sub(began))
	// The schedule's count rounds to the nearest hit; a hit that was sent
	// was due.
	return max(scheduled, sent), sent
}

// ResetPeak forgets the in-flight peak, at the end of the warm-up.
func (a *Attack) ResetPeak() { a.gauge.peak.Store(a.gauge.cur.Load()) }

// gauge counts requests in flight.
type gauge struct {
	cur, peak atomic.Int64
}

func (g *gauge) inc() {
	n := g.cur.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// bytesHeader carries the size of a response body from the transport to the
// result: vegeta with MaxBody(0) drains bodies without counting them.
const bytesHeader = "Loadcheck-Body-Bytes"

// clients is the client model as an http.RoundTripper: each request goes
// to the next client in turn, which sends it on its own idle keep-alive
// connection, or on a new one of its own while its earlier requests are
// in flight. A multi-worker target behind a shared socket gives each new
// connection to one worker, so many clients spread the load over the
// workers as real users do, where one shared pool would carry a steady
// open-model load on one or two connections, to one worker. It also keeps
// the in-flight gauge and counts response bytes; the cost per request is
// one atomic add beyond that.
//
// It also applies the scenario's timeout, as a deadline on the request's
// context that ends when the body is closed. http.Client.Timeout would do
// the same for an *http.Transport, but for any other RoundTripper the
// client falls back to the pre-context way: a goroutine, a timer and a
// channel per request (net/http's setRequestCancel), 14 allocations and
// about 10 % of the generator's CPU per request, measured against the
// vegeta library alone (make bench, internal/load BenchmarkAttack).
type clients struct {
	pool    []*http.Transport
	next    atomic.Uint64
	gauge   *gauge
	timeout time.Duration
}

func (c *clients) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Fragment, ranOutMark) {
		return nil, errRanOut
	}
	tr := c.pool[(c.next.Add(1)-1)%uint64(len(c.pool))]
	c.gauge.inc()
	ctx, cancel := context.WithDeadline(req.Context(), c.deadline(req))
	resp, err := tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		c.gauge.cur.Add(-1)
		return nil, err
	}
	resp.Body = &countingBody{rc: resp.Body, resp: resp, gauge: c.gauge, cancel: cancel}
	return resp, nil
}

// deadline is when req must be answered: the timeout from now, or, for a
// redirect the client follows, the deadline of the request that started
// the chain, as http.Client.Timeout covers the whole chain.
func (c *clients) deadline(req *http.Request) time.Time {
	if prev := req.Response; prev != nil && prev.Request != nil {
		if d, ok := prev.Request.Context().Deadline(); ok {
			return d
		}
	}
	return time.Now().Add(c.timeout)
}

// conns tracks the generator's open connections so a stop can end the
// requests in flight at once, at no cost per request.
type conns struct {
	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
}

var errStopped = errors.New("load stopped")

func (cs *conns) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cs.mu.Lock()
		defer cs.mu.Unlock()
		if cs.closed {
			c.Close()
			return nil, errStopped
		}
		tc := &trackedConn{Conn: c, cs: cs}
		cs.open[tc] = struct{}{}
		return tc, nil
	}
}

// closeAll closes every open connection and refuses new ones.
func (cs *conns) closeAll() {
	cs.mu.Lock()
	cs.closed = true
	open := cs.open
	cs.open = nil
	cs.mu.Unlock()
	for c := range open {
		c.(*trackedConn).Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	cs *conns
}

func (c *trackedConn) Close() error {
	c.cs.mu.Lock()
	delete(c.cs.open, c)
	c.cs.mu.Unlock()
	return c.Conn.Close()
}

type countingBody struct {
	rc     io.ReadCloser
	resp   *http.Response
	n      int64
	gauge  *gauge
	cancel context.CancelFunc // the request's deadline
	closed bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error {
	if !b.closed {
		b.closed = true
		b.gauge.cur.Add(-1)
		// vegeta keeps the header map in its result; the body is closed
		// before the result is handed on, so this is visible and race-free.
		b.resp.Header[bytesHeader] = []string{strconv.FormatInt(b.n, 10)}
	}
	err := b.rc.Close()
	b.cancel()
	return err
}

func bytesIn(h http.Header) uint64 {
	v := h[bytesHeader]
	if len(v) == 0 {
		return 0
	}
	n, _ := strconv.ParseUint(v[0], 10, 64)
	return n
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
