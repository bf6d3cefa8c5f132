package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// MinHold is the shortest default step of a capacity search: shorter
// steps let a queue that grows by a few requests a second pass unnoticed.
// The default step is also at least the scenario's sustained CPU window,
// so that cpu.sustained is a rolling mean over a full window.
const MinHold = 20 * time.Second

// MaxShortfall is how far, as a share of the offered rate, a step's
// achieved rate may fall short of it and still pass. A target that
// completes less than it is offered builds a queue; a short step can end
// before that queue shows in any latency gate, so the shortfall itself
// fails the step. 5 % leaves room for the responses still in flight when
// the step ends (rate × latency of them, a small share of a step's
// requests at the latencies gates allow).
const MaxShortfall = 0.05

// SaturateOptions configure a capacity search. Zero values take the
// defaults named on each field.
type SaturateOptions struct {
	Options
	// Hold is how long each step measures at its constant rate (after the
	// scenario's warm-up); default the scenario's duration, at least
	// MinHold and the scenario's resources.sustained_window.
	Hold time.Duration
	// Start is the first rate, per second; default the scenario's highest
	// stage rate (1/s when that is zero).
	Start float64
	// Max is the ceiling, per second: the search stops there even when
	// every gate holds; default 10000.
	Max float64
	// Factor multiplies the rate from one ramp step to the next; default 2.
	Factor float64
	// Precision, in percent: bisection stops when the failing rate is
	// within Precision of the passing one; default 10.
	Precision float64
	// MaxSteps bounds the number of runs; default 25.
	MaxSteps int
}

