package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Timeouts and bounds of the boards. They are constants rather than
// scenario fields: they guard against a dead peer, they do not shape the
// load.
const (
	// dialTimeout bounds one handshake (TCP connect and upgrade), from
	// when it may start (see maxDialing).
	dialTimeout = 10 * time.Second
	// maxDialing bounds the handshakes in flight, first connections and
	// reconnections alike: with the stagger it bounds the rate at which
	// boards meet the target, and a target slower than the stagger is
	// met by at most this many handshakes at once, not by every board.
	maxDialing = 256
	// startTimeout is how long StartWS waits, beyond the stagger, for
	// every board's first connection.
	startTimeout = 30 * time.Second
	// pingIdle: a board that has received nothing for this long is
	// pinged, so that a proxy's idle timeout (nginx: 60 s) does not close
	// it; pingTimeout bounds the wait for the pong. An unanswered ping is
	// counted, and the connection is kept: see pinger.
	pingIdle    = 15 * time.Second
	pingTimeout = 10 * time.Second
	// pingScan is how often the pinger looks at the boards.
	pingScan = time.Second
	// maxPings bounds the pings in flight across all boards.
	maxPings = 64
	// keepAliveIdle, keepAliveInterval and keepAliveCount are the boards'
	// TCP keep-alive: a peer that vanished without closing (host down,
	// network cut) is found by the kernel within about 30 s and the read
	// fails, which is a disconnect. userTimeout bounds, the same way, data
	// written but never acknowledged (where keep-alive does not probe).
	keepAliveIdle     = 15 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	userTimeout       = 30 * time.Second
	// readLimit is the largest message a board accepts.
	readLimit = 1 << 20
	// backoffMin and backoffMax bound the wait before a reconnect; it
	// doubles from backoffMin after each failed dial, with ±50 % jitter so
	// that boards dropped together do not dial together.
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
	// closeParallel bounds the close handshakes run at once by Close.
	closeParallel = 256
	// deliveryShards spreads the delivery histogram over a few locks.
	deliveryShards = 8
	// settle is how long a board must have been connected before a
	// broadcast is expected of it. A server answers the upgrade before it
	// adds the board to its list (uvicorn: accept, then append), so a POST
	// sent the moment the handshake completes may rightly miss the board.
	// StartWS waits settle before it returns, so the first broadcast is
	// expected of every board.
	settle = 100 * time.Millisecond
)

// liveness is when boards are pinged; tests shorten it.
type liveness struct {
	scan, pingIdle, pingTimeout time.Duration
	pings                       int // in flight at most
}

var defaultLiveness = liveness{scan: pingScan, pingIdle: pingIdle, pingTimeout: pingTimeout, pings: maxPings}

// WorkerHeader is the response header of the websocket upgrade that names
// the target's worker process; Board.Worker shows it.
const WorkerHeader = "X-Worker-Pid"

// WS is a set of dispatch boards and their broadcaster. Its methods are
// safe for concurrent use. Broadcast runs at most once; call Close after
// it has returned (Close returns the same summary when called again).
type WS struct {
	cfg scenario.WebSocket
	run string // event id prefix
	// shared is true when run is shared by the shards of one sharded run:
	// the summary then carries the ledger loadcheck merge accounts from.
	shared  bool
	wsURL   string
	postURL string
	base    time.Time // origin of the monotonic nanoseconds used throughout
	dialer  *http.Client
	poster  *http.Client
	header  http.Header   // of each board's upgrade request
	bcHead  http.Header   // of each broadcast POST
	dialing chan struct{} // a slot per handshake in flight
	boards  []*board
	live    liveness
	cancel  context.CancelFunc // stops boards and the pinger
	wg      sync.WaitGroup     // boards, pinger, pings

	// launchAt is when the first board started to dial; lastFirstUp when
	// the last board's first connection was made (the latest so far).
	launchAt    int64
	lastFirstUp atomic.Int64

	connected     atomic.Int64
	connectErrors atomic.Int64
	lastErr       atomic.Pointer[error]
	stopping      atomic.Bool
	stopAt        atomic.Int64

	connectMu  sync.Mutex
	connect    *record.Histogram // handshake: TCP connect to 101
	connectTCP *record.Histogram // TCP connect alone

	delivery [deliveryShards]struct {
		sync.Mutex
		h *record.Histogram
	}

	// events is the broadcaster's table, indexed by sequence number; set
	// once by Broadcast before the first POST.
	events  atomic.Pointer[[]slot]
	rec     *record.Recorder
	sent    atomic.Int64
	acked   atomic.Int64
	body    bodyMaker
	started atomic.Bool

	mu       sync.Mutex // guards the fields below
	ready    int64      // when every board had connected
	bcFrom   int64      // the broadcast window; bcTo is 0 until Broadcast returns
	bcTo     int64
	bcEnd    time.Time
	closed   bool
	closeSum WSSummary
}

