// Running the vegeta CLI.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func (b *bench) vegetaRun(ctx context.Context, test, addr string, rate float64, dur time.Duration) (measure, error) {
	targets := filepath.Join(b.tmp, "targets.txt")
	results := filepath.Join(b.tmp, "results.bin")
	defer os.Remove(results)
	if err := os.WriteFile(targets, []byte("GET http://"+addr+"/\n"), 0o644); err != nil {
		return measure{}, err
	}
	// -max-body 0 like loadcheck: neither keeps response bodies.
	args := []string{"attack", "-targets", targets, "-rate", fmt.Sprintf("%d/1s", int(rate)), "-duration", dur.String(),
		"-max-body", "0", "-timeout", "10s", "-output", results}
	if capped(test) {
		args = append(args, "-max-workers", strconv.Itoa(conns))
	}
	_, ru, err := pinned(ctx, dur+time.Minute, b.vegeta, args...)
	if err != nil {
		return measure{}, fmt.Errorf("vegeta attack: %v", err)
	}
	// Decoding the results is not part of the measurement.
	out, err := exec.CommandContext(ctx, b.vegeta, "report", "-type", "json", results).Output()
	if err != nil {
		return measure{}, fmt.Errorf("vegeta report: %v", err)
	}
	var r struct {
		Latencies struct {
			P50 time.Duration `json:"50th"`
			P95 time.Duration `json:"95th"`
			P99 time.Duration `json:"99th"`
		} `json:"latencies"`
		Requests uint64  `json:"requests"`
		Success  float64 `json:"success"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return measure{}, fmt.Errorf("vegeta report: %v", err)
	}
	ok := uint64(math.Round(r.Success * float64(r.Requests)))
	m := measure{Tool: "vegeta", Test: test, Rate: rate, Duration: dur, Requests: r.Requests, Errors: r.Requests - ok,
		P50: r.Latencies.P50, P95: r.Latencies.P95, P99: r.Latencies.P99}
	usage(&m, ru)
	if m.Late, err = b.vegetaLate(ctx, results, rate); err != nil {
		return measure{}, err
	}
	return m, nil
}

// vegetaLate counts the hits vegeta sent more than 10 ms after its own
// schedule (hit n at n/rate after hit 0), as loadcheck counts late
// requests: vegeta keeps each hit's sequence number and send time but
// reports neither.
func (b *bench) vegetaLate(ctx context.Context, results string, rate float64) (uint64, error) {
	cmd := exec.CommandContext(ctx, b.vegeta, "encode", "-to", "csv", results)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	type hit struct{ seq, ts int64 }
	var hits []hit
	t0 := int64(math.MaxInt64)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ",", 10)
		if len(f) < 9 {
			continue
		}
		ts, err1 := strconv.ParseInt(f[0], 10, 64)
		seq, err2 := strconv.ParseInt(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		hits = append(hits, hit{seq, ts})
		if seq == 0 {
			t0 = ts
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("vegeta encode: %v", err)
	}
	var late uint64
	for _, h := range hits {
		if h.ts-(t0+int64(float64(h.seq)/rate*1e9)) > int64(10*time.Millisecond) {
			late++
		}
	}
	return late, nil
}
