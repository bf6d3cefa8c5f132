package run

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// observers is a run's second stage: what watches the target besides the
// load — the resource sampler and the real-time probes (websocket boards,
// SSE clients). Any of them may be absent.
type observers struct {
	sampler    *resource.Sampler
	endSamples context.CancelFunc // ends the sampler's run
	sampling   sync.WaitGroup     // the sampler's goroutine
	ws         *probe.WS
	sse        *probe.SSE
	stopProbes context.CancelFunc
}

// startObservers starts the sampler on the target's processes (or its
// resource source) and connects the probes.
func startObservers(ctx context.Context, o Options, sc *scenario.Scenario, tgt *targetStage, plan clientaddr.Plan) (*observers, error) {
	ob := &observers{endSamples: func() {}, stopProbes: func() {}}
	tg := o.Target
	if !tg.Resources.IsZero() || tgt.pid() > 0 {
		s, err := resource.New(tg.Resources, tgt.pid(), sc.Resources)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tg.Where("$.resources"), err)
		}
		sampleCtx, cancel := context.WithCancel(ctx)
		ob.sampler, ob.endSamples = s, cancel
		ob.sampling.Add(1)
		go func() { defer ob.sampling.Done(); s.Run(sampleCtx) }()
	}

	// An interrupt does not tear the probes down by itself: the gates on
	// end-of-run state (ws.connected, sse.connected) read the state when
	// the measured phase ended or was interrupted, before the teardown.
	// While they connect, an interrupt still stops them at once.
	probeCtx, stopProbes := context.WithCancel(context.WithoutCancel(ctx))
	ob.stopProbes = stopProbes
	disarm := context.AfterFunc(ctx, stopProbes)
	defer disarm()
	var err error
	ob.ws, ob.sse, err = startProbes(probeCtx, o, sc, tgt.baseURL, plan, tg.TLSConfig(), o.Shard)
	if err != nil {
		ob.Close(ctx)
		return nil, err
	}
	return ob, nil
}

// measure limits the resource figures to the measured phase: from the end
// of the warm-up to the end of the phase, or to the stop of the load
// (ctx).
func (ob *observers) measure(ctx context.Context, sc *scenario.Scenario) {
	if ob.sampler == nil {
		return
	}
	go func() {
		defer ob.endSamples()
		select {
		case <-time.After(sc.Warmup):
		case <-ctx.Done():
			return
		}
		ob.sampler.MeasureFrom()
		select {
		case <-time.After(sc.Duration):
		case <-ctx.Done():
		}
	}()
}

// broadcast runs the broadcaster, when there are boards, until the
// measured phase ends or ctx does; the channel has its error.
func (ob *observers) broadcast(ctx context.Context, sc *scenario.Scenario, s *report.ShardInfo) <-chan error {
	done := make(chan error, 1)
	if ob.ws == nil {
		done <- nil
		return done
	}
	go func() { done <- broadcast(ctx, ob.ws, sc, s) }()
	return done
}

// finishProbes closes the probes — the boards after the grace period for
// the last broadcasts — and puts their figures in res, with the
// connections as they were at the end of the measured phase.
func (ob *observers) finishProbes(ctx context.Context, o Options, sc *scenario.Scenario, res *report.Result, atEnd connections) {
	if ob.ws != nil {
		if ctx.Err() == nil {
			o.begin("waiting the %s grace period for the last broadcasts", sc.WebSocket.Grace)
		}
		s := ob.ws.Close(ctx)
		s.Connected = atEnd.ws
		if ctx.Err() == nil {
			o.end("done")
		}
		res.WebSocket = &s
	}
	if ob.sse != nil {
		s := ob.sse.Close()
		s.Connected = atEnd.sse
		res.SSE = &s
	}
	ob.stopProbes()
}

// finishSampler stops the sampler and puts its figures in res, with
// secrets redacted from the processes' command lines.
func (ob *observers) finishSampler(res *report.Result, secrets []string) {
	if ob.sampler == nil {
		return
	}
	ob.stopSampler()
	s := ob.sampler.Summary()
	for i := range s.Processes {
		s.Processes[i].Name = redact(s.Processes[i].Name, secrets)
	}
	res.Resources = &s
}

func (ob *observers) stopSampler() {
	ob.endSamples()
	ob.sampling.Wait()
}

// Close stops whatever still runs: the probes (without a grace period
// when ctx has ended or nothing was broadcast) and the sampler. It is safe
// after finishProbes and finishSampler.
func (ob *observers) Close(ctx context.Context) {
	if ob.ws != nil {
		ob.ws.Close(ctx)
	}
	if ob.sse != nil {
		ob.sse.Close()
	}
	ob.stopProbes()
	ob.stopSampler()
}

// startProbes starts the scenario's websocket boards and SSE clients; a
// shard's boards use the event ids the shards share.
func startProbes(ctx context.Context, o Options, sc *scenario.Scenario, baseURL string, plan clientaddr.Plan, tlsConf *tls.Config, s *report.ShardInfo) (*probe.WS, *probe.SSE, error) {
	var ws *probe.WS
	if sc.WebSocket != nil {
		var err error
		o.begin("connecting %s", report.Plural(sc.WebSocket.Boards, "board", "boards"))
		if s != nil {
			ws, err = probe.StartShardWS(ctx, baseURL, *sc.WebSocket, plan, tlsConf, s.Set)
		} else {
			ws, err = probe.StartWS(ctx, baseURL, *sc.WebSocket, plan, tlsConf)
		}
		if err != nil {
			o.end("failed")
			return nil, nil, fmt.Errorf("scenario %s: websocket: %w", sc.Name, err)
		}
		o.end("%d connected", ws.Connected())
	}
	var sse *probe.SSE
	if sc.SSE != nil {
		var err error
		o.begin("connecting %s", report.Plural(sc.SSE.Clients, "SSE client", "SSE clients"))
		sse, err = probe.StartSSE(ctx, baseURL, *sc.SSE, plan, tlsConf)
		if err != nil {
			o.end("failed")
			if ws != nil {
				ws.Close(ctx)
			}
			return nil, nil, fmt.Errorf("scenario %s: sse: %w", sc.Name, err)
		}
		o.end("done")
	}
	return ws, sse, nil
}

// broadcast runs the broadcaster for the measured phase, after the
// warm-up; a shard other than the first only follows the first's events.
func broadcast(ctx context.Context, ws *probe.WS, sc *scenario.Scenario, s *report.ShardInfo) error {
	if s != nil && s.Index != 1 {
		return ws.Follow(ctx, sc.Warmup, sc.Duration)
	}
	select {
	case <-time.After(sc.Warmup):
	case <-ctx.Done():
		return nil
	}
	return ws.Broadcast(ctx, sc.Duration)
}