// slot is one broadcast event, written by the broadcaster and read by
// the boards as they receive it.
type slot struct {
	sent atomic.Int64 // dispatch time, monotonic ns; 0 until sent
	ack  atomic.Int64 // 2xx response time, monotonic ns; 0 unless acknowledged
}

// board is one dispatch board. Fields below live are owned by the board's
// goroutine until it exits; Close reads them after.
type board struct {
	id       int
	from     netip.Addr               // source address; zero for the system's choice
	live     atomic.Pointer[liveConn] // nil while disconnected
	lastSeen atomic.Int64             // last message or pong, monotonic ns

	spans       []span
	seen        bitset
	maxSeq      int
	dups        int64
	outOfOrder  int64
	noID        int64
	foreign     int64
	reconnects  int
	disconnects int
	worker      string
	// unanswered counts the pings the target left unanswered; written by
	// the pinger's goroutines.
	unanswered atomic.Int64
}

// liveConn is a board's current connection.
type liveConn struct {
	conn    *websocket.Conn
	pinging atomic.Bool
}

// StartWS connects cfg.Boards dispatch boards to baseURL+cfg.Path, board i
// starting i·cfg.Stagger after the first, with at most 256 handshakes in
// flight, and returns once each has connected, or an error (after closing
// those that did) when ctx ends or some board could not connect within
// 30 s beyond the stagger. Each failed handshake is retried with backoff
// meanwhile. The boards stay connected, reconnecting when the target or
// the network drops them, until Close or until ctx ends: loadcheck itself
// closes no board before (see pinger).
//
// Each upgrade request carries cfg.Headers and offers cfg.Subprotocols;
// each broadcast carries cfg.Broadcast.Headers.
//
// Zero cfg fields mean: IDField "id", Stagger and Grace none.
//
// Board i connects from plan.Board(i), the broadcasts are posted from
// plan.Broadcaster().
func StartWS(ctx context.Context, baseURL string, cfg scenario.WebSocket, plan clientaddr.Plan, tlsConf *tls.Config) (*WS, error) {
	return startWS(ctx, baseURL, cfg, plan, tlsConf, defaultLiveness, "")
}

// StartShardWS is StartWS for one shard of a sharded run: events is the
// event id prefix every shard of the run shares (8 lowercase hex digits),
// so each shard's boards recognise the broadcasts of the one shard that
// runs the broadcaster (Broadcast there, Follow in the others). The
// summary carries a Ledger for MergeWS.
func StartShardWS(ctx context.Context, baseURL string, cfg scenario.WebSocket, plan clientaddr.Plan, tlsConf *tls.Config, events string) (*WS, error) {
	if len(events) != 8 || strings.Trim(events, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("websocket: event id prefix %q: want 8 lowercase hex digits", events)
	}
	return startWS(ctx, baseURL, cfg, plan, tlsConf, defaultLiveness, events)
}

// startWS starts the boards; events is the event id prefix, "" for a
// random one of this run alone.
func startWS(ctx context.Context, baseURL string, cfg scenario.WebSocket, plan clientaddr.Plan, tlsConf *tls.Config, live liveness, events string) (*WS, error) {
	w, err := newWS(baseURL, cfg, plan, tlsConf, live, events)
	if err != nil {
		return nil, err
	}
	bctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	context.AfterFunc(bctx, w.closeAll) // reads end when their connection does

	w.wg.Add(1)
	go w.pinger(bctx)

	allUp := w.launch(ctx, bctx)
	if err := w.awaitReady(ctx, allUp); err != nil {
		return nil, err
	}
	return w, nil
}

