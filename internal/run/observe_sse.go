package run

import (
	"context"
	"fmt"

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
	share: shareSSE,
	merge: mergeSSE,
}

// sseObserver is the connected SSE clients.
type sseObserver struct {
	sse  *probe.SSE
	stop context.CancelFunc // ends the clients' context
	// connected is the clients connected when the measured phase ended.
	connected int
}

// startSSE connects the scenario's SSE clients; like the boards, once
// connected they outlive an interrupt until the run reads their state.
func startSSE(ctx context.Context, e observerEnv) (observer, error) {
	sc := e.sc
	if sc.SSE == nil {
		return nil, nil
	}
	probeCtx, connected, stop := probeContext(ctx)
	e.o.begin("connecting %s", unit.Plural(sc.SSE.Clients, "SSE client", "SSE clients"))
	sse, err := probe.StartSSE(probeCtx, e.tgt.baseURL, *sc.SSE, e.plan, e.o.Target.TLSConfig())
	if err != nil {
		e.o.end("failed")
		stop()
		return nil, fmt.Errorf("scenario %s: sse: %w", sc.Name, err)
	}
	connected()
	e.o.end("done")
	return &sseObserver{sse: sse, stop: stop}, nil
}

// observe has nothing to do: the clients count events from the start.
func (s *sseObserver) observe(context.Context, *scenario.Scenario) {}

func (s *sseObserver) snapshot() (metric.Figures, string) { return nil, "" }

func (s *sseObserver) phaseEnded() { s.connected = s.sse.Connected() }

// finish closes the clients and puts their figures in res, with the
// clients connected at the end of the measured phase.
func (s *sseObserver) finish(_ context.Context, res *result.Result) {
	sum := s.sse.Close()
	sum.Connected = s.connected
	res.SSE = &sum
	s.stop()
}

func (s *sseObserver) Close(context.Context) {
	s.sse.Close()
	s.stop()
}

// shareSSE gives a shard its share of the SSE clients: none leaves it
// without an sse section.
func shareSSE(sc *scenario.Scenario, s *result.ShardInfo) {
	if sc.SSE == nil {
		return
	}
	sse := *sc.SSE
	sse.Clients = shareOf(sse.Clients, s)
	sc.SSE = &sse
	if sse.Clients == 0 {
		sc.SSE = nil
	}
}

// mergeSSE adds up the shards' clients.
func mergeSSE(m *result.Result, shards []*result.Result) (string, error) {
	var parts []probe.ShardSSE
	for _, r := range shards {
		if r.SSE != nil {
			parts = append(parts, probe.ShardSSE{Index: r.Shard.Index, Count: r.Shard.Count, Summary: r.SSE})
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	s := probe.MergeSSE(parts)
	m.SSE = &s
	return fmt.Sprintf("the clients of %s added up", unit.Plural(len(parts), "shard", "shards")), nil
}
