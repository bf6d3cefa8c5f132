package claims

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// runOf is a complete run against target file with the figures edits set.
func runOf(t *testing.T, file string, edits ...func(*result.Result)) *result.Result {
	t.Helper()
	r := &result.Result{RunID: file, Target: result.TargetInfo{File: "targets/" + file}, Status: result.Complete}
	for _, e := range edits {
		e(r)
	}
	return r
}

func loss(pct float64) func(*result.Result) {
	return func(r *result.Result) { r.WebSocket = &probe.WSSummary{Expected: 600, Loss: pct} }
}

// rate sets a downstream's statements per minute over a 30 s phase.
func rate(name string, perMin float64) func(*result.Result) {
	return func(r *result.Result) {
		r.Downstreams = append(r.Downstreams, downstream.Summary{Name: name, Seconds: 30, Calls: perMin / 2, RatePerSec: perMin / 60})
	}
}

// http sets the HTTP figures from their JSON, as a result file holds them.
func http(t *testing.T, js string) func(*result.Result) {
	return func(r *result.Result) {
		if err := json.Unmarshal([]byte(js), &r.HTTP); err != nil {
			t.Fatal(err)
		}
	}
}

func healthP95(t *testing.T, ms float64) func(*result.Result) {
	b, _ := json.Marshal(ms)
	return http(t, `{"endpoints":[{"name":"health","requests":100,"latency":{"p95_ms":`+string(b)+`}}],"total":{"requests":100}}`)
}

// cache sets a caches run: 300 lookups and 100 embeds answered, the
// lookups and embedding calls that missed, and workers of rssMiB each.
func cache(t *testing.T, missLookups, missTexts float64, rssMiB ...uint64) func(*result.Result) {
	return func(r *result.Result) {
		http(t, `{"endpoints":[{"name":"customer-lookup","requests":300},{"name":"embed","requests":100}],"total":{"requests":400}}`)(r)
		r.Downstreams = append(r.Downstreams, downstream.Summary{Name: "lookups", Seconds: 60, Calls: missLookups},
			downstream.Summary{Name: "embeddings", Seconds: 60, Calls: missTexts})
		r.Resources = &resource.Summary{Processes: []resource.Process{{Role: "master", RSSPeak: 500 << 20}}}
		for _, m := range rssMiB {
			r.Resources.Processes = append(r.Resources.Processes, resource.Process{Role: "worker", RSSPeak: m << 20})
		}
	}
}

func offered(perS float64) func(*result.Result) {
	return func(r *result.Result) { r.Scenario.PeakRate = perS }
}

func set(rs ...*result.Result) *RunSet { return &RunSet{Results: rs} }

// broadcasts are the five options' runs with the losses given.
func broadcasts(t *testing.T, w1, w2, redis, nginx, split float64) *RunSet {
	return set(runOf(t, "titan-1w.yaml", loss(w1)), runOf(t, "titan-2w.yaml", loss(w2)),
		runOf(t, "titan-gunicorn-redis.yaml", loss(redis)), runOf(t, "titan-nginx-sticky.yaml", loss(nginx)),
		runOf(t, "titan-split.yaml", loss(split)))
}

func sse(t *testing.T, w1, w2 float64) *RunSet {
	return set(runOf(t, "titan-1w.yaml", rate("polls", w1)), runOf(t, "titan-2w.yaml", rate("polls", w2)))
}

func row(t *testing.T, rs Runs, prefix string) Row {
	t.Helper()
	for _, r := range Judge(rs) {
		if strings.HasPrefix(r.Text, prefix) {
			return r
		}
	}
	t.Fatalf("no claim starts %q", prefix)
	return Row{}
}

