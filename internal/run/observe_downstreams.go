package run

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/proc"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// downstreamsKind counts what the target does to the databases, caches and
// upstream APIs its target file declares, for the downstream metrics. The
// stubs are served and the counters opened before the target starts
// (openDownstreams); the observer samples them over the run.
var downstreamsKind = observerKind{
	name:  metric.ObservedDownstreams,
	start: startDownstreams,
	merge: mergeDownstreams,
}

// downstreams is what a run opened of the target file's downstreams
// before starting the target: the stubs it serves and every counter.
// Close stops the stubs, so it runs after the target has stopped.
type downstreams struct {
	watched []downstream.Watched // a stub is its own counter
	stubs   []*downstream.Stub
}

// openDownstreams serves the target file's stubs and opens its other
// downstreams' counters, each read once, so that a database that does not
// answer stops the run before any load, naming the downstream. It returns
// the target with the stubs' URLs in its start section.
func openDownstreams(ctx context.Context, tg *scenario.Target) (*downstreams, *scenario.Target, error) {
	d := &downstreams{}
	urls := map[string]string{}
	for _, spec := range tg.Downstreams {
		w := downstream.Watched{Name: spec.Name, Kind: spec.Kind}
		if spec.Kind == scenario.DownstreamStub {
			s, err := downstream.Serve(ctx, *spec.Stub)
			if err != nil {
				d.Close()
				return nil, nil, fmt.Errorf("%s: downstream %q: %w", spec.Where, spec.Name, err)
			}
			d.stubs = append(d.stubs, s)
			urls[spec.Name] = s.URL()
			w.Counter, w.Addr = s, s.Addr()
		} else {
			c, err := downstream.Open(ctx, spec)
			if err != nil {
				d.Close()
				return nil, nil, err // it names the downstream and where
			}
			w.Counter = c
			if w.Addr, err = addrOf(spec); err != nil {
				d.watched = append(d.watched, w)
				d.Close()
				return nil, nil, fmt.Errorf("%s: %w", spec.Where, err)
			}
		}
		d.watched = append(d.watched, w)
	}
	expanded, err := tg.WithStubURLs(urls)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, expanded, nil
}

// addrOf is where the target's connections to d are counted; the zero
// address when d names none.
func addrOf(d scenario.Downstream) (netip.AddrPort, error) {
	a, ok, err := downstream.Addr(d)
	if err != nil || !ok {
		return netip.AddrPort{}, err
	}
	return a, nil
}

// Close closes the counters and stops the stubs (a stub is its own
// counter).
func (d *downstreams) Close() {
	if d == nil {
		return
	}
	for _, w := range d.watched {
		w.Counter.Close()
	}
}

// downstreamsObserver samples the downstreams over the run.
type downstreamsObserver struct {
	w *downstream.Watcher
}

// startDownstreams starts sampling the downstreams openDownstreams
// opened, and the connections the target's process tree holds to them.
func startDownstreams(ctx context.Context, e observerEnv) (observer, error) {
	if e.ds == nil || len(e.ds.watched) == 0 {
		return nil, nil
	}
	every := e.sc.Resources.Every
	if every <= 0 {
		every = resource.DefaultEvery
	}
	pids := treeOf(e.tgt.pid())
	if pids != nil {
		for _, s := range e.ds.stubs {
			s.AttributeTo(pids)
		}
	}
	w := downstream.NewWatcher(e.ds.watched, pids, every)
	if err := w.Start(ctx); err != nil {
		return nil, err
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
	select {
	case <-time.After(time.Until(from)):
	case <-ctx.Done():
		return
	}
	d.w.MeasureFrom(ctx)
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
func (d *downstreamsObserver) finish(_ context.Context, res *report.Result) {
	d.w.Stop()
	res.Downstreams = d.w.Summary()
}

func (d *downstreamsObserver) Close(context.Context) { d.w.Stop() }

// mergeDownstreams combines the shards' downstreams as downstream.Merge
// does: a global counter read once, stubs' calls added.
func mergeDownstreams(m *report.Result, shards []*report.Result) (string, error) {
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
