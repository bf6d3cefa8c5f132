package run

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/target"
)

// targetStage is a run's first stage: the target loadcheck started, and
// watches so that the report can say when it died; or, for a target file
// without a start section, the address of one already listening.
type targetStage struct {
	tg      *scenario.Target
	baseURL string
	running *target.Running // nil when loadcheck did not start the target
	died    atomic.Pointer[time.Time]
	watched chan struct{} // closed to end the watch
	unwatch sync.Once
}

// startTarget starts the target, or checks that something listens at its
// base URL.
func startTarget(ctx context.Context, o Options) (*targetStage, error) {
	tg := o.Target
	t := &targetStage{tg: tg, baseURL: tg.BaseURL}
	if tg.Start == nil {
		if err := target.CheckReachable(ctx, tg.BaseURL, tg.Ready.Path, tg.TLSConfig()); err != nil {
			return nil, fmt.Errorf("%s: base_url: %w", tg.Where("$.base_url"), err)
		}
		return t, nil
	}
	o.begin("starting %s", targetLabel(tg))
	r, err := target.Start(ctx, tg, target.Options{Log: o.TargetLog})
	if err != nil {
		o.end("failed")
		return nil, err
	}
	o.end("ready in %s", seconds(r.ReadyTime()))
	t.running, t.baseURL = r, r.BaseURL()
	t.watched = make(chan struct{})
	go t.watch()
	return t, nil
}

// watch notes when the target exits, until Close.
func (t *targetStage) watch() {
	select {
	case <-t.running.Exited():
		now := time.Now()
		t.died.Store(&now)
	case <-t.watched:
	}
}

// pid is the target's root process, or 0 when loadcheck did not start it.
func (t *targetStage) pid() int {
	if t.running == nil {
		return 0
	}
	return t.running.PID()
}

// describe fills in how the target was reached, with secrets redacted
// from its address.
func (t *targetStage) describe(ti *result.TargetInfo, secrets []string) {
	ti.BaseURL = redact(t.baseURL, secrets)
	if t.running != nil {
		ti.Started = true
		ti.ReadyTime = t.running.ReadyTime()
	}
}

// finish says in the result's reason whether the target exited during the
// run, and when, then stops it and reports a failed stop there too. It
// runs once the probes and the sampler are done with the target.
func (t *targetStage) finish(ctx context.Context, res *result.Result) {
	if t.running == nil {
		return
	}
	select {
	case <-t.running.Exited():
		when := ""
		if d := t.died.Load(); d != nil && !res.Start.IsZero() {
			when = ", " + intoRun(d.Sub(res.Start))
		}
		addReason(res, fmt.Sprintf("the target exited during the run%s (%v)", when, t.running.ExitErr()))
	default:
	}
	if err := t.stop(ctx); err != nil {
		addReason(res, fmt.Sprintf("stopping the target: %v", err))
	}
}

// Close stops the watch and the target loadcheck started. It is safe
// after finish: stopping a stopped target does nothing.
func (t *targetStage) Close(ctx context.Context) {
	if t.running == nil {
		return
	}
	t.unwatch.Do(func() { close(t.watched) })
	t.stop(ctx)
}

// stop stops the target with its grace period and some slack, even when
// ctx has ended: an interrupted run still stops what it started.
func (t *targetStage) stop(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.tg.Stop.Grace+10*time.Second)
	defer cancel()
	return t.running.Stop(sctx)
}
