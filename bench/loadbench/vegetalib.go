// Running the vegeta library in-process (bench/vegetalib).

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// vegetaLibRun runs bench/vegetalib: the vegeta library with the CLI's
// defaults, its results drained and nothing recorded. It measures no
// latency, so it has no figures in (c).
func (b *bench) vegetaLibRun(ctx context.Context, test, addr string, rate float64, dur time.Duration) (measure, error) {
	args := []string{"-url", "http://" + addr + "/", "-rate", strconv.FormatFloat(rate, 'f', -1, 64),
		"-duration", dur.String(), "-timeout", "10s"}
	if capped(test) {
		args = append(args, "-max-workers", strconv.Itoa(conns))
	}
	out, ru, err := pinned(ctx, dur+time.Minute, b.vegetaLib, args...)
	if err != nil {
		return measure{}, fmt.Errorf("vegetalib: %v", err)
	}
	var c struct {
		Requests, Errors, Late uint64
	}
	if err := json.Unmarshal(out, &c); err != nil {
		return measure{}, fmt.Errorf("vegetalib: %v in %q", err, tail(string(out)))
	}
	m := measure{Tool: "vegetalib", Test: test, Rate: rate, Duration: dur,
		Requests: c.Requests, Errors: c.Errors, Late: c.Late}
	usage(&m, ru)
	return m, nil
}
