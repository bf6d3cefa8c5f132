// Part (a): the highest rate each tool sustains.

package main

import (
	"context"
	"fmt"
	"math"
	"os"
)

func (b *bench) partA(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(a) highest sustained rate, errors < 0.1 %")
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	once := map[string]func(rate float64) (measure, error){
		"loadcheck": func(r float64) (measure, error) { return b.loadcheckRun(ctx, "max", srv.addr, r, b.stepDur) },
		"vegeta":    func(r float64) (measure, error) { return b.vegetaRun(ctx, "max", srv.addr, r, b.stepDur) },
	}
	// A rate fails only when it fails twice in a row: a step can fall short
	// because something else ran on the machine for a moment.
	open := map[string]func(rate float64) (measure, error){}
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
	// Ramp both open-model tools in lockstep, so that whatever else runs
	// on the machine disturbs both alike; then bisect each.
	lo := map[string]float64{}
	hi := map[string]float64{}
	// try runs one step and moves the bound it decides.
	try := func(name string, rate float64) error {
		m, err := open[name](rate)
		if err != nil {
			return err
		}
		m.Pass = m.sustains()
		b.log(m)
		if m.Pass {
			lo[name] = rate
			b.res.max[name] = m
		} else {
			hi[name] = rate
		}
		return nil
	}
	for rate := 5000.0; rate <= 100000 && len(hi) < len(open); rate += 5000 {
		for _, name := range []string{"loadcheck", "vegeta"} {
			if hi[name] > 0 {
				continue
			}
			if err := try(name, rate); err != nil {
				return err
			}
		}
	}
	for _, name := range []string{"loadcheck", "vegeta"} {
		for hi[name]-lo[name] > 1000 {
			rate := math.Round((lo[name]+hi[name])/2/500) * 500
			if err := try(name, rate); err != nil {
				return err
			}
		}
	}
	for _, name := range []string{"wrk", "hey"} {
		var m measure
		var err error
		if name == "wrk" {
			m, err = b.wrkRun(ctx, "max", srv.addr, conns, 2*b.stepDur)
		} else {
			m, err = b.heyRun(ctx, "max", srv.addr, conns, 0, 2*b.stepDur)
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
