// Command loadbench compares loadcheck with the vegeta CLI, the vegeta
// library in-process with nothing recorded (bench/vegetalib), wrk and hey on
// the same loopback target (bench/fastserver), and writes one Markdown
// table with each figure and its ratio to loadcheck's. `make bench` builds
// everything and runs it through bench/run.sh.
//
// The target runs pinned to CPU 1 and each tool to CPU 0 (taskset), one at
// a time. A tool's CPU time and peak RSS come from the kernel's rusage of
// its process, read by GNU time (the vegeta CLI's attack process: its
// results are decoded afterwards by `vegeta report`, outside the
// measurement).
//
//	(a) the highest rate each tool sustains with errors < 0.1 %: open-model
//	    tools (loadcheck, vegeta, the vegeta library) step the rate in
//	    lockstep; closed-model ones (wrk,
//	    hey) report their throughput with a fixed number of connections;
//	(b) CPU seconds per million requests and peak RSS at 2,000 req/s;
//	(c) p50/p95/p99 at 200 req/s against a target answering in 50 ms, and
//	    against one that freezes for 1 s twice in 10 s, next to the truth
//	    computed from the target's own schedule;
//	(d) loadcheck and the vegeta library in-process at one rate both
//	    sustain, in interleaved pairs: the spread of loadcheck's CPU per
//	    request over the library's, the floor of a vegeta-based generator.
//
// With -soak (BENCH_SOAK=1 in run.sh) it also runs loadcheck for 5 minutes
// at 2,000 req/s and samples its RSS every 10 s.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// The CPUs of the generator and of the target.
const (
	genCPU    = "0"
	targetCPU = "1"
)

// conns is the concurrency every tool gets: vegeta's and loadcheck's
// worker cap, wrk's and hey's connections.
const conns = 50

type config struct {
	loadcheck, vegeta, vegetaLib, server string
	wrkScript                            string
	out                                  string
	soak                                 bool
	stepDur, fixedDur, latDur            time.Duration
	soakDur                              time.Duration
	only                                 string
	pairs                                int
	pairRateDefault                      float64
}

func main() {
	var c config
	flag.StringVar(&c.loadcheck, "loadcheck", "bin/loadcheck", "loadcheck binary")
	flag.StringVar(&c.vegeta, "vegeta", "bench/bin/vegeta", "vegeta binary (same version as go.mod)")
	flag.StringVar(&c.vegetaLib, "vegeta-lib", "bench/bin/vegetalib", "bench/vegetalib binary (the vegeta library in-process)")
	flag.StringVar(&c.server, "server", "bench/bin/fastserver", "fastserver binary")
	flag.StringVar(&c.wrkScript, "wrk-script", "bench/wrk-report.lua", "wrk script printing JSON")
	flag.StringVar(&c.out, "out", "bench/results", "folder for YYYY-MM-DD.md and the raw figures")
	flag.BoolVar(&c.soak, "soak", os.Getenv("BENCH_SOAK") == "1", "also run the 5-minute RSS soak (BENCH_SOAK=1)")
	flag.DurationVar(&c.stepDur, "step", 5*time.Second, "length of each rate step in (a)")
	flag.DurationVar(&c.fixedDur, "fixed", 15*time.Second, "length of the 2,000 req/s runs in (b)")
	flag.DurationVar(&c.latDur, "latency", 10*time.Second, "length of the 200 req/s runs in (c); the freezes are at 3 s and 7 s")
	flag.DurationVar(&c.soakDur, "soak-duration", 5*time.Minute, "length of the soak")
	flag.IntVar(&c.pairs, "pairs", 6, "interleaved loadcheck/vegeta-library pairs in (d)")
	flag.Float64Var(&c.pairRateDefault, "pair-rate", 20000, "rate of (d) in req/s when (a) does not run (else 80 % of the lower highest rate)")
	flag.StringVar(&c.only, "only", "", "comma-separated parts to run (a,b,c,d,soak); default all")
	flag.Parse()

	// Every run is bounded: the whole bench stops after an hour at most,
	// or at Ctrl-C, stopping the tool and the server it runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	b, err := newBench(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		os.Exit(2)
	}
	defer os.RemoveAll(b.tmp)
	if err := b.run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		os.Exit(1)
	}
}