// newWS checks cfg and builds the probe with its boards, none of them
// connected yet. The open-file limit is raised first: each board holds a
// connection, and running out midway would read as the target's failure.
func newWS(baseURL string, cfg scenario.WebSocket, plan clientaddr.Plan, tlsConf *tls.Config, live liveness, events string) (*WS, error) {
	if cfg.IDField == "" {
		cfg.IDField = "id"
	}
	if cfg.Boards < 1 {
		return nil, fmt.Errorf("websocket: want 1 or more boards, got %d", cfg.Boards)
	}
	if err := ensureFiles(cfg.Boards + 256); err != nil {
		return nil, fmt.Errorf("websocket: %d boards: %v", cfg.Boards, err)
	}
	base := strings.TrimRight(baseURL, "/")
	w := &WS{
		cfg:        cfg,
		run:        events,
		shared:     events != "",
		wsURL:      base + cfg.Path,
		postURL:    base + cfg.Broadcast.Path,
		base:       time.Now(),
		live:       live,
		dialer:     &http.Client{Transport: boardTransport(tlsConf)},
		poster:     newPoster(plan.Broadcaster(), tlsConf),
		header:     httpHeader(cfg.Headers),
		bcHead:     httpHeader(cfg.Broadcast.Headers),
		dialing:    make(chan struct{}, maxDialing),
		connect:    record.NewHistogram(),
		connectTCP: record.NewHistogram(),
		rec:        record.New([]string{"broadcast"}),
		body:       newBodyMaker(cfg.IDField, cfg.Broadcast.Fields),
	}
	if w.run == "" {
		w.run = newRunID()
	}
	for i := range w.delivery {
		w.delivery[i].h = record.NewHistogram()
	}
	w.boards = make([]*board, cfg.Boards)
	for i := range w.boards {
		w.boards[i] = &board{id: i, maxSeq: -1, from: plan.Board(i)}
	}
	return w, nil
}

// launch starts the boards on bctx, board i at i·cfg.Stagger after the
// first, so that the target is not met by a burst of handshakes, and stops
// starting them when ctx ends. The times are kept to a schedule rather
// than slept one after another, so that a stagger shorter than a timer's
// resolution still gives its rate. The channel it returns is closed once
// every board started has connected or given up.
func (w *WS) launch(ctx, bctx context.Context) <-chan struct{} {
	var ready sync.WaitGroup
	start := time.Now()
	w.launchAt = w.mono(start)
	for i, b := range w.boards {
		if ctx.Err() != nil {
			break
		}
		if wait := time.Until(start.Add(time.Duration(i) * w.cfg.Stagger)); wait > 0 && !sleep(ctx, wait) {
			break
		}
		ready.Add(1)
		w.wg.Add(1)
		go w.runBoard(bctx, b, &ready)
	}
	allUp := make(chan struct{})
	go func() { ready.Wait(); close(allUp) }()
	return allUp
}