func (o SaturateOptions) withDefaults(sc *scenario.Scenario) (SaturateOptions, error) {
	if o.Hold == 0 {
		o.Hold = max(sc.Duration, MinHold, sc.Resources.WithDefaults().SustainedWindow)
	}
	if o.Start == 0 {
		o.Start = PeakRate(sc)
		if o.Start <= 0 {
			o.Start = 1
		}
	}
	if o.Max == 0 {
		o.Max = 10000
	}
	if o.Factor == 0 {
		o.Factor = 2
	}
	if o.Precision == 0 {
		o.Precision = 10
	}
	if o.MaxSteps == 0 {
		o.MaxSteps = 25
	}
	var errs []error
	if o.Hold < 0 {
		errs = append(errs, fmt.Errorf("step hold %s: want a positive duration", o.Hold))
	}
	if o.Start < 0 || o.Max < 0 || o.Start > o.Max {
		errs = append(errs, fmt.Errorf("rates: start %s/s, ceiling %s/s: want 0 < start <= ceiling", num(o.Start), num(o.Max)))
	}
	if o.Factor <= 1 {
		errs = append(errs, fmt.Errorf("factor %s: want more than 1", num(o.Factor)))
	}
	if o.Precision <= 0 || o.Precision >= 100 {
		errs = append(errs, fmt.Errorf("precision %s%%: want between 0%% and 100%%", num(o.Precision)))
	}
	return o, errors.Join(errs...)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

// PeakRate returns the highest arrival rate, per second, of the
// scenario's HTTP load profile.
func PeakRate(sc *scenario.Scenario) float64 {
	peak := 0.0
	for _, st := range sc.HTTP.Stages {
		if st.To != nil {
			peak = math.Max(peak, st.To.PerSecond())
		}
	}
	return peak
}

// Saturate searches the highest constant arrival rate at which every gate
// of sc holds against tg. Each step is one run.Execute of sc at one rate,
// held for o.Hold. The rate is multiplied by o.Factor from o.Start until a
// gate fails (divided, when the first step already fails, until one
// passes), then bisected between the last pass and the first failure until
// they are within o.Precision.
//
// An abort condition of the scenario that fires forbids higher rates — no
// rate at or above it is tried — but not narrowing down: the search
// bisects below it, and Status says an abort fired. When ctx is cancelled
// the search returns what it found so far, with Status Interrupted and an
// error wrapping run.ErrInterrupted. A step whose target
// does not start ends the search with that error and Status Failed.
func Saturate(ctx context.Context, sc *scenario.Scenario, tg *scenario.Target, o SaturateOptions) (*result.Saturation, error) {
	o, err := o.withDefaults(sc)
	if err != nil {
		return nil, fmt.Errorf("saturate: %v", err)
	}
	start := o.now()
	sr := &search{ctx: ctx, o: o, tg: tg, base: sc.WithDuration(o.Hold), start: start, s: newSaturation(sc, tg, o, start)}
	sr.ramp()
	sr.backOff()
	sr.bisect()
	return sr.result(), sr.err
}

// newSaturation returns the document of a search about to start.
func newSaturation(sc *scenario.Scenario, tg *scenario.Target, o SaturateOptions, start time.Time) *result.Saturation {
	s := &result.Saturation{
		Schema: result.Schema, Kind: result.KindSaturation, ID: run.NewRunID(start),
		Target: result.TargetInfo{Name: tg.Name, File: tg.File}, Start: start,
		Hold: o.Hold, Precision: o.Precision, Status: result.Complete,
	}
	for _, g := range sc.Gates {
		s.Gates = append(s.Gates, g.Text)
	}
	if sc.Production != nil {
		s.Production = sc.Production.PerSecond()
		s.ProductionText = sc.Production.String()
	}
	return s
}

// search is one capacity search under way: its document so far, and the
// bracket around the capacity.
type search struct {
	ctx   context.Context
	o     SaturateOptions
	tg    *scenario.Target
	base  *scenario.Scenario // the scenario with the step's hold
	start time.Time
	s     *result.Saturation

	lo, hi  float64 // the highest passing and lowest failing rate so far
	limit   []string
	stopped bool  // an abort fired, or a step failed to run
	err     error // the error of the step that stopped the search
}

// ramp multiplies the rate by the factor from the start until a step
// fails or the maximum passes.
func (sr *search) ramp() {
	for r := sr.o.Start; !sr.done(); {
		if !sr.step("ramp", r) || r >= sr.o.Max {
			return
		}
		r = math.Min(r*sr.o.Factor, sr.o.Max)
	}
}

// backOff divides the rate by the factor, at most 6 times, when the first
// step failed, until a step passes.
func (sr *search) backOff() {
	if sr.lo != 0 || sr.hi <= 0 {
		return
	}
	for r, n := sr.hi/sr.o.Factor, 0; !sr.done() && n < 6; r, n = r/sr.o.Factor, n+1 {
		if sr.step("back-off", r) {
			return
		}
	}
}

// bisect halves the bracket until it is within the precision.
func (sr *search) bisect() {
	for !sr.done() && sr.lo > 0 && sr.hi > sr.lo && (sr.hi-sr.lo)/sr.lo > sr.o.Precision/100 {
		sr.step("bisect", roundRate((sr.lo+sr.hi)/2))
	}
}

func (sr *search) done() bool { return sr.stopped || len(sr.s.Steps) >= sr.o.MaxSteps }

// step runs the scenario at rate, after letting the target settle from
// the step before, and reports whether it passed.
func (sr *search) step(phase string, rate float64) (pass bool) {
	s, o := sr.s, sr.o
	if len(s.Steps) > 0 {
		if err := o.settle(sr.ctx); err != nil {
			sr.err = err
			s.Status = result.Interrupted
			sr.stopped = true
			return false
		}
	}
	o.logf("%s", o.stepLine(phase, rate, sr.lo, sr.hi, len(s.Steps), o.now().Sub(sr.start), runGuess(sr.base, o.Settle)))
	res, err := o.execute(sr.ctx, run.Options{Scenario: sr.base.WithRate(unit.Rate{Freq: rate, Per: time.Second}), Target: sr.tg})
	if res == nil {
		sr.failed(rate, err)
		return false
	}
	if len(s.Steps) == 0 {
		s.Scenario = res.Scenario
		s.Scenario.Load = nil
		s.Target = res.Target
		s.Target.BaseURL = ""
	}
	st := keptUp(result.StepOf(phase, rate, res))
	s.Steps = append(s.Steps, st)
	o.logf("saturate step %d: %s req/s → %s", len(s.Steps), num(rate), stepWord(st))
	return sr.judge(rate, st, res, err)
}

// keptUp fails a step whose achieved rate fell more than MaxShortfall
// short of the offered rate, whatever its gates said, and says why: when
// loadcheck itself could not send the offered rate, that is the reason,
// not the target.
func keptUp(st result.Step) result.Step {
	if st.Status != result.Complete || st.Rate <= 0 || st.Achieved >= st.Rate*(1-MaxShortfall) {
		return st
	}
	st.Pass = false
	if st.Sent < st.Rate*(1-MaxShortfall) {
		st.FellBehind = fmt.Sprintf("achieved %.1f/s of %s offered: loadcheck sent only %.1f/s", st.Achieved, unit.FormatRoundRate(st.Rate), st.Sent)
		return st
	}
	st.FellBehind = fmt.Sprintf("achieved %.1f/s of %s offered: the target fell behind", st.Achieved, unit.FormatRoundRate(st.Rate))
	return st
}

// failed stops the search on a step that measured nothing.
func (sr *search) failed(rate float64, err error) {
	if err == nil {
		err = errors.New("the run measured nothing")
	}
	sr.err = err
	sr.s.Status, sr.s.Reason = result.Failed, fmt.Sprintf("step at %s req/s: %v", num(rate), err)
	if errors.Is(err, run.ErrInterrupted) || sr.ctx.Err() != nil {
		sr.s.Status, sr.s.Reason = result.Interrupted, ""
	}
	sr.stopped = true
}

// judge moves the bracket by the step at rate, and reports whether it
// passed.
func (sr *search) judge(rate float64, st result.Step, res *result.Result, err error) bool {
	switch {
	case err != nil || res.Status == result.Interrupted:
		sr.err = err
		sr.s.Status = result.Interrupted
		sr.stopped = true
		return false
	case res.Status == result.Aborted:
		// An abort forbids going higher, not narrowing down: the
		// search goes on below the aborted rate.
		if sr.hi == 0 || rate < sr.hi {
			sr.hi, sr.limit = rate, st.Failed()
			if len(sr.limit) == 1 && sr.limit[0] == res.Reason {
				sr.limit = nil // no gate failed: the abort is the limit
			}
			sr.limit = append(sr.limit, "abort: "+res.Reason)
			sr.s.Status = result.Aborted
			sr.s.Reason = fmt.Sprintf("an abort condition fired at %s req/s (after an abort no higher rate is tried)", num(rate))
		}
		return false
	case !st.Pass:
		if sr.hi == 0 || rate < sr.hi {
			sr.hi, sr.limit = rate, st.Failed()
		}
		return false
	}
	if rate > sr.lo {
		sr.lo = rate
	}
	return true
}

// result completes the document: the capacity, what limited it, and
// whether it passes.
func (sr *search) result() *result.Saturation {
	s, lo, hi := sr.s, sr.lo, sr.hi
	s.Capacity = lo
	if hi > lo {
		s.Limit, s.LimitRate = sr.limit, hi
	}
	s.AtLeast, s.StoppedBy = ceiling(sr.o, lo, hi, len(s.Steps), sr.stopped)
	s.Pass = lo > 0 && (s.Production == 0 || lo >= s.Production) && s.Status != result.Interrupted && s.Status != result.Failed
	return s
}

// ceiling says whether the search ended at one of its own bounds rather
// than on the gates: atLeast when no gate failed, so that the capacity is
// only known to be at least lo; by names the bound ("--max 8/s",
// "--max-steps 25") that ended the ramp or cut the bisection short of the
// precision, "" when the search ended by itself.
func ceiling(o SaturateOptions, lo, hi float64, steps int, stopped bool) (atLeast bool, by string) {
	if stopped || lo <= 0 {
		return false, ""
	}
	maxSteps := fmt.Sprintf("--max-steps %d", o.MaxSteps)
	switch {
	case hi == 0 && lo >= o.Max:
		return true, "--max " + num(o.Max) + "/s"
	case hi == 0:
		return true, maxSteps
	case (hi-lo)/lo > o.Precision/100 && steps >= o.MaxSteps:
		return false, maxSteps
	}
	return false, ""
}

// roundRate keeps three significant digits, so step rates read well.
func roundRate(r float64) float64 {
	if r <= 0 {
		return r
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(r, 'g', 3, 64), 64)
	return f
}

func stepWord(st result.Step) string {
	if st.Pass {
		return fmt.Sprintf("PASS (p95 %s, errors %.2f%%)", st.P95.Duration().Round(100*time.Microsecond), st.Errors)
	}
	return fmt.Sprintf("FAIL %v", st.Failed())
}
