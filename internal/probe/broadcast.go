package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/schedule"
)

const (
	// maxInflight bounds the broadcast POSTs in flight. When every slot
	// is taken at an event's scheduled time, the event waits for one and
	// is recorded as sent late (record.LateAfter).
	maxInflight = 64
	// postTimeout bounds one broadcast POST, response body included.
	postTimeout = 10 * time.Second
	// maxResponseBody is how much of a broadcast response is read.
	maxResponseBody = 1 << 20
)

// SentAtField is the body field holding the time a broadcast was sent, in
// RFC 3339 with nanoseconds.
const SentAtField = "sent_at"

// newTransport returns an HTTP transport for the probes, from the source
// address local when it is valid (or the one a request's context carries,
// see withFrom), keeping up to conns idle connections, with buffers of
// bufSize bytes, checking an https target's certificate with tlsConf (nil:
// against the system's roots). It never uses a proxy.
func newTransport(local netip.Addr, conns, bufSize int, tlsConf *tls.Config) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	if local.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0))
	}
	return &http.Transport{
		DialContext:           dialFrom(d),
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: postTimeout,
		DisableCompression:    true,
		WriteBufferSize:       bufSize,
		ReadBufferSize:        bufSize,
		TLSClientConfig:       tlsConf,
	}
}

type fromKey struct{}

// withFrom returns ctx carrying the source address of the connections
// dialed for a request made with it; a zero address leaves ctx as it is.
// The boards and the SSE clients share one transport, each client with an
// address of its own: their transports keep no idle connection, so every
// request dials from its own client's address.
func withFrom(ctx context.Context, a netip.Addr) context.Context {
	if !a.IsValid() {
		return ctx
	}
	return context.WithValue(ctx, fromKey{}, a)
}

// dialFrom dials with d, from the address ctx carries when it carries one.
func dialFrom(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		a, ok := ctx.Value(fromKey{}).(netip.Addr)
		if !ok {
			return d.DialContext(ctx, network, addr)
		}
		dd := *d
		dd.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0))
		return dd.DialContext(ctx, network, addr)
	}
}

