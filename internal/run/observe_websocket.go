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
	share: shareWebSocket,
	merge: mergeWebSocket,
}

// wsObserver is the connected boards. The broadcaster runs in observe.
type wsObserver struct {
	o     Options
	ws    *probe.WS
	cfg   scenario.WebSocket
	shard *result.ShardInfo
	stop  context.CancelFunc // ends the boards' context
	// connected is the boards connected when the measured phase ended.
	connected int
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
	probeCtx, connected, stop := probeContext(ctx)
	e.o.begin("connecting %s", unit.Plural(sc.WebSocket.Boards, "board", "boards"))
	var ws *probe.WS
	var err error
	if s := e.o.Shard; s != nil {
		ws, err = probe.StartShardWS(probeCtx, e.tgt.baseURL, *sc.WebSocket, e.plan, e.o.Target.TLSConfig(), s.Set)
	} else {
		ws, err = probe.StartWS(probeCtx, e.tgt.baseURL, *sc.WebSocket, e.plan, e.o.Target.TLSConfig())
	}
	if err != nil {
		e.o.end("failed")
		stop()
		return nil, fmt.Errorf("scenario %s: websocket: %w", sc.Name, err)
	}
	connected()
	e.o.end("%d connected", ws.Connected())
	return &wsObserver{o: e.o, ws: ws, cfg: *sc.WebSocket, shard: e.o.Shard, stop: stop}, nil
}

// probeContext returns the context of probes that outlive an interrupt
// once connected: until connected is called, ctx's end stops them; after
// it, only stop does.
func probeContext(ctx context.Context) (probeCtx context.Context, connected func(), stop context.CancelFunc) {
	probeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	disarm := context.AfterFunc(ctx, cancel)
	return probeCtx, func() { disarm() }, func() { disarm(); cancel() }
}

// observe runs the broadcaster for the measured phase, after the warm-up;
// a shard other than the first only follows the first's events.
func (w *wsObserver) observe(ctx context.Context, sc *scenario.Scenario) {
	var err error
	if w.shard != nil && w.shard.Index != 1 {
		err = w.ws.Follow(ctx, sc.Warmup, sc.Duration)
	} else {
		select {
		case <-time.After(sc.Warmup):
			err = w.ws.Broadcast(ctx, sc.Duration)
		case <-ctx.Done():
		}
	}
	if err != nil && ctx.Err() == nil {
		w.bcastErr = err
	}
}

func (w *wsObserver) snapshot() (metric.Figures, string) {
	return nil, fmt.Sprintf("boards %d", w.ws.Connected())
}

func (w *wsObserver) phaseEnded() { w.connected = w.ws.Connected() }

// finish closes the boards after the grace period for the last broadcasts
// and puts their account in res, with the boards connected at the end of
// the measured phase.
func (w *wsObserver) finish(ctx context.Context, res *result.Result) {
	if ctx.Err() == nil {
		w.o.begin("waiting the %s grace period for the last broadcasts", w.cfg.Grace)
	}
	s := w.ws.Close(ctx)
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
	w.ws.Close(ctx)
	w.stop()
}

// shareWebSocket gives a shard its share of the boards: none leaves it
// without a websocket section.
func shareWebSocket(sc *scenario.Scenario, s *result.ShardInfo) {
	if sc.WebSocket == nil {
		return
	}
	ws := *sc.WebSocket
	ws.Boards = shareOf(ws.Boards, s)
	sc.WebSocket = &ws
	if ws.Boards == 0 {
		sc.WebSocket = nil
	}
}

// mergeWebSocket accounts every shard's boards against the broadcaster's
// events, as one process would have.
func mergeWebSocket(m *result.Result, shards []*result.Result) (string, error) {
	var parts []probe.ShardWS
	for _, r := range shards {
		if r.WebSocket != nil {
			parts = append(parts, probe.ShardWS{Index: r.Shard.Index, Count: r.Shard.Count, Summary: r.WebSocket})
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	w, err := probe.MergeWS(parts)
	if err != nil {
		return "", err
	}
	m.WebSocket = &w
	return fmt.Sprintf("the boards of %s accounted against the one broadcaster's events", unit.Plural(len(parts), "shard", "shards")), nil
}
