package claims

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// gateP95 is the analysis' latency gate, in seconds.
const gateP95 = 2.0

// judgeLimit: the limit fails fast when it answers 503 to part of the
// load and the successes' p95 stays under the 2 s gate and at most half of
// what the same load gets without it. It caps the queue at 200 requests,
// which is 200 / capacity seconds of work: when that is above the gate,
// the limit acts only after the wait has passed it, and the claim holds
// only for a limit below capacity × 2 s.
func judgeLimit(rd *reader) Finding {
	const id, limit = "limit", 200
	with := rd.result(id, "titan-1w-uvloop.yaml")
	without := rd.result(id, "titan-1w-nolimit.yaml")
	p95With := rd.fig(id, "titan-1w-uvloop.yaml", metric.HTTPP95)
	p95Without := rd.fig(id, "titan-1w-nolimit.yaml", metric.HTTPP95)
	if with == nil || without == nil {
		return Finding{}
	}
	t := with.HTTP.Total
	share503 := 100 * float64(t.Codes["503"]) / float64(max(t.Requests, 1))
	capacity := without.HTTP.Total.Achieved
	offered := without.Scenario.PeakRate // the arrivals due, answered or not
	if offered == 0 {
		offered = without.HTTP.Total.Rate
	}
	queue := limit / capacity // seconds of work the limit lets queue
	m := fmt.Sprintf("searches offered at %s, %s what one worker completes without the limit (%s): with the limit %s answered 503, successes' p95 %s; without, p95 %s",
		perS(offered), times(ratio(offered, capacity)), perS(capacity), pct(share503), ms(p95With), ms(p95Without))
	switch {
	case share503 == 0:
		return Finding{DoesNotHold, m, "the limit never answered 503: fewer than 200 requests were in flight"}
	case p95With <= gateP95 && p95With <= p95Without/2:
		return Finding{Holds, m, ""}
	case queue > gateP95:
		return Finding{HoldsOnlyWhen, m, fmt.Sprintf("the limit is below what the worker completes in 2 s (%s × 2 s ≈ %.0f requests): 200 queued searches are %s of work, so it answers 503 only once the wait has passed %s, far above the 2 s gate",
			perS(capacity), capacity*gateP95, ms(queue), ms(queue))}
	}
	return Finding{DoesNotHold, m, "the successes waited about as long with the limit as without"}
}

// judgeStall: psycopg2's health p95 is at least 5× asyncpg's (the issue's
// acceptance figure for the stall).
func judgeStall(rd *reader) Finding {
	const id = "stall"
	async := rd.fig(id, "titan-1w.yaml", metric.Instance(metric.EndpointP95, "health"))
	blocking := rd.fig(id, "titan-1w-psycopg2.yaml", metric.Instance(metric.EndpointP95, "health"))
	r := ratio(blocking, async)
	m := fmt.Sprintf("`/api/health` p95 while searches run: psycopg2 %s, asyncpg %s (%s)", ms(blocking), ms(async), times(r))
	if r >= 5 {
		return Finding{Holds, m, ""}
	}
	return Finding{DoesNotHold, m, "psycopg2's health p95 is less than 5× asyncpg's"}
}

// judgeStartup: 4 pools hold when the connections are at least 3.5× one
// worker's; ×4 memory and start-up when the ratio is at least 3. The
// memory is the workers' own (rss.total also counts PostgreSQL and the
// launcher, once on either side). Start-up work that is CPU bound runs on
// as many cores as there are: with fewer cores than workers it grows by
// workers/cores, so the claim then holds only on a machine with a core per
// worker.
func judgeStartup(rd *reader) Finding {
	const id, f1, f4 = "startup", "titan-1w-startup.yaml", "titan-4w-startup.yaml"
	rss1, rss4 := rd.fig(id, f1, metric.RSSTotal), rd.fig(id, f4, metric.RSSTotal)
	w1, _ := workerRSS(rd, id, f1)
	w4, n4 := workerRSS(rd, id, f4)
	c1, c4 := rd.fig(id, f1, metric.Instance(metric.DownstreamConns, "postgres")), rd.fig(id, f4, metric.Instance(metric.DownstreamConns, "postgres"))
	t1, t4 := rd.fig(id, f1, metric.TargetReadyTime), rd.fig(id, f4, metric.TargetReadyTime)
	cores := 0
	if r4 := rd.result(id, f4); r4 != nil && r4.Resources != nil {
		cores = r4.Resources.Cores
	}
	rw, rt := ratio(w4, w1), ratio(t4, t1)
	m := fmt.Sprintf("workers' RSS %s vs %s (%d workers, %s; rss.total with PostgreSQL and the launcher %s vs %s, %s); PostgreSQL connections %s vs %s (%s); ready after %s vs %s (%s) on %d cores",
		mib(w1), mib(w4), n4, times(rw), mib(rss1), mib(rss4), times(ratio(rss4, rss1)), trim(c1, 0), trim(c4, 0), times(ratio(c4, c1)), ms(t1), ms(t4), times(rt), cores)
	switch {
	case ratio(c4, c1) < 3.5:
		return Finding{DoesNotHold, m, "4 workers do not hold 4 pools"}
	case rw < 3:
		return Finding{DoesNotHold, m, "4 workers hold less than 3× one worker's memory"}
	case rt >= 3:
		return Finding{Holds, m, ""}
	case cores < 4:
		return Finding{HoldsOnlyWhen, m, fmt.Sprintf("the machine has a core per worker: 4 workers' start-up work shared %d cores, so start-up took %s, not ×4 (memory %s and pools %s hold)",
			cores, times(rt), times(rw), times(ratio(c4, c1)))}
	}
	return Finding{DoesNotHold, m, "4 workers started less than 3× slower on a core each"}
}

