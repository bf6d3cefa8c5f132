package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/load"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// loadStage is a run's third stage once it is over: the HTTP load from
// --start to the end of its schedule (or an abort, or an interrupt), with
// the broadcaster and the monitor that ticks beside it.
type loadStage struct {
	rec   *record.Recorder
	stats load.Stats
	// began is when the load (its warm-up first) began; end is when the
	// load and the observers were both done.
	began, end time.Time
	// aborted is set when an abort condition stopped the load.
	aborted bool
	// stop cancels the load's context, which the observers' part of the
	// measured phase follows (observer.observe).
	stop context.CancelCauseFunc
}

// execution is what the load and the stages after it read of one run:
// its options, its share of the scenario, its clients' addresses, and the
// result the stages fill in.
type execution struct {
	o    Options
	sc   *scenario.Scenario
	plan clientaddr.Plan
	res  *result.Result
}

// driveLoad waits for --start, then runs the load against baseURL, the
// observers' part of the measured phase (the sampler's window, the
// broadcaster), and the monitor (progress, checkpoints, aborts) until the
// load and the observers are done. The monitor reads x.res for
// checkpoints and adds an abort's reason to it.
func driveLoad(ctx context.Context, x *execution, baseURL string, ob *observers) (*loadStage, error) {
	o, sc, plan, res := x.o, x.sc, x.plan, x.res
	loadCtx, stop := context.WithCancelCause(ctx)
	atk, err := load.New(sc, baseURL, plan, o.Target.TLSConfig())
	if err != nil {
		stop(nil)
		return nil, err
	}
	if o.Shard != nil {
		atk.Pacer().Shard(o.Shard.Index, o.Shard.Count)
		sh := *o.Shard
		res.Shard = &sh
	}
	if err := startOnTime(ctx, o.Start, res); err != nil {
		stop(nil)
		return nil, err
	}
	rec := record.NewLimited(endpointNames(sc), record.Limits{Phase: sc.Duration, Timeout: sc.HTTP.Timeout})
	loadDone := make(chan load.Stats, 1)
	began := time.Now()
	go func() { loadDone <- atk.Run(loadCtx, rec) }()
	observed := ob.observe(loadCtx, sc)

	mon := monitor{o: o, atk: atk, rec: rec, obs: ob, res: res, stop: stop}
	stats := mon.watch(loadCtx, loadDone)
	observed()
	return &loadStage{
		rec: rec, stats: stats, began: began, end: time.Now(),
		aborted: errors.Is(context.Cause(loadCtx), errAborted),
		stop:    stop,
	}, nil
}

// startOnTime waits for --start, when set, and notes in res a start more
// than a second late.
func startOnTime(ctx context.Context, start time.Time, res *result.Result) error {
	late, err := waitStart(ctx, start)
	if err != nil {
		return fmt.Errorf("waiting for --start %s: %w", start.Format(time.RFC3339), ErrInterrupted)
	}
	if late > time.Second {
		addReason(res, fmt.Sprintf("the load began %s after --start %s", late.Round(100*time.Millisecond), start.Format(time.RFC3339)))
		if res.Shard != nil {
			res.Shard.StartedLate = late
		}
	}
	return nil
}

func endpointNames(sc *scenario.Scenario) []string {
	names := make([]string, len(sc.HTTP.Endpoints))
	for i, e := range sc.HTTP.Endpoints {
		names[i] = e.Name
	}
	return names
}

// figures puts the load's figures in res. Rates are per second of
// sending: responses that drain after the schedule ends count, but their
// wait does not dilute the rate.
func (l *loadStage) figures(res *result.Result, sc *scenario.Scenario) {
	l.rec.Seal(minTime(l.end, l.stats.Ended))
	setLoadFigures(res, l.rec.Snapshot(l.stats.SendEnded, true), result.Generator{
		Scheduled: l.stats.Scheduled, Sent: l.stats.Sent, Warmup: l.stats.Warmup, Canceled: l.stats.Canceled,
		InflightMax: l.stats.InflightMax, MaxWorkers: sc.HTTP.MaxWorkers,
		FeedRanOut: feedsRanOut(res, sc, l.stats.RanOut),
	})
	if ran := l.end.Sub(l.began); ran < sc.Warmup {
		// Stopped in the warm-up: the measured phase never began.
		res.WarmupRan = ran
	}
}

// feedsRanOut says in res which endpoints stopped sending because their
// feed (order: once) ran out, and returns their unsent arrivals by
// endpoint; nil when no feed ran out.
func feedsRanOut(res *result.Result, sc *scenario.Scenario, ranOut []uint64) map[string]uint64 {
	var out map[string]uint64
	for i, n := range ranOut {
		if n == 0 || i >= len(sc.HTTP.Endpoints) {
			continue
		}
		e := sc.HTTP.Endpoints[i]
		if out == nil {
			out = map[string]uint64{}
		}
		out[e.Name] = n
		addReason(res, fmt.Sprintf("the feed of %s ran out (order: once, %d rows): its %d later arrivals were not sent", e.Name, len(e.Feed.Rows), n))
	}
	return out
}

// Stop ends the load's context; the run's end.
func (l *loadStage) Stop() { l.stop(nil) }
