package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// maxSSELine is the longest line an SSE client accepts.
const maxSSELine = 1 << 20

// SSE is a set of server-sent-events clients. Its methods are safe for
// concurrent use.
type SSE struct {
	url     string
	header  http.Header // of each stream request
	client  *http.Client
	clients []*sseClient
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	connected atomic.Int64
	lastErr   atomic.Pointer[error]

	once sync.Once
	sum  SSESummary
}

// sseClient is one stream reader. Its fields are owned by its goroutine
// until it exits; Close reads them after.
type sseClient struct {
	id          int
	from        netip.Addr // source address; zero for the system's choice
	start       time.Time  // of the first request
	events      int64
	first       time.Duration // to the first event; -1 before it
	last        time.Time     // of the latest event
	gapMax      time.Duration
	disconnects int
	reconnects  int
}

// StartSSE opens cfg.Clients event streams on baseURL+cfg.Path, each
// request carrying cfg.Headers, and returns once each has been answered
// 200 with a text/event-stream, or an error (after closing those that
// were) when ctx ends or some client could not connect within 30 s. The clients read until Close or until ctx ends,
// reconnecting with backoff when a stream ends or fails.
//
// Client i connects from plan.SSE(i). tlsConf checks an https target's
// certificate (nil: against the system's roots).
func StartSSE(ctx context.Context, baseURL string, cfg scenario.SSE, plan clientaddr.Plan, tlsConf *tls.Config) (*SSE, error) {
	if cfg.Clients < 1 {
		return nil, fmt.Errorf("sse: want 1 or more clients, got %d", cfg.Clients)
	}
	if err := ensureFiles(cfg.Clients + 256); err != nil {
		return nil, fmt.Errorf("sse: %d clients: %v", cfg.Clients, err)
	}
	tr := newTransport(netip.Addr{}, cfg.Clients, 4<<10, tlsConf)
	if !plan.IsZero() {
		tr.DisableKeepAlives = true // a reconnect dials from its own client's address
	}
	s := &SSE{
		url:    strings.TrimRight(baseURL, "/") + cfg.Path,
		header: httpHeader(cfg.Headers),
		client: &http.Client{Transport: tr},
	}
	cctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	var ready sync.WaitGroup
	for i := range cfg.Clients {
		c := &sseClient{id: i, first: -1, from: plan.SSE(i)}
		s.clients = append(s.clients, c)
		ready.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.start = time.Now()
			keepConnected(cctx, defaultRedial, sseSession{s, c}, ready.Done)
		}()
	}
	allUp := make(chan struct{})
	go func() { ready.Wait(); close(allUp) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var err error
	select {
	case <-allUp:
		if ctx.Err() == nil {
			return s, nil
		}
		err = ctx.Err()
	case <-timer.C:
	case <-ctx.Done():
		err = ctx.Err()
	}
	up := s.connected.Load()
	s.stop()
	<-allUp
	if err == nil {
		err = fmt.Errorf("gave up after %v", startTimeout)
	}
	last := ""
	if p := s.lastErr.Load(); p != nil {
		last = " (last error: " + (*p).Error() + ")"
	}
	return nil, fmt.Errorf("sse %s: %d of %d clients connected%s: %w", s.url, up, cfg.Clients, last, err)
}

// Connected returns the number of streams open now.
func (s *SSE) Connected() int { return int(s.connected.Load()) }

// sseSession is one client as redial sees it: a connection is a stream.
type sseSession struct {
	s *SSE
	c *sseClient
}

func (ss sseSession) connect(ctx context.Context) (*http.Response, error) {
	return ss.s.open(ctx, ss.c.from)
}

func (ss sseSession) failed(err error) { ss.s.lastErr.Store(&err) }

// serve reads one stream until it ends; an end before ctx's is the
// target's disconnect.
func (ss sseSession) serve(ctx context.Context, resp *http.Response, first bool) bool {
	if !first {
		ss.c.reconnects++
	}
	ss.s.connected.Add(1)
	ss.c.read(resp)
	resp.Body.Close()
	ss.s.connected.Add(-1)
	if ctx.Err() != nil {
		return false
	}
	ss.c.disconnects++
	return true
}

// open sends one stream request and checks the answer.
func (s *SSE) open(ctx context.Context, from netip.Addr) (*http.Response, error) {
	req, err := http.NewRequestWithContext(withFrom(ctx, from), http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	maps.Copy(req.Header, s.header)
	for k, v := range map[string]string{"Accept": "text/event-stream", "Cache-Control": "no-cache"} {
		if req.Header.Get(k) == "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("sse %s: got %s with content type %q, want 200 text/event-stream", s.url, resp.Status, mt)
	}
	return resp, nil
}

// read counts the events of one stream until it ends. An event is
// dispatched by a blank line after at least one data line; comments
// (lines starting with ':') and an unfinished event at the end of the
// stream do not count.
func (c *sseClient) read(resp *http.Response) {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4<<10), maxSSELine)
	data := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if data {
				c.event(time.Now())
			}
			data = false
		case line[0] == ':':
		case string(line) == "data" || strings.HasPrefix(string(line), "data:"):
			data = true
		}
	}
}

// event records one event received at now.
func (c *sseClient) event(now time.Time) {
	c.events++
	if c.first < 0 {
		c.first = now.Sub(c.start)
	} else if gap := now.Sub(c.last); gap > c.gapMax {
		c.gapMax = gap
	}
	c.last = now
}

func (s *SSE) stop() {
	s.cancel()
	s.wg.Wait()
	s.client.CloseIdleConnections()
}

// Close stops the clients and returns their account. The time after a
// client's last event, up to Close, counts as a gap too, and a client that
// received no event has waited its whole life: a stream that went quiet
// shows in GapMax. Later calls return the same summary.
func (s *SSE) Close() SSESummary {
	s.once.Do(func() {
		connected := s.Connected()
		end := time.Now()
		s.stop()
		sum := SSESummary{Clients: len(s.clients), Connected: connected}
		first := record.NewHistogram()
		for _, c := range s.clients {
			gap := max(c.gapMax, end.Sub(c.last))
			if c.events == 0 {
				gap = end.Sub(c.start) // it waited all along
			}
			pc := SSEClient{
				ID:          c.id,
				Events:      c.events,
				GapMax:      record.DurationMs(gap),
				Disconnects: c.disconnects,
				Reconnects:  c.reconnects,
			}
			if c.first >= 0 {
				pc.FirstEvent = record.DurationMs(c.first)
				first.Record(c.first)
			} else {
				sum.NoEvents++
			}
			sum.PerClient = append(sum.PerClient, pc)
			sum.Events += c.events
			sum.Disconnects += c.disconnects
			sum.Reconnects += c.reconnects
			sum.GapMax = max(sum.GapMax, pc.GapMax)
		}
		sum.FirstEvent = first.Percentiles()
		s.sum = sum
	})
	return s.sum
}
