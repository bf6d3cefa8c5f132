package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
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

// WorkerHeader is the response header of the websocket upgrade that names
// the target's worker process; Board.Worker shows it.
const WorkerHeader = "X-Worker-Pid"

// WS is a set of dispatch boards and their broadcaster. Its methods are
// safe for concurrent use. Broadcast (or Follow) runs at most once; call
// Close after it has returned (Close returns the same summary when called
// again).
//
// It ties together parts with one job each: the fleet of boards (each
// with its connection and read loop, the dialer, the pinger, the redial
// policy), the inbox that recognises what boards receive, the broadcaster
// that sends along the scenario's schedule, and the broadcast window; the
// account of who should have received what is summarize's, on Close.
type WS struct {
	cfg   scenario.WebSocket
	clock clock
	// shared is true when the event id prefix is shared by the shards of
	// one sharded run: the summary then carries the ledger loadcheck
	// merge accounts from.
	shared  bool
	events  eventTable
	fleet   *fleet
	bc      *broadcaster
	win     window
	started atomic.Bool // Broadcast or Follow has run

	closeMu  sync.Mutex
	closed   bool
	closeSum WSSummary
}

// window is the broadcast window over which disconnections count, on the
// probe's clock, and when the broadcaster's last answer came.
type window struct {
	mu       sync.Mutex
	ready    int64 // when every board had connected
	from, to int64 // to is 0 until the broadcast ends
	end      time.Time
}

func (w *window) setReady(t int64) { w.mu.Lock(); w.ready = t; w.mu.Unlock() }

func (w *window) open(from int64) { w.mu.Lock(); w.from = from; w.mu.Unlock() }

// shut ends the window at end (mono on the probe's clock).
func (w *window) shut(mono int64, end time.Time) {
	w.mu.Lock()
	w.to, w.end = mono, end
	w.mu.Unlock()
}

// lastAnswer is when the broadcast ended; zero before.
func (w *window) lastAnswer() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.end }

// bounds is the window. With no broadcast, or one interrupted, it is what
// there was: from when the boards were ready, or the first POST, to
// stopAt, when they were stopped.
func (w *window) bounds(stopAt int64) (from, to int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from, to = w.from, w.to
	if to == 0 {
		if from == 0 {
			from = w.ready
		}
		to = stopAt
	}
	return from, to
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
	ready, err := w.fleet.start(ctx)
	if err != nil {
		return nil, err
	}
	w.win.setReady(ready)
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
	run := events
	if run == "" {
		run = newRunID()
	}
	base := strings.TrimRight(baseURL, "/")
	w := &WS{cfg: cfg, clock: newClock(), shared: events != ""}
	boards := make([]*board, cfg.Boards)
	for i := range boards {
		boards[i] = &board{id: i, maxSeq: -1, from: plan.Board(i)}
	}
	w.fleet = &fleet{
		boards:  boards,
		stagger: cfg.Stagger,
		dialer:  newBoardDialer(base+cfg.Path, httpHeader(cfg.Headers), cfg.Subprotocols, tlsConf, w.clock),
		inbox:   newInbox(cfg.IDField, run, w.shared, w.clock, &w.events),
		pinger:  &pinger{live: live, boards: boards, clock: w.clock},
		redial:  defaultRedial,
		clock:   w.clock,
	}
	w.bc = newBroadcaster(base+cfg.Broadcast.Path, cfg, run, plan, tlsConf, w.clock)
	return w, nil
}

// Connected returns the number of boards connected now.
func (w *WS) Connected() int { return int(w.fleet.connected.Load()) }

// Close waits cfg.Grace after the broadcaster's last answer (not when ctx
// has already ended, nor when Broadcast never ran), closes the boards and
// returns the account. Later calls return the same summary; one made
// while the first runs waits for it, rather than stop the boards twice.
func (w *WS) Close(ctx context.Context) WSSummary {
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.closed {
		return w.closeSum
	}
	if end := w.win.lastAnswer(); !end.IsZero() && ctx.Err() == nil {
		if wait := time.Until(end.Add(w.cfg.Grace)); wait > 0 {
			sleep(ctx, wait)
		}
	}
	connected := w.Connected()
	w.fleet.shutdown(ctx.Err() == nil)
	w.bc.client.CloseIdleConnections()
	w.closed, w.closeSum = true, w.summarize(connected)
	return w.closeSum
}

// summarize does the accounting once every board goroutine has ended.
func (w *WS) summarize(connected int) WSSummary {
	events := w.events.snapshot()
	from, to := w.win.bounds(w.fleet.stopAt.Load())
	f := w.fleet
	s := WSSummary{
		Boards:        len(f.boards),
		Connected:     connected,
		Sent:          int(w.bc.sent.Load()),
		Acked:         int(w.bc.acked.Load()),
		ConnectErrors: int(f.dialer.errors.Load()),
		PerBoard:      make([]Board, 0, len(f.boards)),
	}
	for _, b := range f.boards {
		s.addAccount(b.counts(), b.spans, b.seen, events, from, to)
		s.NoID += b.noID
		s.Foreign += b.foreign
	}
	s.setLoss()
	s.setConnectRate(time.Duration(f.lastFirstUp.Load() - f.launchAt))
	w.addLatencies(&s)
	if w.shared {
		s.Ledger = w.ledger(events, from, to)
	}
	return s
}

// addLatencies adds to s the delivery times, merged from their shards, the
// handshake times and the broadcaster's HTTP latency, whose recorder it
// closes at the broadcaster's last answer (now, when there was none).
func (w *WS) addLatencies(s *WSSummary) {
	all := w.fleet.inbox.deliveries()
	s.Delivery = all.Percentiles()
	s.DeliveryHist, _ = all.Encode()
	s.Connect, s.ConnectTCP = w.fleet.dialer.times()
	end := w.win.lastAnswer()
	if end.IsZero() {
		end = time.Now()
	}
	if sum := w.bc.rec.Close(end); len(sum.Endpoints) > 0 {
		s.Broadcast = sum.Endpoints[0]
	}
}