// awaitReady waits up to startTimeout for allUp, then settle more so that
// the first broadcast is expected of every board, and marks the boards
// ready. When ctx ends first, or no board connected, it stops the boards
// and says why.
func (w *WS) awaitReady(ctx context.Context, allUp <-chan struct{}) error {
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var err error
	select {
	case <-allUp:
		sleep(ctx, settle)
		if n := w.connected.Load(); ctx.Err() == nil && n > 0 {
			w.mu.Lock()
			w.ready = w.now()
			w.mu.Unlock()
			return nil
		}
		err = ctx.Err()
	case <-timer.C:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return w.abandonStart(allUp, err)
}

// abandonStart stops the boards of a start that failed, waiting for those
// still dialing, and returns the error: how many boards had connected, the
// last handshake error, and cause (nil when the start timed out).
func (w *WS) abandonStart(allUp <-chan struct{}, cause error) error {
	up := w.connected.Load()
	w.shutdown(false)
	<-allUp
	if cause == nil {
		cause = fmt.Errorf("gave up after %v", startTimeout)
	}
	last := ""
	if p := w.lastErr.Load(); p != nil {
		last = " (last error: " + (*p).Error() + ")"
	}
	return fmt.Errorf("websocket %s: %d of %d boards connected%s: %w", w.wsURL, up, w.cfg.Boards, last, cause)
}

// Connected returns the number of boards connected now.
func (w *WS) Connected() int { return int(w.connected.Load()) }

// now returns the probe's monotonic clock in nanoseconds.
func (w *WS) now() int64 { return int64(time.Since(w.base)) }

// mono converts t, which must carry a monotonic reading, to the probe's
// clock.
func (w *WS) mono(t time.Time) int64 { return int64(t.Sub(w.base)) }

// runBoard keeps board b connected until ctx ends: dial, read until the
// connection ends, back off, dial again. It calls ready.Done once, at the
// first connection or on giving up.
func (w *WS) runBoard(ctx context.Context, b *board, ready *sync.WaitGroup) {
	defer w.wg.Done()
	signalled := false
	defer func() {
		if !signalled {
			ready.Done()
		}
	}()
	wait := backoffMin
	for {
		lc, err := w.dialAside(ctx, b)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.connectErrors.Add(1)
			w.lastErr.Store(&err)
			if !sleep(ctx, jitter(wait)) {
				return
			}
			wait = min(2*wait, backoffMax)
			continue
		}
		wait = backoffMin
		if signalled {
			b.reconnects++
		} else {
			signalled = true
			w.firstUp(b.spans[0].up)
			ready.Done()
		}
		w.read(lc, b)
		end := w.now()
		stopped := w.stopping.Load() || ctx.Err() != nil
		if w.stopping.Load() {
			end = w.stopAt.Load()
		}
		b.live.Store(nil)
		sp := &b.spans[len(b.spans)-1]
		sp.down = max(end, sp.up)
		w.connected.Add(-1)
		lc.conn.CloseNow()
		if stopped {
			return
		}
		sp.alive = max(b.lastSeen.Load(), sp.up)
		b.disconnects++
		if !sleep(ctx, jitter(wait)) {
			return
		}
	}
}

// firstUp notes a board's first connection at up, keeping the latest.
func (w *WS) firstUp(up int64) {
	for {
		last := w.lastFirstUp.Load()
		if up <= last || w.lastFirstUp.CompareAndSwap(last, up) {
			return
		}
	}
}

// dialAside runs dial on a goroutine of its own and waits for it. The
// HTTP client's path is much deeper than the read path, and a stack that
// grew for the handshake stays grown while the board reads: on the board's
// own goroutine it would cost every board 4 KB more for the whole run.
func (w *WS) dialAside(ctx context.Context, b *board) (*liveConn, error) {
	type result struct {
		lc  *liveConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		lc, err := w.dial(ctx, b)
		ch <- result{lc, err}
	}()
	r := <-ch
	return r.lc, r.err
}

// dial makes one connection for b, once a handshake slot is free, and
// records it as up.
func (w *WS) dial(ctx context.Context, b *board) (*liveConn, error) {
	select {
	case w.dialing <- struct{}{}:
		defer func() { <-w.dialing }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var tcpStart, tcpDone atomic.Int64
	dctx = httptrace.WithClientTrace(dctx, &httptrace.ClientTrace{
		ConnectStart: func(string, string) { tcpStart.Store(w.now()) },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				tcpDone.Store(w.now())
			}
		},
	})
	start := time.Now()
	conn, resp, err := websocket.Dial(withFrom(dctx, b.from), w.wsURL, &websocket.DialOptions{
		HTTPClient:   w.dialer,
		HTTPHeader:   w.header,
		Subprotocols: w.cfg.Subprotocols,
	})
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	conn.SetReadLimit(readLimit)
	w.connectMu.Lock()
	w.connect.Record(took)
	if s, d := tcpStart.Load(), tcpDone.Load(); s > 0 && d >= s {
		w.connectTCP.Record(time.Duration(d - s))
	}
	w.connectMu.Unlock()

	if pid := resp.Header.Get(WorkerHeader); pid != "" && !hasWord(b.worker, pid) {
		if b.worker != "" {
			b.worker += ","
		}
		b.worker += pid
	}
	lc := &liveConn{conn: conn}
	now := w.now()
	b.spans = append(b.spans, span{up: now})
	b.lastSeen.Store(now)
	b.live.Store(lc)
	w.connected.Add(1)
	if ctx.Err() != nil { // closeAll may have run before lc was live
		conn.CloseNow()
	}
	return lc, nil
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

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// read receives messages on lc until the connection ends.
//
// Reads take a context that is never done: coder/websocket registers a
// context.AfterFunc for each read whose context can end, about 400 bytes
// of garbage per message, which with 10,000 boards cost 100 MB of peak RSS
// and a fifth of the probe's CPU. Reads are bounded all the same: by the
// connection itself (a close or reset from the peer, TCP keep-alive and
// the user timeout for a peer that vanished, see boardTransport), and by
// closeAll when the boards stop.
func (w *WS) read(lc *liveConn, b *board) {
	for {
		_, r, err := lc.conn.Reader(context.Background())
		if err != nil {
			return
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			now := w.now()
			b.lastSeen.Store(now)
			w.receive(b, buf.Bytes(), now)
		}
		if buf.Cap() <= 64<<10 {
			bufPool.Put(buf)
		}
		if err != nil {
			return
		}
	}
}

