package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/loadcheck/loadcheck/internal/record"
)

// boardDialer makes the boards' websocket handshakes, at most maxDialing
// at once, and keeps their times and failures for the summary. One serves
// every board, first connections and reconnections alike, so that the
// bound holds for the whole set.
type boardDialer struct {
	url          string
	client       *http.Client
	header       http.Header // of each upgrade request
	subprotocols []string
	slots        chan struct{} // a slot per handshake in flight
	clock        clock

	mu         sync.Mutex
	connect    *record.Histogram // handshake: TCP connect to 101
	connectTCP *record.Histogram // TCP connect alone

	errors  atomic.Int64
	lastErr atomic.Pointer[error]
}

func newBoardDialer(url string, header http.Header, subprotocols []string, tlsConf *tls.Config, clk clock) *boardDialer {
	return &boardDialer{
		url:          url,
		client:       &http.Client{Transport: boardTransport(tlsConf)},
		header:       header,
		subprotocols: subprotocols,
		slots:        make(chan struct{}, maxDialing),
		clock:        clk,
		connect:      record.NewHistogram(),
		connectTCP:   record.NewHistogram(),
	}
}

// dial makes one connection from the address from, once a handshake slot
// is free, and records how long it took. worker is the target's
// WorkerHeader, "" without one.
func (d *boardDialer) dial(ctx context.Context, from netip.Addr) (conn *websocket.Conn, worker string, err error) {
	select {
	case d.slots <- struct{}{}:
		defer func() { <-d.slots }()
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var tcpStart, tcpDone atomic.Int64
	dctx = httptrace.WithClientTrace(dctx, &httptrace.ClientTrace{
		ConnectStart: func(string, string) { tcpStart.Store(d.clock.now()) },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				tcpDone.Store(d.clock.now())
			}
		},
	})
	start := time.Now()
	conn, resp, err := websocket.Dial(withFrom(dctx, from), d.url, &websocket.DialOptions{
		HTTPClient:   d.client,
		HTTPHeader:   d.header,
		Subprotocols: d.subprotocols,
	})
	if err != nil {
		return nil, "", err
	}
	took := time.Since(start)
	conn.SetReadLimit(readLimit)
	d.mu.Lock()
	d.connect.Record(took)
	if s, e := tcpStart.Load(), tcpDone.Load(); s > 0 && e >= s {
		d.connectTCP.Record(time.Duration(e - s))
	}
	d.mu.Unlock()
	return conn, resp.Header.Get(WorkerHeader), nil
}

// failed notes a handshake that failed.
func (d *boardDialer) failed(err error) {
	d.errors.Add(1)
	d.lastErr.Store(&err)
}

// lastError is the text of the last failed handshake, "" when none failed.
func (d *boardDialer) lastError() string {
	if p := d.lastErr.Load(); p != nil {
		return (*p).Error()
	}
	return ""
}

// times returns the handshake and TCP connect times.
func (d *boardDialer) times() (connect, tcp record.Percentiles) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.connect.Percentiles(), d.connectTCP.Percentiles()
}

// boardTransport is the boards' transport. It keeps no idle connection: an
// upgrade takes its connection over anyway, and a connection left by a
// failed one must not carry another board's handshake from this board's
// address.
func boardTransport(tlsConf *tls.Config) *http.Transport {
	tr := newTransport(netip.Addr{}, 2, 1<<10, tlsConf)
	tr.DisableKeepAlives = true
	d := &net.Dialer{
		Timeout: dialTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
		Control: boundWrites,
	}
	tr.DialContext = dialFrom(d)
	return tr
}

// httpHeader returns h as an http.Header; nil when h is empty.
func httpHeader(h map[string]string) http.Header {
	if len(h) == 0 {
		return nil
	}
	hh := make(http.Header, len(h))
	for k, v := range h {
		hh.Set(k, v)
	}
	return hh
}

// addrString is a's text, "" for the zero address.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// hasWord reports whether the comma-separated list has w.
func hasWord(list, w string) bool {
	for l := range strings.SplitSeq(list, ",") {
		if l == w {
			return true
		}
	}
	return false
}
