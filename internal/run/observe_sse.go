package run

import (
	"context"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// sseKind is the scenario's SSE clients, for the sse metrics.
var sseKind = observerKind{
	name:  metric.ObservedSSE,
	start: startSSE,
	share: sseClients.share,
	merge: sseClients.mergeShards,
}

// sseClients is where the SSE clients live in a scenario and a result;
// merging adds up the shards' clients.
var sseClients = clientsKind[scenario.SSE, probe.SSESummary]{
	section: func(sc *scenario.Scenario) **scenario.SSE { return &sc.SSE },
	count:   func(c *scenario.SSE) *int { return &c.Clients },
	summary: func(r *result.Result) **probe.SSESummary { return &r.SSE },
	merge: func(parts []probe.Shard[probe.SSESummary]) (probe.SSESummary, error) {
		return probe.MergeSSE(parts), nil
	},
	merged: "the clients of %s added up",
}

// sseObserver is the connected SSE clients.
type sseObserver struct {
	*clients[*probe.SSE]
}

// startSSE connects the scenario's SSE clients; like the boards, once
// connected they outlive an interrupt until the run reads their state.
func startSSE(ctx context.Context, e observerEnv) (observer, error) {
	sc := e.sc
	if sc.SSE == nil {
		return nil, nil
	}
	c, err := connectClients(ctx, e, "sse", unit.Plural(sc.SSE.Clients, "SSE client", "SSE clients"),
		func(ctx context.Context) (*probe.SSE, error) {
			return probe.StartSSE(ctx, e.tgt.baseURL, *sc.SSE, e.plan, e.o.Target.TLSConfig())
		},
		func(*probe.SSE) string { return "done" })
	if err != nil {
		return nil, err
	}
	return sseObserver{c}, nil
}

// observe has nothing to do: the clients count events from the start.
func (s sseObserver) observe(context.Context, *scenario.Scenario) {}

func (s sseObserver) snapshot() (metric.Figures, string) { return nil, "" }

// finish closes the clients and puts their figures in res, with the
// clients connected at the end of the measured phase.
func (s sseObserver) finish(_ context.Context, res *result.Result) {
	sum := s.probe.Close()
	sum.Connected = s.connected
	res.SSE = &sum
	s.stop()
}

func (s sseObserver) Close(context.Context) {
	s.probe.Close()
	s.stop()
}
