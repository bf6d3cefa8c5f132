package run

import (
	"context"
	"fmt"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/load"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/resource"
)

// monitor ticks once a second while the load runs: it prints progress and
// checks the abort conditions.
type monitor struct {
	o       Options
	atk     *load.Attack
	rec     *record.Recorder
	sampler *resource.Sampler
	ws      *probe.WS
	sse     *probe.SSE
	res     *report.Result
	stop    context.CancelCauseFunc
	// atEnd is the probes' state when the measured phase ended or was
	// interrupted, taken once: the first tick past the phase's end, or
	// when the load stops, whichever comes first.
	atEnd struct {
		taken   bool
		ws, sse int
	}
}

// takeEndState records the probes' connections at the end of the
// measured phase, once.
func (m *monitor) takeEndState() {
	if m.atEnd.taken {
		return
	}
	m.atEnd.taken = true
	if m.ws != nil {
		m.atEnd.ws = m.ws.Connected()
	}
	if m.sse != nil {
		m.atEnd.sse = m.sse.Connected()
	}
}

func (m *monitor) watch(ctx context.Context, done <-chan load.Stats) load.Stats {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	sc := m.o.Scenario
	peakReset := false
	lastCheckpoint := time.Now()
	for {
		select {
		case st := <-done:
			m.takeEndState()
			if m.o.Progress != nil {
				fmt.Fprint(m.o.Progress, "\r\033[K")
			}
			return st
		case now := <-t.C:
			began := m.atk.Pacer().Began()
			if began.IsZero() {
				continue
			}
			el := now.Sub(began)
			if el >= sc.Warmup+sc.Duration {
				m.takeEndState()
			}
			if el >= sc.Warmup && !peakReset {
				m.atk.ResetPeak()
				peakReset = true
			}
			snap := m.rec.Snapshot(now, false)
			if m.o.Progress != nil {
				m.progress(el, snap)
			}
			if m.o.Checkpoint != nil && now.Sub(lastCheckpoint) >= CheckpointEvery-time.Second/2 {
				m.o.Checkpoint(m.checkpoint(now))
				lastCheckpoint = now
			}
			if len(sc.Abort.When) > 0 && el >= sc.Warmup+sc.Abort.After {
				if reason := m.checkAbort(snap); reason != "" {
					addReason(m.res, reason)
					m.stop(errAborted)
				}
			}
		}
	}
}

func (m *monitor) checkAbort(snap record.Summary) string {
	now := live{http: snap, target: m.res.Target}
	_, now.http.InflightMax = m.atk.Inflight()
	if m.sampler != nil {
		if sus, tot, rss, ok := m.sampler.Current(); ok {
			now.res = &metric.Resources{CPUSustained: sus, CPUTotal: tot, CPUMeasured: true, RSSTotal: rss}
		}
	}
	for _, g := range m.o.Scenario.Abort.When {
		o := g.Eval(metric.Of(now))
		if o.Pass && o.Observed != nil {
			return fmt.Sprintf("abort condition %q held (%s %s)", g.Source, g.Metric, o.Observed)
		}
	}
	return ""
}

// live is a snapshot of a run under way, as the abort conditions read it:
// the HTTP figures so far, the target's CPU and memory now, and how the
// target started. The schedule and the probes' figures are not read while
// the load runs, so metrics on them are not measured yet.
type live struct {
	http   record.Summary
	target report.TargetInfo
	res    *metric.Resources
}

func (l live) HTTPFigures() *record.Summary        { return &l.http }
func (l live) ScheduleFigures() (uint64, float64)  { return 0, 0 }
func (l live) WSFigures() (metric.WS, bool)        { return metric.WS{}, false }
func (l live) SSEFigures() (metric.SSE, bool)      { return metric.SSE{}, false }
func (l live) ReadyFigures() (time.Duration, bool) { return l.target.ReadyTime, l.target.Started }
func (l live) ResourceFigures() (metric.Resources, bool) {
	if l.res == nil {
		return metric.Resources{}, false
	}
	return *l.res, true
}

var _ metric.Source = live{}

func (m *monitor) progress(el time.Duration, s record.Summary) {
	sc := m.o.Scenario
	phase := "measure"
	shown := el - sc.Warmup
	total := sc.Duration
	if el < sc.Warmup {
		phase, shown, total = "warm-up", el, sc.Warmup
	}
	// Rounded, not truncated: a tick a little early would show a second
	// twice. No p95 before a success (the warm-up records nothing).
	line := fmt.Sprintf("%s %s/%s  rate %.1f/s  requests %d  errors %d  p95 %s",
		phase, shown.Round(time.Second), total, m.atk.Pacer().Rate(el),
		s.Total.Requests, s.Total.Errors, p95Shown(s.Total))
	if m.ws != nil {
		line += fmt.Sprintf("  boards %d", m.ws.Connected())
	}
	fmt.Fprintf(m.o.Progress, "\r\033[K%s", line)
}

// checkpoint returns the result so far, marked report.Incomplete: the
// run's settings and the HTTP figures of the measured phase up to now,
// with the gates evaluated on them. It shares nothing with m.res.
func (m *monitor) checkpoint(now time.Time) *report.Result {
	r := *m.res
	r.Status = report.Incomplete
	r.Reason = ""
	snap := m.rec.Snapshot(now, true)
	g := report.Generator{MaxWorkers: m.o.Scenario.HTTP.MaxWorkers}
	_, g.InflightMax = m.atk.Inflight()
	g.Scheduled, g.Sent = m.atk.SoFar(now)
	setLoadFigures(&r, snap, g)
	r.Gates, _ = gate.EvalAll(m.o.Scenario.Gates, &r)
	r.Pass = false
	return &r
}
