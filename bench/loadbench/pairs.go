// Part (d): loadcheck against the vegeta library in-process at one rate,
// in interleaved pairs, so that the noise of a shared machine shows in the
// spread of the ratios rather than hiding in one figure.

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
)

// pair is one run of loadcheck and one of bench/vegetalib, back to back.
type pair struct {
	loadcheck, lib measure
}

// cpuRatio is loadcheck's CPU per request over the library's.
func (p pair) cpuRatio() float64 {
	return float64(p.loadcheck.cpuPerReq()) / float64(max(p.lib.cpuPerReq(), 1))
}

// pairRate is the rate of (d): 80 % of the lower of the two highest rates
// (a) found, so that both tools sustain it with room to spare, or
// -pair-rate when (a) did not run.
func (b *bench) pairRate() float64 {
	lc, ok1 := b.res.max["loadcheck"]
	lib, ok2 := b.res.max["vegetalib"]
	if !ok1 || !ok2 {
		return b.pairRateDefault
	}
	return math.Round(0.8*min(lc.Rate, lib.Rate)/1000) * 1000
}

func (b *bench) partD(ctx context.Context) error {
	rate := b.pairRate()
	fmt.Fprintf(os.Stderr, "(d) loadcheck and the vegeta library at %s req/s, %d interleaved pairs\n", commas(rate), b.pairs)
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	b.res.pairRate = rate
	for i := range b.pairs {
		var p pair
		// Alternate which runs first, so a trend on the machine (another
		// developer's build starting) does not favour one tool.
		first, second := &p.loadcheck, &p.lib
		runFirst, runSecond := b.loadcheckRun, b.vegetaLibRun
		if i%2 == 1 {
			first, second = second, first
			runFirst, runSecond = runSecond, runFirst
		}
		if *first, err = runFirst(ctx, "pair", srv.addr, rate, b.stepDur); err != nil {
			return err
		}
		b.log(*first)
		if *second, err = runSecond(ctx, "pair", srv.addr, rate, b.stepDur); err != nil {
			return err
		}
		b.log(*second)
		b.res.pairs = append(b.res.pairs, p)
	}
	return nil
}

// pairSpread returns the median, lowest and highest of f over the pairs.
func pairSpread(ps []pair, f func(pair) float64) (med, lo, hi float64) {
	if len(ps) == 0 {
		return 0, 0, 0
	}
	v := make([]float64, len(ps))
	for i, p := range ps {
		v[i] = f(p)
	}
	sort.Float64s(v)
	med = v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return med, v[0], v[len(v)-1]
}