// TestRules holds each rule to the verdict the analysis' claim gets from
// figures on either side of its bounds.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name, claim string
		runs        Runs
		verdict     Verdict
		says        string // in the measurement or the verdict
	}{
		{"broadcasts hold", "`--workers 2`", Runs{"broadcasts": broadcasts(t, 0, 48.5, 0, 50, 0)}, Holds, "2 workers 48.5 %"},
		{"redis loses", "`--workers 2`", Runs{"broadcasts": broadcasts(t, 0, 48.5, 3, 50, 0)}, DoesNotHold, "gunicorn + Redis loses 3 %"},
		{"2 workers lose all", "`--workers 2`", Runs{"broadcasts": broadcasts(t, 0, 100, 0, 50, 0)}, DoesNotHold, "not about half"},
		{"nginx fixes it", "`--workers 2`", Runs{"broadcasts": broadcasts(t, 0, 50, 0, 0, 0)}, DoesNotHold, "nginx ip_hash lost none"},
		{"one option missing", "`--workers 2`", Runs{"broadcasts": set(runOf(t, "titan-1w.yaml", loss(0)))}, NotMeasured, "broadcasts (no complete run of titan-2w.yaml)"},
		{"no runs", "`--workers 2`", Runs{}, NotMeasured, "missing broadcasts (no runs: scenarios/claims/run.sh broadcasts)"},
		{"polls per client", "2 workers + 3 dashboards", Runs{"sse-polls-per-worker": sse(t, 40, 80), "sse-polls-per-client": sse(t, 120, 120)},
			HoldsOnlyWhen, "holds only when SSE_POLL=per-client: the 120/min come from the 3 dashboards, as many at 1 worker (120/min) as at 2"},
		{"polls redundant", "2 workers + 3 dashboards", Runs{"sse-polls-per-worker": sse(t, 60, 120), "sse-polls-per-client": sse(t, 120, 120)},
			Holds, "with SSE_POLL=per-worker"},
		{"polls far off", "2 workers + 3 dashboards", Runs{"sse-polls-per-worker": sse(t, 40, 80), "sse-polls-per-client": sse(t, 60, 60)},
			DoesNotHold, "per-client: 1 worker 60/min, 2 workers 60/min"},
		{"caches cold", "per-process caches", Runs{"caches": set(runOf(t, "titan-1w.yaml", cache(t, 225, 25, 136)), runOf(t, "titan-2w.yaml", cache(t, 258, 27, 97, 98)))},
			HoldsOnlyWhen, "lookups that went to PostgreSQL 75 % vs 86 % (×1.15)"},
		{"caches warmed", "per-process caches", Runs{"caches": set(runOf(t, "titan-1w.yaml", cache(t, 30, 10, 100)), runOf(t, "titan-2w.yaml", cache(t, 60, 20, 100, 100)))},
			Holds, "workers' RSS 100 MiB (1) vs 200 MiB (2) (×2)"},
		{"caches shared", "per-process caches", Runs{"caches": set(runOf(t, "titan-1w.yaml", cache(t, 30, 10, 100)), runOf(t, "titan-2w.yaml", cache(t, 33, 10, 100, 100)))},
			DoesNotHold, "less than 1.7×"},
		{"limit queues 10 s", "`--limit-concurrency 200`", Runs{"limit": set(
			runOf(t, "titan-1w-uvloop.yaml", http(t, `{"total":{"requests":1000,"errors":100,"codes":{"200":900,"503":100},"latency":{"p95_ms":9750}}}`)),
			runOf(t, "titan-1w-nolimit.yaml", offered(36), http(t, `{"total":{"requests":600,"achieved_per_s":18.6,"codes":{"200":600},"latency":{"p95_ms":21000}}}`)))},
			HoldsOnlyWhen, "18.6/s × 2 s ≈ 37 requests): 200 queued searches are 10.75 s of work"},
		{"limit fails fast", "`--limit-concurrency 200`", Runs{"limit": set(
			runOf(t, "titan-1w-uvloop.yaml", http(t, `{"total":{"requests":1000,"errors":500,"codes":{"200":500,"503":500},"latency":{"p95_ms":900}}}`)),
			runOf(t, "titan-1w-nolimit.yaml", offered(36), http(t, `{"total":{"requests":600,"achieved_per_s":180,"codes":{"200":600},"latency":{"p95_ms":21000}}}`)))},
			Holds, "with the limit 50 % answered 503, successes' p95 900 ms; without, p95 21 s"},
		{"limit idle", "`--limit-concurrency 200`", Runs{"limit": set(
			runOf(t, "titan-1w-uvloop.yaml", http(t, `{"total":{"requests":1000,"codes":{"200":1000},"latency":{"p95_ms":9750}}}`)),
			runOf(t, "titan-1w-nolimit.yaml", offered(36), http(t, `{"total":{"requests":600,"achieved_per_s":18.6,"codes":{"200":600},"latency":{"p95_ms":9800}}}`)))},
			DoesNotHold, "never answered 503"},
		{"stall", "a blocking DB call", Runs{"stall": set(runOf(t, "titan-1w.yaml", healthP95(t, 10)), runOf(t, "titan-1w-psycopg2.yaml", healthP95(t, 3030)))},
			Holds, "psycopg2 3.03 s, asyncpg 10 ms (×303)"},
		{"no stall", "a blocking DB call", Runs{"stall": set(runOf(t, "titan-1w.yaml", healthP95(t, 10)), runOf(t, "titan-1w-psycopg2.yaml", healthP95(t, 49)))},
			DoesNotHold, "less than 5×"},
		{"no health figure", "a blocking DB call", Runs{"stall": set(runOf(t, "titan-1w.yaml"), runOf(t, "titan-1w-psycopg2.yaml", healthP95(t, 49)))},
			NotMeasured, "titan-1w.yaml measured no http.health.p95"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := row(t, tc.runs, tc.claim)
			if r.Verdict != tc.verdict || !strings.Contains(r.Measured+" "+r.VerdictText(), tc.says) {
				t.Errorf("verdict %q, measured %q; want %s saying %q", r.VerdictText(), r.Measured, tc.verdict, tc.says)
			}
		})
	}
}

