// Running wrk.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func (b *bench) wrkRun(ctx context.Context, test, addr string, c int, dur time.Duration) (measure, error) {
	out, ru, err := pinned(ctx, dur+time.Minute, "wrk", "-t1", "-c"+strconv.Itoa(c),
		"-d"+strconv.Itoa(int(dur.Seconds()))+"s", "--timeout", "10s", "-s", b.wrkScript, "http://"+addr+"/")
	if err != nil {
		return measure{}, fmt.Errorf("wrk: %v", err)
	}
	// One JSON line from bench/wrk-report.lua; the keys carry the unit.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	var raw map[string]int64
	if err := json.Unmarshal([]byte(last), &raw); err != nil {
		return measure{}, fmt.Errorf("wrk: %v in %q", err, last)
	}
	us := func(k string) time.Duration { return time.Duration(raw[k]) * time.Microsecond }
	m := measure{Tool: "wrk", Test: test, Conns: c, Duration: us("duration_us"),
		Requests: uint64(raw["requests"]), Errors: uint64(raw["errors"] + raw["status_errors"]),
		P50: us("p50_us"), P95: us("p95_us"), P99: us("p99_us")}
	usage(&m, ru)
	return m, nil
}
