// The Markdown report written to bench/results.

package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// columns are the table's headings, by tool.
var columns = map[string]string{
	"loadcheck": "loadcheck", "vegeta": "vegeta CLI", "vegetalib": "vegeta library (in-process, no recording)", "wrk": "wrk", "hey": "hey",
}

func (b *bench) markdown(day string, env []string, load0, load1 string, took time.Duration) string {
	var w strings.Builder
	fmt.Fprintf(&w, "# loadcheck benchmark, %s\n\n", day)
	fmt.Fprintf(&w, "`make bench` (bench/run.sh → bench/loadbench): target bench/fastserver (200-byte body) pinned to CPU %s, each tool pinned to CPU %s, loopback, one at a time. "+
		"Ratios are to loadcheck. CPU and peak RSS are the kernel's rusage of the tool's process. %d connections or workers for every tool in (a).\n\n", targetCPU, genCPU, conns)
	b.table(&w)
	fmt.Fprintln(&w)
	b.goals(&w)
	b.method(&w)
	fmt.Fprintf(&w, "\nMachine: %s. Load average before %s, after %s (other work on the machine disturbs every figure). The bench took %s.\n",
		strings.Join(env, "; "), load0, load1, took.Round(time.Second))
	return w.String()
}

// table writes the rows with a column per tool and each figure's ratio to
// loadcheck's.
func (b *bench) table(w io.Writer) {
	head := []string{"figure", "truth"}
	for _, t := range tools {
		head = append(head, columns[t])
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(head, " | "))
	fmt.Fprintf(w, "|---%s|\n", strings.Repeat("|---:", len(head)-1))
	for _, r := range b.rows() {
		cells := []string{r.label, r.truth}
		if r.truth == "" {
			cells[1] = "–"
		}
		base, hasBase := r.vals["loadcheck"]
		for _, t := range tools {
			v, ok := r.vals[t]
			note := r.notes[t]
			switch {
			case !ok && note != "":
				cells = append(cells, note)
			case !ok:
				cells = append(cells, "–")
			default:
				c := r.fmt(v)
				if t != "loadcheck" && hasBase && base != 0 {
					c += fmt.Sprintf(" (%.2f×)", v/base)
				}
				cells = append(cells, c+note)
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// method says how each figure is taken.
func (b *bench) method(w io.Writer) {
	fmt.Fprintln(w, "\nHow each figure is taken:")
	fmt.Fprintf(w, "- (a) loadcheck, the vegeta CLI and the vegeta library: the rate steps up by 5,000 req/s (%s each, every tool at each step in turn), then bisects to 1,000, again a step of every tool in turn; a step that falls short is run once more before the rate counts as failed; a rate is sustained when errors < 0.1 %% and ≥ 97 %% of its requests were answered. loadcheck `max_workers: %d`, vegeta `-max-workers %d -max-body 0`, the library the same options. wrk (`-t1 -c%d`) and hey (`-c %d`) are closed-model: their throughput over %s.\n",
		b.stepDur, conns, conns, conns, conns, 2*b.stepDur)
	fmt.Fprintln(w, "- The vegeta library column is bench/vegetalib: `vegeta.NewAttacker(MaxBody(0), Timeout(10s), MaxWorkers(…))` and `Attack` with the CLI's other defaults, its results drained and only counted (requests, errors, late), no histogram, no encoding, no file: the floor of what a generator built on vegeta, as loadcheck is, can cost.")
	fmt.Fprintf(w, "- (b) %s at 2,000 req/s, the same worker caps as (a); hey as 20 workers × `-q 100`. wrk cannot limit its rate.\n", b.fixedDur)
	fmt.Fprintf(w, "- (c) %s at 200 req/s (wrk `-c10`, hey `-c 10 -q 20`: the concurrency that carries 200 req/s at 50 ms; loadcheck and vegeta with their default worker caps, 512 and none). loadcheck shows its corrected latency (from the intended send time). "+
		"Truth for the 50 ms target: the server's own arrival-to-answer times over all four runs. Truth for the freeze (1 s at 3 s and 7 s after the first request): an open-model client's requests at 200 req/s "+
		"answered by the server's schedule (a request arriving during a freeze waits for its end, then the service time the server measured, ≈ 50 ms; one in service when a freeze begins completes at its end).\n", b.latDur)
	if len(b.res.freeze) > 0 {
		var seen []string
		for _, t := range tools {
			if m, ok := b.res.freeze[t]; ok && len(m.ServerTruth) == 3 {
				seen = append(seen, fmt.Sprintf("%s p95 %.0f ms (%d requests)", t, float64(m.ServerTruth[1])/1e6, m.Requests))
			}
		}
		fmt.Fprintf(w, "- Freeze, truth of the requests each tool actually sent (what the server saw): %s. A closed-model tool sends little during a freeze, so even the truth of what it sent hides the stall.\n", strings.Join(seen, ", "))
	}
	fmt.Fprintf(w, "- (d) loadcheck and the vegeta library at one rate, %s each, in pairs run back to back, which of the two goes first alternating; the rate is 80 %% of the lower of their highest rates in (a), meant to be one both sustain (the goal line counts the pairs where a run still fell short: on a busy machine the CPU per request of such a run is still measured, the rate is not). The ratio of each pair is taken before the median: a pair shares the machine's load of the moment, so the ratios vary less than the figures.\n", b.stepDur)
	fmt.Fprintln(w, "- Late: loadcheck counts requests sent > 10 ms after their scheduled time and corrects their latency for it; for vegeta the bench computes the same from its results (each hit's sequence number and send time), which vegeta itself does not report; the library counts them in the drain. A rate can be sustained in throughput while many requests go out late.")
}

func (b *bench) goals(w io.Writer) {
	fmt.Fprintln(w, "Goals (issues 3, 8 and 11):")
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	r := b.res
	if lc, ok := r.max["loadcheck"]; ok {
		if vg, ok := r.max["vegeta"]; ok {
			fmt.Fprintf(w, "- highest rate ≥ 90 %% of vegeta's: %s / %s = %.0f %% — %s\n", commas(lc.Rate), commas(vg.Rate), 100*lc.Rate/vg.Rate, mark(lc.Rate >= 0.9*vg.Rate))
		}
		fmt.Fprintf(w, "- highest rate ≥ 31,000 req/s: %s — %s\n", commas(lc.Rate), mark(lc.Rate >= 31000))
		fmt.Fprintf(w, "- ≤ 30 µs CPU per request at the highest rate: %.1f µs — %s\n", float64(lc.cpuPerReq())/1e3, mark(lc.cpuPerReq() <= 30*time.Microsecond))
		fmt.Fprintf(w, "- ≤ 20 MB RSS at the highest rate: %.1f MB — %s\n", float64(lc.MaxRSS)/1e6, mark(lc.MaxRSS <= 20e6))
	}
	b.libGoals(w, mark)
	if lc, ok := r.fixed["loadcheck"]; ok {
		if vg, ok := r.fixed["vegeta"]; ok {
			a, v := lc.CPU.Seconds()/float64(lc.Requests), vg.CPU.Seconds()/float64(vg.Requests)
			fmt.Fprintf(w, "- CPU per request at 2,000 req/s ≤ 1.2× vegeta's: %.2f× — %s\n", a/v, mark(a <= 1.2*v))
		}
	}
	if lc, ok := r.lat50["loadcheck"]; ok && len(r.truth50) == 3 {
		d := lc.P50 - r.truth50[0]
		fmt.Fprintf(w, "- p50 within 1 ms of the truth (50 ms target): %.2f ms off — %s\n", float64(d)/1e6, mark(d.Abs() <= time.Millisecond))
	}
	if lc, ok := r.freeze["loadcheck"]; ok && len(r.truthFreeze) == 3 {
		d := lc.P50 - r.truthFreeze[0]
		fmt.Fprintf(w, "- p50 within 1 ms of the truth (freeze target): %.2f ms off — %s; p95 %.0f ms against %.0f ms\n",
			float64(d)/1e6, mark(d.Abs() <= time.Millisecond), float64(lc.P95)/1e6, float64(r.truthFreeze[1])/1e6)
	}
	if len(r.soak) > 0 {
		// The first sample is taken while the heap still grows to its
		// working size; flatness is judged from the second one on.
		s := r.soak
		if len(s) > 1 {
			s = s[1:]
		}
		lo, hi := spread(s)
		fmt.Fprintf(w, "- RSS flat within 10 MB over %s at 2,000 req/s: %.1f MB spread (from %s on) — %s\n", b.soakDur, float64(hi-lo)/1e6, s[0].At, mark(hi-lo <= 10e6))
	} else {
		fmt.Fprintln(w, "- RSS flat within 10 MB over 5 min: not run (BENCH_SOAK=1 make bench)")
	}
}

// libGoals are issue 11's: loadcheck within 10 % of the vegeta library
// in-process, in highest rate and CPU per request.
func (b *bench) libGoals(w io.Writer, mark func(bool) string) {
	r := b.res
	lc, ok1 := r.max["loadcheck"]
	lib, ok2 := r.max["vegetalib"]
	if ok1 && ok2 {
		fmt.Fprintf(w, "- highest rate within 10 %% of the vegeta library's: %s / %s = %.2f× — %s\n",
			commas(lc.Rate), commas(lib.Rate), lc.Rate/lib.Rate, mark(lc.Rate >= 0.9*lib.Rate))
		a, l := lc.cpuPerReq(), lib.cpuPerReq()
		fmt.Fprintf(w, "- CPU per request at the highest rate within 10 %% of the library's: %.1f / %.1f µs = %.2f× — %s\n",
			float64(a)/1e3, float64(l)/1e3, float64(a)/float64(max(l, 1)), mark(float64(a) <= 1.1*float64(l)))
	}
	if ps := r.pairs; len(ps) > 0 {
		med, lo, hi := pairSpread(ps, pair.cpuRatio)
		short := 0
		for _, p := range ps {
			if !p.loadcheck.sustains() || !p.lib.sustains() {
				short++
			}
		}
		fmt.Fprintf(w, "- CPU per request at %s req/s within 10 %% of the library's: median %.2f× over %d pairs (%.2f–%.2f; %d pairs with a run short of its rate) — %s\n",
			commas(r.pairRate), med, len(ps), lo, hi, short, mark(med <= 1.1))
	}
}
