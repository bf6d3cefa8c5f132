package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// Executor runs a scenario once; run.Execute is the real one. Tests pass
// a model of a target instead.
type Executor func(ctx context.Context, o run.Options) (*result.Result, error)

// Options are shared by Compare, Saturate and Nightly.
type Options struct {
	// Execute runs one measurement; nil means run.Execute.
	Execute Executor
	// Log receives one line as each run starts and ends ("compare 2/3:
	// sim, 2 workers …"); nil for none.
	Log io.Writer
	// Progress and TargetLog are handed to every run.Execute (live
	// progress line, the target's output); nil for none.
	Progress  io.Writer
	TargetLog io.Writer
	// Version is recorded in every result.
	Version string
	// Settle is the pause between two runs, so that the machine is quiet
	// (sockets in TIME_WAIT gone, CPU caches and the page cache settled)
	// before the next target starts. Zero means no pause.
	Settle time.Duration
	// Now is the clock for run ids and dates; nil means time.Now.
	Now func() time.Time
	// Sleep pauses for d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Save, when set, keeps a run's result: it is called with checkpoints
	// while each run runs (see run.Options.Checkpoint) and with the result
	// as soon as the run ends, so a crash part-way through a long compare,
	// search or night keeps every step already measured. The caller (cli)
	// decides where results go; capacity writes no file itself.
	Save func(*result.Result) error
}

func (o Options) execute(ctx context.Context, ro run.Options) (*result.Result, error) {
	ro.Progress, ro.TargetLog, ro.Version = o.Progress, o.TargetLog, o.Version
	if ro.RunID == "" {
		ro.RunID = run.NewRunID(o.now())
	}
	if o.Save != nil {
		ro.Checkpoint = func(r *result.Result) {
			if err := o.Save(r); err != nil {
				o.logf("checkpoint: %v", err)
			}
		}
	}
	exec := run.Execute
	if o.Execute != nil {
		exec = o.Execute
	}
	res, err := exec(ctx, ro)
	if res != nil && o.Save != nil {
		// A failure is logged, not returned: the caller still has the
		// result, and writes its own files at the end.
		if serr := o.Save(res); serr != nil {
			o.logf("saving the result of run %s: %v", res.RunID, serr)
		}
	}
	return res, err
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) settle(ctx context.Context) error {
	if o.Settle <= 0 {
		return ctx.Err()
	}
	if o.Sleep != nil {
		return o.Sleep(ctx, o.Settle)
	}
	t := time.NewTimer(o.Settle)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("settling: %w", run.ErrInterrupted)
	}
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// Compare runs sc against each target in turn — each started, made ready,
// measured and stopped, with o.Settle between them — and returns the
// comparison, the first target being the baseline.
//
// When ctx is cancelled, or a target fails to start, Compare returns the
// comparison of the runs so far with the error (wrapping
// run.ErrInterrupted when cancelled); the comparison is nil only when no
// run measured anything.
func Compare(ctx context.Context, sc *scenario.Scenario, targets []*scenario.Target, o Options) (*result.Comparison, error) {
	if len(targets) == 0 {
		return nil, errors.New("compare: no target")
	}
	var results []*result.Result
	began := o.now()
	partial := func(err error) (*result.Comparison, error) {
		if len(results) == 0 {
			return nil, err
		}
		return result.NewComparison(results), err
	}
	for i, tg := range targets {
		if i > 0 {
			if err := o.settle(ctx); err != nil {
				return partial(err)
			}
		}
		left := timeLeft(o.now().Sub(began), i, len(targets)-i, runGuess(sc, o.Settle))
		o.logf("compare %d of %d: %s — about %s left", i+1, len(targets), tg.Name, roughly(left))
		res, err := o.execute(ctx, run.Options{Scenario: sc, Target: tg})
		if res != nil {
			results = append(results, res)
			o.logf("compare %d of %d: %s", i+1, len(targets), oneLine(res))
		}
		if err != nil {
			return partial(err)
		}
	}
	return result.NewComparison(results), nil
}

// oneLine summarises a run for the log.
func oneLine(r *result.Result) string {
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	if r.Status != result.Complete {
		verdict = string(r.Status)
	}
	return fmt.Sprintf("%s: %s, %s, p95 %s", r.Target.Name, verdict, unit.Plural(int(r.HTTP.Total.Requests), "request", "requests"), r.HTTP.Total.Latency.P95.Duration().Round(100*time.Microsecond))
}
