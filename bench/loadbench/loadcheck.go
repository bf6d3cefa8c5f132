// Running loadcheck.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
)

// loadcheckRun runs loadcheck with the worker cap of (a) and (b); for (c)
// each open-model tool runs with its defaults (loadcheck 512 workers,
// vegeta unbounded), as a user would measure latency.
func (b *bench) loadcheckRun(ctx context.Context, test, addr string, rate float64, dur time.Duration) (measure, error) {
	return b.loadcheckWith(ctx, test, addr, rate, dur, nil)
}

// capped reports whether a test runs with the worker cap conns.
func capped(test string) bool {
	return test == "max" || test == "fixed" || test == "soak" || test == "pair"
}

// loadcheckWith runs `loadcheck run` with a generated scenario and target
// file; watch, when set, runs with the process id while loadcheck runs.
func (b *bench) loadcheckWith(ctx context.Context, test, addr string, rate float64, dur time.Duration, watch func(pid int)) (measure, error) {
	scen := filepath.Join(b.tmp, "bench.yaml")
	tgt := filepath.Join(b.tmp, "fastserver.yaml")
	workers := ""
	if capped(test) {
		workers = fmt.Sprintf("\n  max_workers: %d", conns)
	}
	err := os.WriteFile(scen, []byte(`name: bench
duration: 5s
http:
  timeout: 10s`+workers+`
  load: {rate: 100/s}
  endpoints: [{name: fast, path: /}]
`), 0o644)
	if err == nil {
		err = os.WriteFile(tgt, []byte("name: fastserver\nbase_url: http://"+addr+"\n"), 0o644)
	}
	if err != nil {
		return measure{}, err
	}
	// The result files (and checkpoints) are written as a user's run
	// writes them, but into the bench's temporary folder, not reports/.
	args := []string{"run", scen, "--target", tgt, "--format", "json", "--quiet", "--out", filepath.Join(b.tmp, "runs"),
		"--rate", strconv.FormatFloat(rate, 'f', -1, 64) + "/s", "--duration", dur.String()}
	out, ru, err := pinnedWatch(ctx, dur+time.Minute, watch, b.loadcheck, args...)
	var ee *exitError
	if err != nil && !(errors.As(err, &ee) && ee.code == 1) {
		return measure{}, fmt.Errorf("loadcheck: %v", err)
	}
	res, rerr := result.Read(bytes.NewReader(out))
	if rerr != nil {
		return measure{}, fmt.Errorf("loadcheck: %v", rerr)
	}
	t := res.HTTP.Total
	m := measure{Tool: "loadcheck", Test: test, Rate: rate, Duration: dur,
		Requests: t.Requests, Errors: t.Errors, Late: t.Late,
		P50: t.Latency.P50.Duration(), P95: t.Latency.P95.Duration(), P99: t.Latency.P99.Duration()}
	usage(&m, ru)
	return m, nil
}
