// Part (c): latency at a low rate against the truth from the target.

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func (b *bench) partC(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(c) latency at 200 req/s against the truth")
	const rate = 200
	// Closed-model tools get the concurrency that carries 200 req/s at
	// 50 ms: 10 connections (hey: 10 workers at 20/s each).
	clients := []func(addr string, test string) (measure, error){
		func(a, t string) (measure, error) { return b.loadcheckRun(ctx, t, a, rate, b.latDur) },
		func(a, t string) (measure, error) { return b.vegetaRun(ctx, t, a, rate, b.latDur) },
		func(a, t string) (measure, error) { return b.wrkRun(ctx, t, a, 10, b.latDur) },
		func(a, t string) (measure, error) { return b.heyRun(ctx, t, a, 10, 20, b.latDur) },
	}
	var pooled []time.Duration
	for _, test := range []string{"50ms", "freeze"} {
		for _, client := range clients {
			logPath := filepath.Join(b.tmp, "truth.json")
			args := []string{"-delay", "50ms", "-log", logPath}
			if test == "freeze" {
				args = append(args, "-freeze", "3s,7s", "-freeze-len", "1s")
			}
			srv, err := b.startServer(ctx, args...)
			if err != nil {
				return err
			}
			m, err := client(srv.addr, test)
			sl, serr := srv.stop()
			if err != nil {
				return err
			}
			if serr != nil {
				return serr
			}
			seen := sl.served()
			m.ServerTruth = percentiles(seen)
			b.log(m)
			if test == "50ms" {
				pooled = append(pooled, seen...)
				b.res.lat50[m.Tool] = m
			} else {
				b.res.freeze[m.Tool] = m
				b.res.truthFreeze = percentiles(sl.openModel(rate, b.latDur))
			}
		}
	}
	b.res.truth50 = percentiles(pooled)
	return nil
}