// receive accounts one message received by b at now.
func (w *WS) receive(b *board, msg []byte, now int64) {
	b.spans[len(b.spans)-1].msgs++
	id, ok := idOf(msg, w.cfg.IDField)
	if !ok {
		b.noID++
		return
	}
	seq, ok := parseEventID(w.run, id)
	tbl := w.events.Load()
	if !ok || tbl == nil || seq >= len(*tbl) {
		b.foreign++
		return
	}
	if b.seen.has(seq) {
		b.dups++
		return
	}
	b.seen.set(seq)
	if seq < b.maxSeq {
		b.outOfOrder++
	} else {
		b.maxSeq = seq
	}
	sent := (*tbl)[seq].sent.Load()
	if sent == 0 && w.shared {
		sent = w.sentAt(msg) // the broadcaster runs in another shard
	}
	if sent > 0 {
		d := &w.delivery[b.id%deliveryShards]
		d.Lock()
		d.h.Record(time.Duration(now - sent))
		d.Unlock()
	}
}

// pinger pings every board that has been quiet for pingIdle: one
// goroutine for all boards, so that idle boards cost no goroutine of their
// own, with at most live.pings pings in flight.
//
// It scales with the boards and never closes one. A scan walks every board
// in turn and waits for a free slot rather than skipping a board, so with
// many idle boards the pings come later, never not at all; and a ping left
// unanswered is counted (WSSummary.UnansweredPings), the connection kept.
// A board is judged dead only by its connection: a read error, which the
// kernel gives for a peer that closed, reset or vanished (TCP keep-alive).
// Closing a board that merely answers late would report loadcheck's own
// decision as the target's disconnect, and the events it then missed as
// not expected rather than lost.
func (w *WS) pinger(ctx context.Context) {
	defer w.wg.Done()
	t := time.NewTicker(w.live.scan)
	defer t.Stop()
	sem := make(chan struct{}, w.live.pings)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, b := range w.boards {
			if w.stopping.Load() {
				break
			}
			lc := b.live.Load()
			if lc == nil || time.Duration(w.now()-b.lastSeen.Load()) <= w.live.pingIdle || lc.pinging.Load() {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			lc.pinging.Store(true)
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				w.ping(ctx, b, lc)
				<-sem
			}()
		}
	}
}

// ping pings b on lc and waits live.pingTimeout for the pong.
func (w *WS) ping(ctx context.Context, b *board, lc *liveConn) {
	defer lc.pinging.Store(false)
	pctx, cancel := context.WithTimeout(ctx, w.live.pingTimeout)
	defer cancel()
	err := lc.conn.Ping(pctx)
	switch {
	case err == nil:
		b.lastSeen.Store(w.now())
	case ctx.Err() == nil && pctx.Err() != nil && b.live.Load() == lc:
		b.unanswered.Add(1)
	}
}

// closeAll closes every board's connection, ending its read.
func (w *WS) closeAll() {
	for _, b := range w.boards {
		if lc := b.live.Load(); lc != nil {
			lc.conn.CloseNow()
		}
	}
}

// shutdown stops the boards: with a close handshake when graceful, then
// by cancelling their context, which closes what is left; it returns when
// every goroutine has ended.
func (w *WS) shutdown(graceful bool) {
	w.stopAt.Store(w.now())
	w.stopping.Store(true)
	if graceful {
		var g errgroup.Group
		g.SetLimit(closeParallel)
		for _, b := range w.boards {
			if lc := b.live.Load(); lc != nil {
				g.Go(func() error {
					_ = lc.conn.Close(websocket.StatusNormalClosure, "loadcheck done")
					return nil
				})
			}
		}
		_ = g.Wait()
	}
	w.cancel()
	w.wg.Wait()
	w.dialer.CloseIdleConnections()
	w.poster.CloseIdleConnections()
}

