package run

import (
	"context"
	"fmt"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/load"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
)

// monitor ticks once a second while the load runs: it prints progress and
// checks the abort conditions.
type monitor struct {
	o   Options
	atk *load.Attack
	rec *record.Recorder
	// obs are told when the measured phase ended or was interrupted
	// (observers.phaseEnded, once): the first tick past the phase's end,
	// or when the load stops, whichever comes first.
	obs  *observers
	res  *result.Result
	stop context.CancelCauseFunc
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
			m.obs.phaseEnded()
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
				m.obs.phaseEnded()
			}
			if el >= sc.Warmup && !peakReset {
				m.atk.ResetPeak()
				peakReset = true
			}
			snap := m.rec.Snapshot(now, false)
			observed, words := m.obs.snapshot()
			if m.o.Progress != nil {
				m.progress(el, snap, words)
			}
			if m.o.Checkpoint != nil && now.Sub(lastCheckpoint) >= CheckpointEvery-time.Second/2 {
				m.o.Checkpoint(m.checkpoint(now))
				lastCheckpoint = now
			}
			if len(sc.Abort.When) > 0 && el >= sc.Warmup+sc.Abort.After {
				if reason := m.checkAbort(snap, observed); reason != "" {
					addReason(m.res, reason)
					m.stop(errAborted)
				}
			}
		}
	}
}

func (m *monitor) checkAbort(snap record.Summary, observed map[string]metric.Figures) string {
	now := live{http: snap, target: m.res.Target, observed: observed}
	_, now.http.InflightMax = m.atk.Inflight()
	for _, g := range m.o.Scenario.Abort.When {
		o := g.Eval(metric.Of(now))
		if o.Pass && o.Observed != nil {
			return fmt.Sprintf("abort condition %q held (%s %s)", g.Text, g.Metric, o.Observed)
		}
	}
	return ""
}

// live is a snapshot of a run under way, as the abort conditions read it:
// the HTTP figures so far, the observers' figures now (the target's CPU
// and memory), and how the target started. The schedule and the figures
// an observer settles only at the end (broadcast loss) are not read while
// the load runs, so metrics on them are not measured yet.
type live struct {
	http     record.Summary
	target   result.TargetInfo
	observed map[string]metric.Figures // by kind of observer
}

func (l live) HTTPFigures() *record.Summary        { return &l.http }
func (l live) ScheduleFigures() (uint64, float64)  { return 0, 0 }
func (l live) ReadyFigures() (time.Duration, bool) { return l.target.ReadyTime, l.target.Started }
func (l live) Observed(kind string) metric.Figures { return l.observed[kind] }

var _ metric.Run = live{}

func (m *monitor) progress(el time.Duration, s record.Summary, observed []string) {
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
	for _, w := range observed {
		line += "  " + w
	}
	fmt.Fprintf(m.o.Progress, "\r\033[K%s", line)
}

// checkpoint returns the result so far, marked result.Incomplete: the
// run's settings and the HTTP figures of the measured phase up to now,
// with the gates evaluated on them. It shares nothing with m.res.
func (m *monitor) checkpoint(now time.Time) *result.Result {
	r := *m.res
	r.Status = result.Incomplete
	r.Reason = ""
	snap := m.rec.Snapshot(now, true)
	g := result.Generator{MaxWorkers: m.o.Scenario.HTTP.MaxWorkers}
	_, g.InflightMax = m.atk.Inflight()
	g.Scheduled, g.Sent = m.atk.SoFar(now)
	setLoadFigures(&r, snap, g)
	r.Gates, _ = gate.EvalAll(m.o.Scenario.Gates, &r)
	r.Pass = false
	return &r
}
