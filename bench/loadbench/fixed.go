// Part (b): the cost of each tool at a fixed rate.

package main

import (
	"context"
	"fmt"
	"os"
)

func (b *bench) partB(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(b) CPU and RSS at 2,000 req/s")
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	const rate = 2000
	runs := []func() (measure, error){
		func() (measure, error) { return b.loadcheckRun(ctx, "fixed", srv.addr, rate, b.fixedDur) },
		func() (measure, error) { return b.vegetaRun(ctx, "fixed", srv.addr, rate, b.fixedDur) },
		func() (measure, error) { return b.vegetaLibRun(ctx, "fixed", srv.addr, rate, b.fixedDur) },
		// hey's -q is per worker: 20 workers at 100/s.
		func() (measure, error) { return b.heyRun(ctx, "fixed", srv.addr, 20, 100, b.fixedDur) },
	}
	for _, r := range runs {
		m, err := r()
		if err != nil {
			return err
		}
		b.log(m)
		b.res.fixed[m.Tool] = m
	}
	return nil
}