// Close waits cfg.Grace after the broadcaster's last answer (not when ctx
// has already ended, nor when Broadcast never ran), closes the boards and
// returns the account. Later calls return the same summary.
func (w *WS) Close(ctx context.Context) WSSummary {
	w.mu.Lock()
	if w.closed {
		defer w.mu.Unlock()
		return w.closeSum
	}
	end := w.bcEnd
	w.mu.Unlock()
	if !end.IsZero() && ctx.Err() == nil {
		if wait := time.Until(end.Add(w.cfg.Grace)); wait > 0 {
			sleep(ctx, wait)
		}
	}
	connected := w.Connected()
	w.shutdown(ctx.Err() == nil)
	sum := w.summarize(connected)
	w.mu.Lock()
	w.closed, w.closeSum = true, sum
	w.mu.Unlock()
	return sum
}

// summarize does the accounting once every board goroutine has ended.
func (w *WS) summarize(connected int) WSSummary {
	events := w.eventTable()
	from, to := w.window()
	s := WSSummary{
		Boards:        len(w.boards),
		Connected:     connected,
		Sent:          int(w.sent.Load()),
		Acked:         int(w.acked.Load()),
		ConnectErrors: int(w.connectErrors.Load()),
		PerBoard:      make([]Board, 0, len(w.boards)),
	}
	for _, b := range w.boards {
		s.addAccount(b.counts(), b.spans, b.seen, events, from, to)
		s.NoID += b.noID
		s.Foreign += b.foreign
	}
	s.setLoss()
	s.setConnectRate(time.Duration(w.lastFirstUp.Load() - w.launchAt))
	w.addLatencies(&s)
	if w.shared {
		s.Ledger = w.ledger(events, from, to)
	}
	return s
}

// eventTable copies the broadcaster's events out of their atomics; nil
// when Broadcast never ran.
func (w *WS) eventTable() []event {
	tbl := w.events.Load()
	if tbl == nil {
		return nil
	}
	events := make([]event, len(*tbl))
	for i := range *tbl {
		events[i] = event{sent: (*tbl)[i].sent.Load(), ack: (*tbl)[i].ack.Load()}
	}
	return events
}

// window is the broadcast window over which disconnections count. With no
// broadcast, or one interrupted, it is what there was: from when the boards
// were ready, or the first POST, to when they were stopped.
func (w *WS) window() (from, to int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from, to = w.bcFrom, w.bcTo
	if to == 0 {
		if from == 0 {
			from = w.ready
		}
		to = w.stopAt.Load()
	}
	return from, to
}

// counts is what board b counted itself, before it is accounted against
// the broadcaster's events.
func (b *board) counts() Board {
	return Board{
		ID:              b.id,
		Duplicates:      b.dups,
		OutOfOrder:      b.outOfOrder,
		Reconnects:      b.reconnects,
		Disconnects:     b.disconnects,
		UnansweredPings: b.unanswered.Load(),
		Worker:          b.worker,
		From:            addrString(b.from),
	}
}

// addLatencies adds to s the delivery times, merged from their shards, the
// handshake times and the broadcaster's HTTP latency, whose recorder it
// closes at the broadcaster's last answer (now, when there was none).
func (w *WS) addLatencies(s *WSSummary) {
	all := record.NewHistogram()
	for i := range w.delivery {
		all.Merge(w.delivery[i].h)
	}
	s.Delivery = all.Percentiles()
	s.DeliveryHist, _ = all.Encode()
	w.connectMu.Lock()
	s.Connect = w.connect.Percentiles()
	s.ConnectTCP = w.connectTCP.Percentiles()
	w.connectMu.Unlock()
	w.mu.Lock()
	end := w.bcEnd
	w.mu.Unlock()
	if end.IsZero() {
		end = time.Now()
	}
	if sum := w.rec.Close(end); len(sum.Endpoints) > 0 {
		s.Broadcast = sum.Endpoints[0]
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter returns d ± 50 %.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d)
}
