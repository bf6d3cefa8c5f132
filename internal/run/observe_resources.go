package run

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// resourcesKind samples the CPU and memory of the target's processes (or
// of the target file's resource source) for the cpu and rss metrics.
var resourcesKind = observerKind{
	name:  metric.ObservedResources,
	start: startResources,
	merge: mergeResources,
}

// resourcesObserver is the resource sampler, running from the start of
// the observers to the end of the measured phase.
type resourcesObserver struct {
	sampler    *resource.Sampler
	endSamples context.CancelFunc // ends the sampler's run
	sampling   sync.WaitGroup     // the sampler's goroutine
	secrets    []string           // redacted from the processes' command lines
}

// startResources starts the sampler when the target file names a source
// or loadcheck started the target.
func startResources(ctx context.Context, e observerEnv) (observer, error) {
	tg := e.o.Target
	if tg.Resources.IsZero() && e.tgt.pid() == 0 {
		return nil, nil
	}
	s, err := resource.New(tg.Resources, e.tgt.pid(), e.sc.Resources)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tg.Where("$.resources"), err)
	}
	sampleCtx, cancel := context.WithCancel(ctx)
	r := &resourcesObserver{sampler: s, endSamples: cancel, secrets: secrets(e.sc, tg)}
	r.sampling.Add(1)
	go func() { defer r.sampling.Done(); s.Run(sampleCtx) }()
	return r, nil
}

// observe limits the figures to the measured phase: from the end of the
// warm-up to the end of the phase, or to the stop of the load (ctx).
func (r *resourcesObserver) observe(ctx context.Context, sc *scenario.Scenario) {
	defer r.endSamples()
	select {
	case <-time.After(sc.Warmup):
	case <-ctx.Done():
		return
	}
	r.sampler.MeasureFrom()
	select {
	case <-time.After(sc.Duration):
	case <-ctx.Done():
	}
}

// snapshot gives the abort conditions the CPU and memory now, once two
// readings give a CPU figure.
func (r *resourcesObserver) snapshot() (metric.Figures, string) {
	sus, tot, rss, ok := r.sampler.Current()
	if !ok {
		return nil, ""
	}
	return resource.Figures{CPUSustained: sus, CPUTotal: tot, CPUMeasured: true, RSSTotal: rss}, ""
}

func (r *resourcesObserver) phaseEnded() {}

// finish stops the sampler and puts its figures in res, with secrets
// redacted from the processes' command lines.
func (r *resourcesObserver) finish(_ context.Context, res *result.Result) {
	r.stop()
	s := r.sampler.Summary()
	for i := range s.Processes {
		s.Processes[i].Name = redact(s.Processes[i].Name, r.secrets)
	}
	res.Resources = &s
}

func (r *resourcesObserver) Close(context.Context) { r.stop() }

func (r *resourcesObserver) stop() {
	r.endSamples()
	r.sampling.Wait()
}

// mergeResources takes the first shard's samples for the run: every shard
// samples the same target.
func mergeResources(m *result.Result, shards []*result.Result) (string, error) {
	for _, r := range shards {
		if r.Resources != nil {
			m.Resources = r.Resources
			return fmt.Sprintf("shard %d/%d's samples (every shard samples the same target)", r.Shard.Index, r.Shard.Count), nil
		}
	}
	return "", nil
}
