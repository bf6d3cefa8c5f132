package run

import (
	"context"
	"slices"
	"sync"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// An observer watches the target during a run, beside the load: the
// resource sampler, the WebSocket boards and their broadcaster, the SSE
// clients. Each kind is a file of its own (observe_*.go) and one entry in
// observerKinds; the stages of a run know only this interface.
//
// A kind's start returns its observer ready (sampling, connected) before
// the load begins. Then the run calls observe beside the load, snapshot
// every second while the load runs, phaseEnded once when the measured
// phase is over (or cut short), finish for the summary, and Close.
type observer interface {
	// observe does the observer's part of the measured phase, which
	// begins sc.Warmup from now and lasts sc.Duration: it returns when
	// the phase is over or ctx ends (the load was stopped).
	observe(ctx context.Context, sc *scenario.Scenario)
	// snapshot returns the figures so far for the abort conditions (nil
	// when there is nothing to read yet) and a few words for the progress
	// line ("" for none). It is called while observe runs.
	snapshot() (metric.Figures, string)
	// phaseEnded notes the state the summary reports as the state at the
	// end of the measured phase, such as the boards connected then.
	phaseEnded()
	// finish ends the observation and puts its summary in res.
	finish(ctx context.Context, res *result.Result)
	// Close stops whatever still runs, at once; it is safe after finish.
	Close(ctx context.Context)
}

// An observerKind is one kind of thing a run watches.
type observerKind struct {
	// name is the key of the kind's summary in a result and of its
	// metrics in the catalogue (metric.Metric.Observer).
	name string
	// start starts the observer of this kind the run calls for, or
	// returns nil when the scenario and target call for none.
	start func(ctx context.Context, e observerEnv) (observer, error)
	// share cuts a copy of the scenario down to shard s's share of this
	// kind's clients; nil for a kind that every shard runs whole.
	share func(sc *scenario.Scenario, s *result.ShardInfo)
	// merge puts in m the kind's summary of the shards' results (sorted
	// by shard) and returns how it combined them, "" when none had one.
	merge func(m *result.Result, shards []*result.Result) (string, error)
}

// observerKinds is every kind of observer, in the order a run starts and
// finishes them (it closes them in reverse). A new kind is a file of its
// own and an entry here.
var observerKinds = []observerKind{
	resourcesKind,
	downstreamsKind,
	websocketKind,
	sseKind,
}

// observerEnv is what an observer starts from.
type observerEnv struct {
	o Options
	// sc is the run's share of the scenario.
	sc   *scenario.Scenario
	tgt  *targetStage
	plan clientaddr.Plan
	// ds is what the run opened of the target file's downstreams before
	// it started the target (serveStubs, openCounters); nil for none.
	ds *downstream.Set
}

// observers is a run's second stage: the observers of every kind the run
// calls for, started and ready.
type observers struct {
	kinds []string // the kind of each observer
	list  []observer
	// ended makes phaseEnded once.
	ended sync.Once
}

// startObservers starts every kind of observer the run calls for, in
// order; when one fails it closes those already started.
func startObservers(ctx context.Context, e observerEnv) (*observers, error) {
	ob := &observers{}
	for _, k := range observerKinds {
		o, err := k.start(ctx, e)
		if err != nil {
			ob.Close(ctx)
			return nil, err
		}
		if o != nil {
			ob.kinds = append(ob.kinds, k.name)
			ob.list = append(ob.list, o)
		}
	}
	return ob, nil
}

// observe runs every observer's observe beside the load; the returned
// function waits until all of them have returned.
func (ob *observers) observe(ctx context.Context, sc *scenario.Scenario) (wait func()) {
	var wg sync.WaitGroup
	for _, o := range ob.list {
		wg.Add(1)
		go func() { defer wg.Done(); o.observe(ctx, sc) }()
	}
	return wg.Wait
}

// snapshot returns the figures of every observer so far, by kind, and
// their words for the progress line.
func (ob *observers) snapshot() (map[string]metric.Figures, []string) {
	figs := map[string]metric.Figures{}
	var words []string
	for i, o := range ob.list {
		f, w := o.snapshot()
		if f != nil {
			figs[ob.kinds[i]] = f
		}
		if w != "" {
			words = append(words, w)
		}
	}
	return figs, words
}

// phaseEnded tells every observer, once, that the measured phase is over.
func (ob *observers) phaseEnded() {
	ob.ended.Do(func() {
		for _, o := range ob.list {
			o.phaseEnded()
		}
	})
}

// finish puts every observer's summary in res, in order.
func (ob *observers) finish(ctx context.Context, res *result.Result) {
	ob.phaseEnded()
	for _, o := range ob.list {
		o.finish(ctx, res)
	}
}

// Close stops whatever still runs, the last started first. It is safe
// after finish.
func (ob *observers) Close(ctx context.Context) {
	for _, o := range slices.Backward(ob.list) {
		o.Close(ctx)
	}
}

// MergeObserved puts in m the summaries of every kind of observer of the
// shards' results (sorted by shard), each combined as its kind combines
// shards, and returns one note per kind present saying how.
func MergeObserved(m *result.Result, shards []*result.Result) ([]string, error) {
	var notes []string
	for _, k := range observerKinds {
		how, err := k.merge(m, shards)
		if err != nil {
			return nil, err // it names the kind and the shard
		}
		if how != "" {
			notes = append(notes, k.name+": "+how)
		}
	}
	return notes, nil
}
