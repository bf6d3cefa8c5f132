package probe

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// liveness is when boards are pinged; tests shorten it.
type liveness struct {
	scan, pingIdle, pingTimeout time.Duration
	pings                       int // in flight at most
}

var defaultLiveness = liveness{scan: pingScan, pingIdle: pingIdle, pingTimeout: pingTimeout, pings: maxPings}

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
type pinger struct {
	live   liveness
	boards []*board
	clock  clock
	halted atomic.Bool    // set by halt: no new ping
	wg     sync.WaitGroup // the scan and the pings
}

// start scans until ctx ends.
func (p *pinger) start(ctx context.Context) {
	p.wg.Add(1)
	go p.scan(ctx)
}

// halt stops new pings while the boards close; wait for the rest.
func (p *pinger) halt() { p.halted.Store(true) }

// wait returns once the scan and every ping have ended (after ctx has).
func (p *pinger) wait() { p.wg.Wait() }

func (p *pinger) scan(ctx context.Context) {
	defer p.wg.Done()
	t := time.NewTicker(p.live.scan)
	defer t.Stop()
	sem := make(chan struct{}, p.live.pings)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, b := range p.boards {
			if p.halted.Load() {
				break
			}
			lc := b.live.Load()
			if lc == nil || time.Duration(p.clock.now()-b.lastSeen.Load()) <= p.live.pingIdle || lc.pinging.Load() {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			lc.pinging.Store(true)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.ping(ctx, b, lc)
				<-sem
			}()
		}
	}
}

// ping pings b on lc and waits live.pingTimeout for the pong.
func (p *pinger) ping(ctx context.Context, b *board, lc *liveConn) {
	defer lc.pinging.Store(false)
	pctx, cancel := context.WithTimeout(ctx, p.live.pingTimeout)
	defer cancel()
	err := lc.conn.Ping(pctx)
	switch {
	case err == nil:
		b.lastSeen.Store(p.clock.now())
	case ctx.Err() == nil && pctx.Err() != nil && b.live.Load() == lc:
		b.unanswered.Add(1)
	}
}