// judgeIOBound: one worker held at least 100 requests in flight and the
// 2–5 s calls came back within 5.5 s at p95 (no queueing on the loop).
func judgeIOBound(rd *reader) Finding {
	const id, f = "io-bound", "titan-1w.yaml"
	inflight := rd.fig(id, f, metric.HTTPInflightMax)
	p95 := rd.fig(id, f, metric.Instance(metric.EndpointP95, "analyze"))
	health := rd.fig(id, f, metric.Instance(metric.EndpointP95, "health"))
	m := fmt.Sprintf("1 worker: %s requests in flight at the peak; `/api/analyze` p95 %s (upstream 2–5 s); `/api/health` p95 %s", trim(inflight, 0), ms(p95), ms(health))
	switch {
	case inflight < 100:
		return Finding{DoesNotHold, m, "fewer than 100 requests were in flight"}
	case p95 >= 5.5:
		return Finding{DoesNotHold, m, "the calls queued: p95 above the upstream's 5 s"}
	}
	return Finding{Holds, m, ""}
}

// judgeDecision: one worker is enough when its capacity under every gate
// is above today's traffic (the scenario's production rate); the figure
// beside it is the rate at which each gate first failed.
func judgeDecision(rd *reader) Finding {
	s := rd.search("decision")
	if s == nil {
		return Finding{}
	}
	fails := firstFailures(s)
	prod := s.Production
	m := fmt.Sprintf("capacity %s%s against today's %s (%s); first failing rate per gate: %s",
		atLeast(s), perS(s.Capacity), s.ProductionText, times(ratio(s.Capacity, prod))+" headroom", strings.Join(fails, "; "))
	switch {
	case prod == 0:
		return Finding{NotMeasured, m, "the scenario states no production rate"}
	case s.Capacity >= prod:
		return Finding{Holds, m, "one worker passes every gate at today's traffic"}
	}
	return Finding{DoesNotHold, m, "one worker fails a gate below today's traffic"}
}

// firstFailures lists, per gate of a capacity search, the lowest step
// rate at which it failed ("cpu.sustained < 60% at 40/s (81.2 %)"), or
// that it held at every rate tried; then the lowest rate at which the
// target fell behind, if it did.
func firstFailures(s *result.Saturation) []string {
	steps := append([]result.Step(nil), s.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Rate < steps[j].Rate })
	var out []string
	for _, g := range s.Gates {
		msg := g + " held at every rate tried"
		for _, st := range steps {
			if o, ok := outcome(st, g); ok && !o.Pass {
				msg = g + " fails at " + perS(st.Rate)
				if o.Observed != nil {
					msg += " (" + o.Observed.String() + ")"
				}
				break
			}
		}
		out = append(out, msg)
	}
	for _, st := range steps {
		if st.FellBehind != "" {
			out = append(out, "fell behind at "+perS(st.Rate)+" ("+st.FellBehind+")")
			break
		}
	}
	return out
}

// outcome returns the step's outcome of the gate written g.
func outcome(st result.Step, g string) (gate.Outcome, bool) {
	for _, o := range st.Gates {
		if o.Gate == g {
			return o, true
		}
	}
	return gate.Outcome{}, false
}
