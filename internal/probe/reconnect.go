package probe

import (
	"context"
	"math/rand/v2"
	"time"
)

// redial is the reconnect policy of the boards and the SSE clients, one
// for both so that they cannot differ in how they treat a target that
// drops them. After a failed attempt the client waits, from min doubling
// to max; after a connection that ended it waits min. Each wait is
// jittered ±50 % (see jitter), so that clients dropped together do not
// come back together as a burst loadcheck made itself.
type redial struct {
	min, max time.Duration
	// pause waits about d, or until ctx ends; it reports whether the wait
	// ran out. Tests record the waits instead.
	pause func(ctx context.Context, d time.Duration) bool
}

var defaultRedial = redial{
	min: backoffMin,
	max: backoffMax,
	pause: func(ctx context.Context, d time.Duration) bool {
		return sleep(ctx, jitter(d))
	},
}

// session is a client that redial keeps connected; C is one connection.
type session[C any] interface {
	// connect makes one connection.
	connect(ctx context.Context) (C, error)
	// failed notes an attempt that failed while ctx was still live.
	failed(err error)
	// serve uses c until it ends; first is true for the client's first
	// connection. It reports whether to connect again.
	serve(ctx context.Context, c C, first bool) bool
}

// keepConnected keeps s connected until ctx ends or s stops: connect,
// serve, wait, connect again. It calls ready once, at the first
// connection (before serving it) or on giving up, so that a start can wait
// for every client either way.
func keepConnected[C any](ctx context.Context, r redial, s session[C], ready func()) {
	first := true
	defer func() {
		if first {
			ready()
		}
	}()
	wait := r.min
	for {
		c, err := s.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.failed(err)
			if !r.pause(ctx, wait) {
				return
			}
			wait = min(2*wait, r.max)
			continue
		}
		wait = r.min
		wasFirst := first
		if first {
			first = false
			ready()
		}
		if !s.serve(ctx, c, wasFirst) || !r.pause(ctx, wait) {
			return
		}
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
