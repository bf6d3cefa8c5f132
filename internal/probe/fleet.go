package probe

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"
)

// fleet is the dispatch boards as a set: it starts them at a bounded rate,
// keeps each connected (redial), and stops them. What a single board does
// with its connection is the board's (board.read); how it connects is the
// dialer's; the pinger keeps idle boards alive.
type fleet struct {
	boards  []*board
	stagger time.Duration // between the starts of two boards
	dialer  *boardDialer
	inbox   *inbox
	pinger  *pinger
	redial  redial
	clock   clock
	cancel  context.CancelFunc // stops the boards and the pinger
	wg      sync.WaitGroup     // the boards' goroutines

	// launchAt is when the first board started to dial; lastFirstUp when
	// the last board's first connection was made (the latest so far).
	launchAt    int64
	lastFirstUp atomic.Int64
	connected   atomic.Int64
	stopping    atomic.Bool
	stopAt      atomic.Int64
}

// start connects the boards and returns, on the probe's clock, when every
// one had (see StartWS), or an error once it has stopped them.
func (f *fleet) start(ctx context.Context) (ready int64, err error) {
	bctx, cancel := context.WithCancel(ctx)
	f.cancel = cancel
	context.AfterFunc(bctx, f.closeAll) // reads end when their connection does
	f.pinger.start(bctx)
	allUp := f.launch(ctx, bctx)
	return f.awaitReady(ctx, allUp)
}

// launch starts the boards on bctx, board i at i·stagger after the first,
// so that the target is not met by a burst of handshakes, and stops
// starting them when ctx ends. The times are kept to a schedule rather
// than slept one after another, so that a stagger shorter than a timer's
// resolution still gives its rate. The channel it returns is closed once
// every board started has connected or given up.
func (f *fleet) launch(ctx, bctx context.Context) <-chan struct{} {
	var ready sync.WaitGroup
	start := time.Now()
	f.launchAt = f.clock.mono(start)
	for i, b := range f.boards {
		if ctx.Err() != nil {
			break
		}
		if wait := time.Until(start.Add(time.Duration(i) * f.stagger)); wait > 0 && !sleep(ctx, wait) {
			break
		}
		ready.Add(1)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			keepConnected(bctx, f.redial, boardSession{f, b}, ready.Done)
		}()
	}
	allUp := make(chan struct{})
	go func() { ready.Wait(); close(allUp) }()
	return allUp
}

// awaitReady waits up to startTimeout for allUp, then settle more so that
// the first broadcast is expected of every board, and returns that time.
// When ctx ends first, or no board connected, it stops the boards and
// says why.
func (f *fleet) awaitReady(ctx context.Context, allUp <-chan struct{}) (int64, error) {
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var err error
	select {
	case <-allUp:
		sleep(ctx, settle)
		if n := f.connected.Load(); ctx.Err() == nil && n > 0 {
			return f.clock.now(), nil
		}
		err = ctx.Err()
	case <-timer.C:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return 0, f.abandonStart(allUp, err)
}

// abandonStart stops the boards of a start that failed, waiting for those
// still dialing, and returns the error: how many boards had connected, the
// last handshake error, and cause (nil when the start timed out).
func (f *fleet) abandonStart(allUp <-chan struct{}, cause error) error {
	up := f.connected.Load()
	f.shutdown(false)
	<-allUp
	if cause == nil {
		cause = fmt.Errorf("gave up after %v", startTimeout)
	}
	last := ""
	if e := f.dialer.lastError(); e != "" {
		last = " (last error: " + e + ")"
	}
	return fmt.Errorf("websocket %s: %d of %d boards connected%s: %w", f.dialer.url, up, len(f.boards), last, cause)
}

// boardSession is one board as redial sees it.
type boardSession struct {
	f *fleet
	b *board
}

func (s boardSession) connect(ctx context.Context) (*liveConn, error) { return s.f.dialAside(ctx, s.b) }

func (s boardSession) failed(err error) { s.f.dialer.failed(err) }

// serve reads lc until it ends, then accounts the end.
func (s boardSession) serve(ctx context.Context, lc *liveConn, first bool) bool {
	if first {
		s.f.firstUp(s.b.spans[0].up)
	} else {
		s.b.reconnects++
	}
	s.b.read(lc, s.f.inbox)
	return s.f.ended(ctx, s.b, lc)
}

// firstUp notes a board's first connection at up, keeping the latest.
func (f *fleet) firstUp(up int64) {
	for {
		last := f.lastFirstUp.Load()
		if up <= last || f.lastFirstUp.CompareAndSwap(last, up) {
			return
		}
	}
}

// dialAside runs connect on a goroutine of its own and waits for it. The
// HTTP client's path is much deeper than the read path, and a stack that
// grew for the handshake stays grown while the board reads: on the board's
// own goroutine it would cost every board 4 KB more for the whole run.
func (f *fleet) dialAside(ctx context.Context, b *board) (*liveConn, error) {
	type result struct {
		lc  *liveConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		lc, err := f.connect(ctx, b)
		ch <- result{lc, err}
	}()
	r := <-ch
	return r.lc, r.err
}

// connect makes one connection for b and records it as up.
func (f *fleet) connect(ctx context.Context, b *board) (*liveConn, error) {
	conn, worker, err := f.dialer.dial(ctx, b.from)
	if err != nil {
		return nil, err
	}
	b.addWorker(worker)
	lc := &liveConn{conn: conn}
	now := f.clock.now()
	b.spans = append(b.spans, span{up: now})
	b.lastSeen.Store(now)
	b.live.Store(lc)
	f.connected.Add(1)
	if ctx.Err() != nil { // closeAll may have run before lc was live
		conn.CloseNow()
	}
	return lc, nil
}

// ended accounts the end of b's connection lc and reports whether b
// should reconnect: not when the boards are stopping, whose ends are
// loadcheck's and count as at the stop, not as disconnects.
func (f *fleet) ended(ctx context.Context, b *board, lc *liveConn) bool {
	end := f.clock.now()
	stopped := f.stopping.Load() || ctx.Err() != nil
	if f.stopping.Load() {
		end = f.stopAt.Load()
	}
	b.live.Store(nil)
	sp := &b.spans[len(b.spans)-1]
	sp.down = max(end, sp.up)
	f.connected.Add(-1)
	lc.conn.CloseNow()
	if stopped {
		return false
	}
	sp.alive = max(b.lastSeen.Load(), sp.up)
	b.disconnects++
	return true
}

// closeAll closes every board's connection, ending its read.
func (f *fleet) closeAll() {
	for _, b := range f.boards {
		if lc := b.live.Load(); lc != nil {
			lc.conn.CloseNow()
		}
	}
}

// shutdown stops the boards: with a close handshake when graceful, then
// by cancelling their context, which closes what is left; it returns when
// every goroutine has ended.
func (f *fleet) shutdown(graceful bool) {
	f.stopAt.Store(f.clock.now())
	f.stopping.Store(true)
	f.pinger.halt()
	if graceful {
		var g errgroup.Group
		g.SetLimit(closeParallel)
		for _, b := range f.boards {
			if lc := b.live.Load(); lc != nil {
				g.Go(func() error {
					_ = lc.conn.Close(websocket.StatusNormalClosure, "loadcheck done")
					return nil
				})
			}
		}
		_ = g.Wait()
	}
	f.cancel()
	f.wg.Wait()
	f.pinger.wait()
	f.dialer.client.CloseIdleConnections()
}
