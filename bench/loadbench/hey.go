// Running hey.

package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	heyTotal  = regexp.MustCompile(`Total:\s+([0-9.]+) secs`)
	heyPct    = regexp.MustCompile(`(\d+)%+ in ([0-9.]+) secs`)
	heyStatus = regexp.MustCompile(`\[(\d+)\]\s+(\d+) responses`)
	heyErrors = regexp.MustCompile(`(?m)^\s+\[(\d+)\]\s+(.*)$`)
)

// heyRun runs hey with c workers, each at q requests per second (0: no
// limit).
func (b *bench) heyRun(ctx context.Context, test, addr string, c, q int, dur time.Duration) (measure, error) {
	args := []string{"-z", dur.String(), "-c", strconv.Itoa(c), "-t", "10", "-disable-compression"}
	if q > 0 {
		args = append(args, "-q", strconv.Itoa(q))
	}
	out, ru, err := pinned(ctx, dur+time.Minute, "hey", append(args, "http://"+addr+"/")...)
	if err != nil {
		return measure{}, fmt.Errorf("hey: %v", err)
	}
	s := string(out)
	m := measure{Tool: "hey", Test: test, Conns: c, Duration: dur}
	if q > 0 {
		m.Rate = float64(c * q)
	}
	if t := heyTotal.FindStringSubmatch(s); t != nil {
		f, _ := strconv.ParseFloat(t[1], 64)
		m.Duration = time.Duration(f * float64(time.Second))
	}
	codes, errs, _ := strings.Cut(s, "Error distribution:")
	for _, st := range heyStatus.FindAllStringSubmatch(codes, -1) {
		n, _ := strconv.ParseUint(st[2], 10, 64)
		m.Requests += n
		if !strings.HasPrefix(st[1], "2") && !strings.HasPrefix(st[1], "3") {
			m.Errors += n
		}
	}
	for _, e := range heyErrors.FindAllStringSubmatch(errs, -1) {
		n, _ := strconv.ParseUint(e[1], 10, 64)
		m.Requests += n
		m.Errors += n
	}
	for _, p := range heyPct.FindAllStringSubmatch(s, -1) {
		f, _ := strconv.ParseFloat(p[2], 64)
		d := time.Duration(f * float64(time.Second))
		switch p[1] {
		case "50":
			m.P50 = d
		case "95":
			m.P95 = d
		case "99":
			m.P99 = d
		}
	}
	if m.Requests == 0 {
		return measure{}, fmt.Errorf("hey: no figures in its output:\n%s", tail(s))
	}
	usage(&m, ru)
	return m, nil
}
