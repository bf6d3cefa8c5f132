package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// websocketKind is the scenario's WebSocket boards and the broadcaster
// whose events they count, for the ws metrics.
var websocketKind = observerKind{
	name:  metric.ObservedWebSocket,
	start: startWebSocket,
	share: wsClients.share,
	merge: wsClients.mergeShards,
}

// wsClients is where the boards live in a scenario and a result; merging
// accounts every shard's boards against the broadcaster's events, as one
// process would have.
var wsClients = clientsKind[scenario.WebSocket, probe.WSSummary]{
	section: func(sc *scenario.Scenario) **scenario.WebSocket { return &sc.WebSocket },
	count:   func(c *scenario.WebSocket) *int { return &c.Boards },
	summary: func(r *result.Result) **probe.WSSummary { return &r.WebSocket },
	merge:   probe.MergeWS,
	merged:  "the boards of %s accounted against the one broadcaster's events",
}

// wsObserver is the connected boards. The broadcaster runs in observe.
type wsObserver struct {
	*clients[*probe.WS]
	o     Options
	cfg   scenario.WebSocket
	shard *result.ShardInfo
	// bcastErr is the broadcaster's error, other than being stopped.
	bcastErr error
}

// startWebSocket connects the scenario's boards (a shard's, with the
// event ids the shards share). An interrupt does not tear them down by
// itself: the gates on end-of-run state (ws.connected) read the state
// when the measured phase ended or was interrupted, before the teardown.
// While they connect, an interrupt still stops them at once.
func startWebSocket(ctx context.Context, e observerEnv) (observer, error) {
	sc := e.sc
	if sc.WebSocket == nil {
		return nil, nil
	}
	c, err := connectClients(ctx, e, "websocket", unit.Plural(sc.WebSocket.Boards, "board", "boards"),
		func(ctx context.Context) (*probe.WS, error) {
			if s := e.o.Shard; s != nil {
				return probe.StartShardWS(ctx, e.tgt.baseURL, *sc.WebSocket, e.plan, e.o.Target.TLSConfig(), s.Set)
			}
			return probe.StartWS(ctx, e.tgt.baseURL, *sc.WebSocket, e.plan, e.o.Target.TLSConfig())
		},
		func(ws *probe.WS) string { return fmt.Sprintf("%d connected", ws.Connected()) })
	if err != nil {
		return nil, err
	}
	return &wsObserver{clients: c, o: e.o, cfg: *sc.WebSocket, shard: e.o.Shard}, nil
}

// observe runs the broadcaster for the measured phase, after the warm-up;
// a shard other than the first only follows the first's events.
func (w *wsObserver) observe(ctx context.Context, sc *scenario.Scenario) {
	var err error
	if w.shard != nil && w.shard.Index != 1 {
		err = w.probe.Follow(ctx, sc.Warmup, sc.Duration)
	} else {
		select {
		case <-time.After(sc.Warmup):
			err = w.probe.Broadcast(ctx, sc.Duration)
		case <-ctx.Done():
		}
	}
	if err != nil && ctx.Err() == nil {
		w.bcastErr = err
	}
}

func (w *wsObserver) snapshot() (metric.Figures, string) {
	return nil, fmt.Sprintf("boards %d", w.probe.Connected())
}

// finish closes the boards after the grace period for the last broadcasts
// and puts their account in res, with the boards connected at the end of
// the measured phase.
func (w *wsObserver) finish(ctx context.Context, res *result.Result) {
	if ctx.Err() == nil {
		w.o.begin("waiting the %s grace period for the last broadcasts", w.cfg.Grace)
	}
	s := w.probe.Close(ctx)
	s.Connected = w.connected
	if ctx.Err() == nil {
		w.o.end("done")
	}
	res.WebSocket = &s
	if w.bcastErr != nil && !errors.Is(w.bcastErr, context.Canceled) {
		addReason(res, fmt.Sprintf("websocket broadcaster: %v", w.bcastErr))
	}
	w.stop()
}

// Close closes the boards without a grace period when ctx has ended or
// nothing was broadcast.
func (w *wsObserver) Close(ctx context.Context) {
	w.probe.Close(ctx)
	w.stop()
}
