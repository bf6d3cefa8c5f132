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

// Cell formats.
var (
	num = func(f float64) string { return commas(f) }
	one = func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
)

// noLatency marks the columns of tools that record no latency.
var noLatency = map[string]string{"vegetalib": "n/a (no recording)"}

func (b *bench) rows() []row {
	var rows []row
	if len(b.res.max) > 0 {
		rows = append(rows, b.maxRows()...)
	}
	if len(b.res.fixed) > 0 {
		rows = append(rows, b.fixedRows()...)
	}
	if len(b.res.lat50) > 0 {
		rows = append(rows, latencyRows("(c) 50 ms target", b.res.lat50, b.res.truth50)...)
	}
	if len(b.res.freeze) > 0 {
		rows = append(rows, latencyRows("(c) 2 × 1 s freeze", b.res.freeze, b.res.truthFreeze)...)
	}
	if len(b.res.pairs) > 0 {
		rows = append(rows, b.pairRows()...)
	}
	if r := b.res; r.soakRun != nil && len(r.soak) > 0 {
		lo, hi := spread(r.soak)
		rows = append(rows, row{label: fmt.Sprintf("soak: RSS over %s at 2,000 req/s (MB)", b.soakDur), vals: map[string]float64{},
			notes: map[string]string{"loadcheck": fmt.Sprintf("%.1f–%.1f", float64(lo)/1e6, float64(hi)/1e6)}, fmt: one})
	}
	return rows
}

// maxRows are the rows of (a).
func (b *bench) maxRows() []row {
	rate := row{label: "(a) highest rate, errors < 0.1 % (req/s)", vals: map[string]float64{}, notes: map[string]string{}, fmt: num}
	late := row{label: "(a) sent > 10 ms behind schedule at that rate (%)", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a (closed)", "hey": "n/a (closed)"}, fmt: one}
	cpu := row{label: "(a) CPU per request at that rate (µs)", vals: map[string]float64{}, fmt: one}
	rss := row{label: "(a) peak RSS at that rate (MB)", vals: map[string]float64{}, fmt: one}
	for name, m := range b.res.max {
		if m.Conns > 0 {
			rate.vals[name] = m.throughput()
			rate.notes[name] = fmt.Sprintf(" (closed, %d conns)", m.Conns)
		} else {
			rate.vals[name] = m.Rate
			late.vals[name] = 100 * float64(m.Late) / float64(max(m.Requests, 1))
		}
		cpu.vals[name] = float64(m.cpuPerReq()) / 1e3
		rss.vals[name] = float64(m.MaxRSS) / 1e6
	}
	return []row{rate, late, cpu, rss}
}

// fixedRows are the rows of (b).
func (b *bench) fixedRows() []row {
	cpu := row{label: "(b) CPU s per 1M requests at 2,000 req/s", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a (no rate limit)"}, fmt: one}
	rss := row{label: "(b) peak RSS at 2,000 req/s (MB)", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a"}, fmt: one}
	for name, m := range b.res.fixed {
		cpu.vals[name] = m.CPU.Seconds() * 1e6 / float64(max(m.Requests, 1))
		rss.vals[name] = float64(m.MaxRSS) / 1e6
	}
	return []row{cpu, rss}
}

// latencyRows are p50, p95 and p99 of one target in (c).
func latencyRows(label string, ms map[string]measure, truth []time.Duration) []row {
	var rows []row
	for i, q := range []string{"p50", "p95", "p99"} {
		rw := row{label: fmt.Sprintf("%s %s (ms)", label, q), vals: map[string]float64{}, notes: noLatency, fmt: one}
		if len(truth) == 3 {
			rw.truth = one(float64(truth[i]) / 1e6)
		}
		for name, m := range ms {
			rw.vals[name] = float64([]time.Duration{m.P50, m.P95, m.P99}[i]) / 1e6
		}
		rows = append(rows, rw)
	}
	return rows
}

// pairRows are the medians of (d) over its pairs.
func (b *bench) pairRows() []row {
	ps := b.res.pairs
	label := func(what string) string {
		return fmt.Sprintf("(d) %s at %s req/s, median of %d pairs", what, commas(b.res.pairRate), len(ps))
	}
	cpu := row{label: label("CPU per request (µs)"), vals: map[string]float64{}, fmt: one}
	rss := row{label: label("peak RSS (MB)"), vals: map[string]float64{}, fmt: one}
	cpu.vals["loadcheck"], _, _ = pairSpread(ps, func(p pair) float64 { return float64(p.loadcheck.cpuPerReq()) / 1e3 })
	cpu.vals["vegetalib"], _, _ = pairSpread(ps, func(p pair) float64 { return float64(p.lib.cpuPerReq()) / 1e3 })
	rss.vals["loadcheck"], _, _ = pairSpread(ps, func(p pair) float64 { return float64(p.loadcheck.MaxRSS) / 1e6 })
	rss.vals["vegetalib"], _, _ = pairSpread(ps, func(p pair) float64 { return float64(p.lib.MaxRSS) / 1e6 })
	return []row{cpu, rss}
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