// newPoster returns the broadcaster's client: it does not follow
// redirects, so a 3xx is not taken for an acknowledgement, and it opens a
// connection per broadcast. Real broadcasts come from many independent
// clients; one kept-alive connection would pin every POST to the worker
// that accepted it, and the loss would depend only on where the boards
// landed rather than on how the workers share the POSTs.
func newPoster(local netip.Addr, tlsConf *tls.Config) *http.Client {
	tr := newTransport(local, maxInflight, 4<<10, tlsConf)
	tr.DisableKeepAlives = true
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// bodyMaker writes broadcast bodies: {"<id field>": id, "sent_at": time,
// extra fields in key order}. An extra field named like the id field or
// sent_at is left out: loadcheck's own values win.
type bodyMaker struct {
	idKey []byte // `{"id":`
	rest  []byte // `,"sent_at":` …
	tail  []byte // `,"k":"v",…}`
}

func newBodyMaker(idField string, fields map[string]string) bodyMaker {
	q := func(s string) []byte { b, _ := json.Marshal(s); return b }
	m := bodyMaker{
		idKey: append(append([]byte{'{'}, q(idField)...), ':'),
		rest:  append(append([]byte{','}, q(SentAtField)...), ':'),
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k != idField && k != SentAtField {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.tail = append(m.tail, ',')
		m.tail = append(m.tail, q(k)...)
		m.tail = append(m.tail, ':')
		m.tail = append(m.tail, q(fields[k])...)
	}
	m.tail = append(m.tail, '}')
	return m
}

func (m bodyMaker) make(id string, sent time.Time) []byte {
	b := make([]byte, 0, len(m.idKey)+len(id)+len(m.rest)+40+len(m.tail))
	b = append(b, m.idKey...)
	b = strconv.AppendQuote(b, id) // ids are ASCII: quoting is JSON's
	b = append(b, m.rest...)
	b = append(b, '"')
	b = sent.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	return append(b, m.tail...)
}

// broadcaster is the second load generator: it POSTs the broadcast events
// on an open schedule, the one schedule.Schedule the HTTP pacer follows,
// and records each POST's latency like an endpoint's. It marks each
// event's dispatch and acknowledgement in the event table, which is all
// the boards' account needs of it.
type broadcaster struct {
	url    string
	client *http.Client
	header http.Header // of each POST
	body   bodyMaker
	run    string // event id prefix
	clock  clock
	rec    *record.Recorder
	sent   atomic.Int64
	acked  atomic.Int64
}

func newBroadcaster(url string, cfg scenario.WebSocket, run string, plan clientaddr.Plan, tlsConf *tls.Config, clk clock) *broadcaster {
	return &broadcaster{
		url:    url,
		client: newPoster(plan.Broadcaster(), tlsConf),
		header: httpHeader(cfg.Broadcast.Headers),
		body:   newBodyMaker(cfg.IDField, cfg.Broadcast.Fields),
		run:    run,
		clock:  clk,
		rec:    record.New([]string{"broadcast"}),
	}
}

// Broadcast POSTs the broadcast events for the measured phase d: at
// cfg.Broadcast.Rate, or along cfg.Broadcast.Stages, on an open schedule
// that does not wait for answers (at most 64 in flight). It returns when
// every scheduled event has been sent and answered or has failed, or
// early when ctx ends (then with ctx's error). Each POST's latency is
// recorded like an endpoint's, in WSSummary.Broadcast. Broadcast runs at
// most once per WS.
func (w *WS) Broadcast(ctx context.Context, d time.Duration) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("websocket: broadcast already ran")
	}
	sc := w.cfg.Broadcast.Schedule(d)
	table := w.events.make(int(sc.Len()))
	start := time.Now()
	w.win.open(w.clock.mono(start))
	err := w.bc.send(ctx, sc, table, start)
	end := time.Now()
	w.win.shut(w.clock.mono(end), end)
	return err
}

// send POSTs event k of table at start+sc.At(k), without waiting for the
// answers, at most maxInflight at once; it returns once every POST sent
// has been answered or has failed, with ctx's error when ctx ended first.
func (b *broadcaster) send(ctx context.Context, sc schedule.Schedule, table []slot, start time.Time) error {
	b.rec.Begin(start)
	sem := make(chan struct{}, maxInflight)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := range table {
		off, _ := sc.At(uint64(k))
		intended := start.Add(off)
		if wait := time.Until(intended); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		// The dispatch time is taken here, in sequence order, before the
		// POST starts: a board must have been connected by then.
		sent := time.Now()
		table[k].sent.Store(b.clock.mono(sent))
		b.sent.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.post(ctx, k, intended, sent, &table[k])
			<-sem
		}()
	}
	return nil
}

// errWithoutURL is err without the URL a client error names: the error
// goes into the report, and the broadcast path may hold a secret
// (?token=${TOKEN}); the report names the path elsewhere, redacted.
func errWithoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// post sends event k and records the answer.
func (b *broadcaster) post(ctx context.Context, k int, intended, sent time.Time, s *slot) {
	body := b.body.make(eventID(b.run, k), sent)
	hit := record.Hit{Intended: intended, Sent: sent, BytesOut: uint64(len(body))}
	defer func() { b.rec.Record(&hit) }()
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, bytes.NewReader(body))
	if err != nil {
		hit.Err = err.Error()
		return
	}
	maps.Copy(req.Header, b.header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		hit.Latency, hit.Err = time.Since(sent), errWithoutURL(err).Error()
		return
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		s.ack.Store(b.clock.now())
		b.acked.Add(1)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	resp.Body.Close()
	hit.Latency, hit.Code, hit.BytesIn = time.Since(sent), uint16(resp.StatusCode), uint64(n)
	switch {
	case resp.StatusCode >= 400 || resp.StatusCode < 200:
		hit.Err = resp.Status
	case err != nil:
		hit.Err = err.Error()
	}
}
