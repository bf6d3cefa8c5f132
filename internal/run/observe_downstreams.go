package run

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/proc"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// downstreamsKind counts what the target does to the databases, caches and
// upstream APIs its target file declares, for the downstream metrics. The
// stubs are served before the target starts (serveStubs), the counters
// opened once it is ready (openCounters); the observer samples them.
var downstreamsKind = observerKind{
	name:  metric.ObservedDownstreams,
	start: startDownstreams,
	merge: mergeDownstreams,
}

// serveStubs serves the target file's stubs before the target starts and
// returns the target with their URLs in its start section. The set's
// Close stops the stubs (and the counters openCounters adds), so it runs
// after the target has stopped.
func serveStubs(ctx context.Context, tg *scenario.Target) (*downstream.Set, *scenario.Target, error) {
	if len(tg.Downstreams) == 0 {
		return nil, tg, nil
	}
	set, err := downstream.ServeStubs(ctx, tg.Downstreams)
	if err != nil {
		return nil, nil, err
	}
	started, err := tg.WithStubURLs(set.StubURLs())
	if err != nil {
		return nil, nil, errors.Join(err, set.Close())
	}
	return set, started, nil
}

// openCounters opens the other downstreams' counters once the target is
// ready — a target may start its own database — and before any load, so
// that a database that does not answer stops the run, named.
func openCounters(ctx context.Context, set *downstream.Set, tg *scenario.Target) error {
	if set == nil {
		return nil
	}
	return set.OpenCounters(ctx, tg.Downstreams)
}

// downstreamsObserver samples the downstreams over the run.
type downstreamsObserver struct {
	w *downstream.Watcher
}

// startDownstreams starts sampling the downstreams serveStubs and openCounters
// opened, and the connections the target's process tree holds to them.
func startDownstreams(ctx context.Context, e observerEnv) (observer, error) {
	if e.ds == nil || len(e.ds.Watched) == 0 {
		return nil, nil
	}
	// A stub then looks for its callers among the target's processes.
	w := downstream.NewWatcher(e.ds.Watched, treeOf(e.tgt.pid()), e.sc.Resources.WithDefaults().Every)
	if err := w.Start(ctx); err != nil {
		return nil, err
	}
	if e.sc.Warmup == 0 {
		// The phase begins with the load: a reading taken beside the
		// first requests could miss the calls they make.
		w.MeasureFrom(ctx)
	}
	return &downstreamsObserver{w: w}, nil
}

// treeOf returns a function listing the processes of the tree rooted at
// root now; none when loadcheck did not start the target.
func treeOf(root int) func() []int {
	if root <= 0 {
		return nil
	}
	fs, err := proc.Default()
	if err != nil {
		return func() []int { return []int{root} }
	}
	return func() []int {
		pids := []int{root}
		for i := 0; i < len(pids) && len(pids) < maxTreeProcs; i++ {
			pids = append(pids, fs.Children(pids[i])...)
		}
		return pids
	}
}

// maxTreeProcs bounds the processes of one target whose sockets are read.
const maxTreeProcs = 1024

// observe takes the readings that open and close the measured phase, at
// its planned edges: the time a reading takes does not push the end.
func (d *downstreamsObserver) observe(ctx context.Context, sc *scenario.Scenario) {
	from := time.Now().Add(sc.Warmup)
	if sc.Warmup > 0 { // else startDownstreams took the opening reading
		select {
		case <-time.After(time.Until(from)):
		case <-ctx.Done():
			return
		}
		d.w.MeasureFrom(ctx)
	}
	select {
	case <-time.After(time.Until(from.Add(sc.Duration))):
	case <-ctx.Done():
	}
	// The phase ends with a reading even when the load was stopped.
	d.w.MeasureUntil(context.WithoutCancel(ctx))
}

// snapshot gives the abort conditions the calls so far.
func (d *downstreamsObserver) snapshot() (metric.Figures, string) {
	return downstream.Figures(d.w.Snapshot()), ""
}

func (d *downstreamsObserver) phaseEnded() {}

// finish stops the sampling and puts each downstream's summary in res.
func (d *downstreamsObserver) finish(_ context.Context, res *result.Result) {
	d.w.Stop()
	res.Downstreams = d.w.Summary()
}

func (d *downstreamsObserver) Close(context.Context) { d.w.Stop() }

// mergeDownstreams combines the shards' downstreams as downstream.Merge
// does: a global counter read once, stubs' calls added.
func mergeDownstreams(m *result.Result, shards []*result.Result) (string, error) {
	var parts [][]downstream.Summary
	for _, r := range shards {
		if len(r.Downstreams) > 0 {
			parts = append(parts, r.Downstreams)
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	m.Downstreams = downstream.Merge(parts...)
	var how []string
	for _, s := range m.Downstreams {
		how = append(how, s.Name+" "+s.Combined)
	}
	return strings.Join(how, "; "), nil
}
