package claims

import (
	"fmt"
	"math"
	"strings"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// All is every claim of the scaling analysis, in its order, each with the
// rule that judges it. The run folders are scenarios/claims/run.sh's claim
// names; the target files those of targets/ and scenarios/claims/targets/.
var All = []Claim{
	{
		Text:       "`--workers 2` loses ~50 % of dispatch broadcasts; gunicorn + Redis loses none; nginx ip_hash does not fix it; a split real-time service does",
		MeasuredAs: "ws.loss per option",
		Runs:       []string{"broadcasts"},
		judge:      judgeBroadcasts,
	},
	{
		Text:       "2 workers + 3 dashboards = 120 queries/min of redundant COUNT(*)",
		MeasuredAs: "downstream.polls.rate (statements matching COUNT|SUM), 1 vs 2 workers, both `SSE_POLL` modes",
		Runs:       []string{"sse-polls-per-worker", "sse-polls-per-client"},
		judge:      judgeSSEPolls,
	},
	{
		Text:       "per-process caches: 2 workers = 2× misses to the database and 2× embedding calls while warming; 2× RSS",
		MeasuredAs: "misses: downstream.lookups.calls (statements FROM customers) per lookup answered, downstream.embeddings.calls per embed answered; RSS of the workers; 1 vs 2 workers, 60 s of 3000 phones and 2000 texts fed at random",
		Runs:       []string{"caches"},
		judge:      judgeCaches,
	},
	{
		Text:       "`--loop uvloop --http httptools`: +30 % single-process throughput",
		MeasuredAs: "saturate capacity, uvloop/httptools vs asyncio/h11, same machine, one after the other",
		Runs:       []string{"throughput-uvloop", "throughput-asyncio"},
		judge:      judgeThroughput,
	},
	{
		Text:       "`--limit-concurrency 200`: fail fast instead of queueing forever",
		MeasuredAs: "searches above capacity: 503 share and successes' p95 with the limit, p95 without",
		Runs:       []string{"limit"},
		judge:      judgeLimit,
	},
	{
		Text:       "a blocking DB call stalls every other in-flight request; asyncpg does not",
		MeasuredAs: "p95 of `/api/health` while searches run, psycopg2 vs asyncpg",
		Runs:       []string{"stall"},
		judge:      judgeStall,
	},
	{
		Text:       "4 workers: ×4 memory, 4 connection pools, 80 s vs 20 s start-up",
		MeasuredAs: "RSS of the workers (and rss.total), downstream.postgres.conns, target.ready_time, 1 vs 4 workers, `STARTUP_S=20`",
		Runs:       []string{"startup"},
		judge:      judgeStartup,
	},
	{
		Text:       "one async worker holds 100+ concurrent I/O-bound requests",
		MeasuredAs: "http.inflight.max and `/api/analyze` p95 at 2–5 s upstream latency, 1 worker",
		Runs:       []string{"io-bound"},
		judge:      judgeIOBound,
	},
	{
		Text:       "the decision: stay at one worker below 60 % CPU / 2 s p95",
		MeasuredAs: "saturate of the pre-launch mix on titan-1w: the rate where each gate first fails, against today's 20–40/min",
		Runs:       []string{"decision"},
		judge:      judgeDecision,
	},
}

// judgeBroadcasts: 2 workers lose about half (25–75 %: the kernel spreads
// the boards and the POSTs over the workers unevenly, so one run lands
// within a quarter of 50 %), gunicorn + Redis and the split service lose
// none, nginx ip_hash loses some (clients come from several /24s).
func judgeBroadcasts(rd *reader) Finding {
	const id = "broadcasts"
	w1 := rd.fig(id, "titan-1w.yaml", metric.WSLoss)
	w2 := rd.fig(id, "titan-2w.yaml", metric.WSLoss)
	redis := rd.fig(id, "titan-gunicorn-redis.yaml", metric.WSLoss)
	nginx := rd.fig(id, "titan-nginx-sticky.yaml", metric.WSLoss)
	split := rd.fig(id, "titan-split.yaml", metric.WSLoss)
	m := fmt.Sprintf("ws.loss: 1 worker %s, 2 workers %s, gunicorn + Redis %s, nginx ip_hash %s, split %s",
		pct(w1), pct(w2), pct(redis), pct(nginx), pct(split))
	var fails []string
	if w2 < 25 || w2 > 75 {
		fails = append(fails, "2 workers lose "+pct(w2)+", not about half")
	}
	if redis != 0 {
		fails = append(fails, "gunicorn + Redis loses "+pct(redis))
	}
	if nginx == 0 {
		fails = append(fails, "nginx ip_hash lost none")
	}
	if split != 0 {
		fails = append(fails, "the split service loses "+pct(split))
	}
	if len(fails) > 0 {
		return Finding{DoesNotHold, m, strings.Join(fails, "; ")}
	}
	return Finding{Holds, m, ""}
}

// judgeSSEPolls: the claim's 120/min is 3 dashboards × 20 polls/min × 2
// statements, and it calls them redundant: a second worker's. It holds for
// a polling mode whose 2 workers make 120/min (±15 %) and twice what one
// makes; when 120/min is reached but one worker makes as many, the count
// comes from the dashboards, not from the workers.
func judgeSSEPolls(rd *reader) Finding {
	polls := metric.Instance(metric.DownstreamRate, "polls")
	type mode struct{ name, id string }
	var m []string
	var holds, perClientOnly []string
	for _, md := range []mode{{"per-worker", "sse-polls-per-worker"}, {"per-client", "sse-polls-per-client"}} {
		w1 := rd.fig(md.id, "titan-1w.yaml", polls)
		w2 := rd.fig(md.id, "titan-2w.yaml", polls)
		m = append(m, fmt.Sprintf("%s: 1 worker %s, 2 workers %s", md.name, perMin(w1), perMin(w2)))
		near120 := math.Abs(w2*60-120) <= 18
		switch {
		case near120 && ratio(w2, w1) >= 1.7:
			holds = append(holds, md.name)
		case near120:
			perClientOnly = append(perClientOnly, fmt.Sprintf("SSE_POLL=%s: the %s come from the 3 dashboards, as many at 1 worker (%s) as at 2, not from a second worker",
				md.name, perMin(w2), perMin(w1)))
		}
	}
	measured := "COUNT + SUM statements, 3 dashboards — " + strings.Join(m, "; ")
	switch {
	case len(holds) > 0:
		return Finding{Holds, measured, "with SSE_POLL=" + strings.Join(holds, ", ")}
	case len(perClientOnly) > 0:
		return Finding{HoldsOnlyWhen, measured, strings.Join(perClientOnly, "; ")}
	}
	return Finding{DoesNotHold, measured, "no polling mode makes 120/min at 2 workers"}
}

// workerRSS returns the summed peak RSS of r's worker processes and their
// count (the uvicorn or gunicorn workers, not PostgreSQL or a master).
func workerRSS(rd *reader, id, file string) (sum float64, n int) {
	r := rd.result(id, file)
	if r == nil {
		return math.NaN(), 0
	}
	if r.Resources != nil {
		for _, p := range r.Resources.Processes {
			if p.Role == "worker" {
				sum += float64(p.RSSPeak)
				n++
			}
		}
	}
	if n == 0 {
		rd.note(fmt.Sprintf("%s (%s measured no worker's RSS)", id, file))
		return math.NaN(), 0
	}
	return sum, n
}

// missShare returns the calls a downstream counted per success of an
// endpoint, in percent: the share of lookups that missed the cache.
func missShare(rd *reader, id, file, ds, endpoint string) float64 {
	calls := rd.fig(id, file, metric.Instance(metric.DownstreamCalls, ds))
	r := rd.result(id, file)
	if r == nil {
		return math.NaN()
	}
	e, ok := r.HTTP.Endpoint(endpoint)
	if !ok || e.Successes() == 0 {
		rd.note(fmt.Sprintf("%s (%s answered no %s)", id, file, endpoint))
		return math.NaN()
	}
	return 100 * calls / float64(e.Successes())
}

// judgeCaches: with per-process caches, 2 workers pay each miss once per
// worker and hold each entry once per worker. Over a whole warm-up that
// is 2× the misses, the embedding calls and the cache's memory; over a
// run too short for the feed (most lookups still miss at 1 worker) both
// targets miss nearly everything and the factor is far below 2. So: holds
// when misses, calls and the workers' RSS are all at least 1.7× one
// worker's; holds only once the caches have warmed when 1 worker still
// missed most lookups; does not hold otherwise.
func judgeCaches(rd *reader) Finding {
	const id = "caches"
	db1 := missShare(rd, id, "titan-1w.yaml", "lookups", "customer-lookup")
	db2 := missShare(rd, id, "titan-2w.yaml", "lookups", "customer-lookup")
	em1 := missShare(rd, id, "titan-1w.yaml", "embeddings", "embed")
	em2 := missShare(rd, id, "titan-2w.yaml", "embeddings", "embed")
	rss1, n1 := workerRSS(rd, id, "titan-1w.yaml")
	rss2, n2 := workerRSS(rd, id, "titan-2w.yaml")
	rdb, rem, rrss := ratio(db2, db1), ratio(em2, em1), ratio(rss2, rss1)
	m := fmt.Sprintf("lookups that went to PostgreSQL %s vs %s (%s); texts that called the embeddings upstream %s vs %s (%s); workers' RSS %s (%d) vs %s (%d) (%s)",
		pct(db1), pct(db2), times(rdb), pct(em1), pct(em2), times(rem), mib(rss1), n1, mib(rss2), n2, times(rrss))
	switch {
	case rdb >= 1.7 && rem >= 1.7 && rrss >= 1.7:
		return Finding{Holds, m, ""}
	case db1 >= 50 && rdb > 1 && rem > 1 && rrss > 1:
		return Finding{HoldsOnlyWhen, m, fmt.Sprintf("counted over the caches' whole warm-up: in this run 1 worker still missed %s of lookups, so 2 workers paid only %s the misses, %s the embedding calls and %s the memory",
			pct(db1), times(rdb), times(rem), times(rrss))}
	}
	return Finding{DoesNotHold, m, "2 workers cost less than 1.7× one worker's misses, calls or memory"}
}

// judgeThroughput: the claim holds when uvloop/httptools' capacity is at
// least 1.3× asyncio/h11's. A capacity known only as a lower bound (the
// search reached its ceiling) is said so.
func judgeThroughput(rd *reader) Finding {
	fast, slow := rd.search("throughput-uvloop"), rd.search("throughput-asyncio")
	if fast == nil || slow == nil {
		return Finding{}
	}
	r := ratio(fast.Capacity, slow.Capacity)
	m := fmt.Sprintf("capacity %s%s (uvloop/httptools) vs %s%s (asyncio/h11): %s",
		atLeast(fast), perS(fast.Capacity), atLeast(slow), perS(slow.Capacity), times(r))
	switch {
	case slow.Capacity == 0 || fast.Capacity == 0:
		return Finding{DoesNotHold, m, "a search found no passing rate"}
	case r >= 1.3:
		return Finding{Holds, m, ""}
	case fast.AtLeast:
		return Finding{NotMeasured, m, "uvloop's search stopped at " + fast.StoppedBy + " before a gate failed"}
	}
	return Finding{DoesNotHold, m, "less than +30 %"}
}

func atLeast(s *result.Saturation) string {
	if s.AtLeast {
		return "≥ "
	}
	return ""
}
