package run

import (
	"context"
	"fmt"

	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// A kind of observer that is a probe of connected clients (the WebSocket
// boards, the SSE clients) is written as its clientsKind, for what
// shards do with it, and an observer that embeds clients, for the run:
// both keep here what every such kind does, so that the kind's own file
// holds only what differs.

// clientProbe is a probe of connected clients.
type clientProbe interface {
	// Connected returns the clients connected now.
	Connected() int
}

// clients is an observer's probe of connected clients: the probe, the
// end of its context, and the clients connected when the measured phase
// ended.
type clients[P clientProbe] struct {
	probe P
	stop  context.CancelFunc // ends the probe's context
	// connected is the clients connected when the measured phase ended.
	connected int
}

func (c *clients[P]) phaseEnded() { c.connected = c.probe.Connected() }

// connectClients connects a probe of clients with start, saying so on the
// progress line ("connecting " what, then done's words or "failed"). The
// probe's context outlives an interrupt once the clients are connected
// (probeContext), so the run can still read their state; section names
// the scenario's section in an error.
func connectClients[P clientProbe](ctx context.Context, e observerEnv, section, what string,
	start func(ctx context.Context) (P, error), done func(P) string) (*clients[P], error) {
	probeCtx, connected, stop := probeContext(ctx)
	e.o.begin("connecting %s", what)
	p, err := start(probeCtx)
	if err != nil {
		e.o.end("failed")
		stop()
		return nil, fmt.Errorf("scenario %s: %s: %w", e.sc.Name, section, err)
	}
	connected()
	e.o.end("%s", done(p))
	return &clients[P]{probe: p, stop: stop}, nil
}

// probeContext returns the context of probes that outlive an interrupt
// once connected: until connected is called, ctx's end stops them; after
// it, only stop does.
func probeContext(ctx context.Context) (probeCtx context.Context, connected func(), stop context.CancelFunc) {
	probeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	disarm := context.AfterFunc(ctx, cancel)
	return probeCtx, func() { disarm() }, func() { disarm(); cancel() }
}

// A clientsKind is where a kind of clients lives in a scenario (C, its
// section) and in a result (S, its summary), for cutting the scenario
// into shards and merging the shards' results.
type clientsKind[C any, S probe.WSSummary | probe.SSESummary] struct {
	// section points at the scenario's section of the kind (nil for none).
	section func(sc *scenario.Scenario) **C
	// count points at the number of clients in a section.
	count func(c *C) *int
	// summary points at a result's summary of the kind (nil for none).
	summary func(r *result.Result) **S
	// merge combines the shards' summaries.
	merge func(parts []probe.Shard[S]) (S, error)
	// merged says how merge combined N shards' clients, with %s for "N shards".
	merged string
}

// share gives a shard its share of the kind's clients: none leaves it
// without the kind's section.
func (k clientsKind[C, S]) share(sc *scenario.Scenario, s *result.ShardInfo) {
	sec := k.section(sc)
	if *sec == nil {
		return
	}
	c := **sec
	n := k.count(&c)
	*n = shareOf(*n, s)
	*sec = &c
	if *n == 0 {
		*sec = nil
	}
}

// mergeShards puts in m the merge of the shards' summaries of the kind
// and says how, "" when no shard had one.
func (k clientsKind[C, S]) mergeShards(m *result.Result, shards []*result.Result) (string, error) {
	var parts []probe.Shard[S]
	for _, r := range shards {
		if sum := *k.summary(r); sum != nil {
			parts = append(parts, probe.Shard[S]{Index: r.Shard.Index, Count: r.Shard.Count, Summary: sum})
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	s, err := k.merge(parts)
	if err != nil {
		return "", err
	}
	*k.summary(m) = &s
	return fmt.Sprintf(k.merged, unit.Plural(len(parts), "shard", "shards")), nil
}