// TestIncompleteRunIsNotMeasured: a run that never ended (its checkpoint
// still marked incomplete) does not count as a measurement.
func TestIncompleteRunIsNotMeasured(t *testing.T) {
	rs := Runs{"broadcasts": broadcasts(t, 0, 50, 0, 50, 0)}
	rs["broadcasts"].Results[4].Status = result.Incomplete
	if r := row(t, rs, "`--workers 2`"); r.Verdict != NotMeasured || !strings.Contains(r.Why, "titan-split.yaml") {
		t.Errorf("got %q, want not measured for the split run", r.VerdictText())
	}
}

// TestLoadReadsRunFolders writes a comparison and a result the way
// compare --out does and reads each run once.
func TestLoadReadsRunFolders(t *testing.T) {
	dir := t.TempDir()
	b := broadcasts(t, 0, 50, 0, 50, 0)
	for i, r := range b.Results {
		r.Schema, r.RunID = result.Schema, "run"+string(rune('a'+i))
	}
	if err := os.MkdirAll(filepath.Join(dir, "broadcasts"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmp := result.NewComparison(b.Results)
	write := func(name string, doc result.Document) {
		if err := result.WriteFileAtomic(filepath.Join(dir, "broadcasts", name), func(w io.Writer) error { return report.Render(w, doc, report.FormatJSON) }); err != nil {
			t.Fatal(err)
		}
	}
	write("compare-runa.json", cmp)
	write("runa.json", b.Results[0])
	rs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rs["broadcasts"].Results); n != 5 {
		t.Errorf("read %d results, want the comparison's 5, each once", n)
	}
	if r := row(t, rs, "`--workers 2`"); r.Verdict != Holds {
		t.Errorf("read back: %q, want holds", r.VerdictText())
	}
	if rs, err := Load(filepath.Join(dir, "nothing")); err != nil || len(rs) != 0 {
		t.Errorf("missing dir: %v, %v; want no runs and no error", rs, err)
	}
}

// TestRender checks both renderings against the golden Markdown and the
// HTML's escaping: the runs of one claim, the others not measured.
func TestRender(t *testing.T) {
	rep := &Report{Dir: "reports/claims/runs", Runs: Runs{"broadcasts": broadcasts(t, 0, 48.5, 0, 50, 0)}}
	rep.Rows = Judge(rep.Runs)
	var md, page bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "claims.md", md.Bytes())
	if err := rep.HTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<tr class="holds">`, `<tr class="not-measured">`, "COUNT(*)", "2 workers 48.5 %"} {
		if !strings.Contains(page.String(), s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
}
