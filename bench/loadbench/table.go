// The table: one row per figure, a column per tool.

package main

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// row is one line of the table: a figure per tool and the truth.
type row struct {
	label string
	truth string
	vals  map[string]float64 // by tool; missing: not measured
	notes map[string]string  // by tool, replaces the value
	fmt   func(float64) string
	// better is +1 when larger is better, -1 when smaller is, 0 for
	// neither (latencies are judged against the truth).
}

func (b *bench) rows() []row {
	r := b.res
	var rows []row
	num := func(f float64) string { return commas(f) }
	us := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	mb := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	msf := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	if len(r.max) > 0 {
		rate := row{label: "(a) highest rate, errors < 0.1 % (req/s)", vals: map[string]float64{}, notes: map[string]string{}, fmt: num}
		late := row{label: "(a) sent > 10 ms behind schedule at that rate (%)", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a (closed)", "hey": "n/a (closed)"},
			fmt: func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }}
		cpu := row{label: "(a) CPU per request at that rate (µs)", vals: map[string]float64{}, fmt: us}
		rss := row{label: "(a) peak RSS at that rate (MB)", vals: map[string]float64{}, fmt: mb}
		for name, m := range r.max {
			if m.Conns > 0 {
				rate.vals[name] = m.throughput()
				rate.notes[name] = fmt.Sprintf(" (closed, %d conns)", m.Conns)
			} else {
				rate.vals[name] = m.Rate
			}
			if m.Conns == 0 {
				late.vals[name] = 100 * float64(m.Late) / float64(max(m.Requests, 1))
			}
			cpu.vals[name] = float64(m.cpuPerReq()) / 1e3
			rss.vals[name] = float64(m.MaxRSS) / 1e6
		}
		rows = append(rows, rate, late, cpu, rss)
	}
	if len(r.fixed) > 0 {
		cpu := row{label: "(b) CPU s per 1M requests at 2,000 req/s", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a (no rate limit)"}, fmt: func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }}
		rss := row{label: "(b) peak RSS at 2,000 req/s (MB)", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a"}, fmt: mb}
		for name, m := range r.fixed {
			cpu.vals[name] = m.CPU.Seconds() * 1e6 / float64(max(m.Requests, 1))
			rss.vals[name] = float64(m.MaxRSS) / 1e6
		}
		rows = append(rows, cpu, rss)
	}
	lat := func(label string, ms map[string]measure, truth []time.Duration) {
		for i, q := range []string{"p50", "p95", "p99"} {
			rw := row{label: fmt.Sprintf("%s %s (ms)", label, q), vals: map[string]float64{}, fmt: msf}
			if len(truth) == 3 {
				rw.truth = msf(float64(truth[i]) / 1e6)
			}
			for name, m := range ms {
				rw.vals[name] = float64([]time.Duration{m.P50, m.P95, m.P99}[i]) / 1e6
			}
			rows = append(rows, rw)
		}
	}
	if len(r.lat50) > 0 {
		lat("(c) 50 ms target", r.lat50, r.truth50)
	}
	if len(r.freeze) > 0 {
		lat("(c) 2 × 1 s freeze", r.freeze, r.truthFreeze)
	}
	if r.soakRun != nil && len(r.soak) > 0 {
		lo, hi := spread(r.soak)
		rows = append(rows, row{label: fmt.Sprintf("soak: RSS over %s at 2,000 req/s (MB)", b.soakDur), vals: map[string]float64{},
			notes: map[string]string{"loadcheck": fmt.Sprintf("%.1f–%.1f", float64(lo)/1e6, float64(hi)/1e6)}, fmt: mb})
	}
	return rows
}

// spread returns the lowest and highest RSS sampled.
func spread(s []soakSample) (lo, hi int64) {
	lo = math.MaxInt64
	for _, x := range s {
		lo, hi = min(lo, x.RSS), max(hi, x.RSS)
	}
	return lo, hi
}

func commas(f float64) string {
	s := strconv.FormatInt(int64(math.Round(f)), 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
