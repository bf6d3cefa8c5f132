// Part (a): the highest rate each tool sustains.

package main

import (
	"context"
	"fmt"
	"math"
	"os"
)

// openTools are the open-model tools (a) ramps, in the order each step
// runs them.
var openTools = []string{"loadcheck", "vegeta", "vegetalib"}

// runAt is one run of an open-model tool at a rate.
type runAt func(rate float64) (measure, error)

func (b *bench) partA(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(a) highest sustained rate, errors < 0.1 %")
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	r := &ramp{b: b, run: b.openRuns(ctx, srv.addr), lo: map[string]float64{}, hi: map[string]float64{}}
	if err := r.climb(); err != nil {
		return err
	}
	if err := r.bisect(); err != nil {
		return err
	}
	return b.closedMax(ctx, srv.addr)
}

// openRuns returns a run per open-model tool with the worker cap of (a).
// A rate fails only when it fails twice in a row: a step can fall short
// because something else ran on the machine for a moment.
func (b *bench) openRuns(ctx context.Context, addr string) map[string]runAt {
	once := map[string]runAt{
		"loadcheck": func(r float64) (measure, error) { return b.loadcheckRun(ctx, "max", addr, r, b.stepDur) },
		"vegeta":    func(r float64) (measure, error) { return b.vegetaRun(ctx, "max", addr, r, b.stepDur) },
		"vegetalib": func(r float64) (measure, error) { return b.vegetaLibRun(ctx, "max", addr, r, b.stepDur) },
	}
	open := map[string]runAt{}
	for name, run := range once {
		open[name] = func(r float64) (measure, error) {
			m, err := run(r)
			if err != nil || m.sustains() {
				return m, err
			}
			b.log(m)
			return run(r)
		}
	}
	return open
}

// ramp finds each open-model tool's highest sustained rate. Every step
// runs all the tools still searching, one after the other, so that
// whatever else runs on the machine disturbs them alike.
type ramp struct {
	b      *bench
	run    map[string]runAt
	lo, hi map[string]float64 // highest rate sustained, lowest failed
}

// try runs one step and moves the bound it decides.
func (r *ramp) try(name string, rate float64) error {
	m, err := r.run[name](rate)
	if err != nil {
		return err
	}
	m.Pass = m.sustains()
	r.b.log(m)
	if m.Pass {
		r.lo[name] = rate
		r.b.res.max[name] = m
	} else {
		r.hi[name] = rate
	}
	return nil
}

// climb steps the rate up by 5,000 req/s until every tool has failed.
func (r *ramp) climb() error {
	for rate := 5000.0; rate <= 100000 && len(r.hi) < len(openTools); rate += 5000 {
		for _, name := range openTools {
			if r.hi[name] > 0 {
				continue
			}
			if err := r.try(name, rate); err != nil {
				return err
			}
		}
	}
	return nil
}

// bisect narrows each tool's bounds to 1,000 req/s, a step of every tool
// in turn.
func (r *ramp) bisect() error {
	for {
		stepped := false
		for _, name := range openTools {
			lo, hi := r.lo[name], r.hi[name]
			if hi-lo <= 1000 {
				continue
			}
			stepped = true
			if err := r.try(name, math.Round((lo+hi)/2/500)*500); err != nil {
				return err
			}
		}
		if !stepped {
			return nil
		}
	}
}

// closedMax measures the closed-model tools' throughput with conns
// connections.
func (b *bench) closedMax(ctx context.Context, addr string) error {
	for _, name := range []string{"wrk", "hey"} {
		var m measure
		var err error
		if name == "wrk" {
			m, err = b.wrkRun(ctx, "max", addr, conns, 2*b.stepDur)
		} else {
			m, err = b.heyRun(ctx, "max", addr, conns, 0, 2*b.stepDur)
		}
		if err != nil {
			return err
		}
		m.Pass = m.errRate() < 0.001
		b.log(m)
		b.res.max[name] = m
	}
	return nil
}
