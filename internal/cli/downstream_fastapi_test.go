package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// The FastAPI service in testdata/downstream-fastapi does known work per
// request and per worker; these are its settings in the test.
const (
	fastapiPool       = 4   // asyncpg connections per worker
	fastapiStatements = 3   // statements per request
	fastapiCalls      = 2   // stub calls per request
	fastapiPollS      = 0.5 // seconds between a worker's polls
)

// With 1 and with 2 uvicorn workers, loadcheck's downstream figures equal
// the truth: per request the service's statements and stub calls (within
// 2 %), the connections of its pools (P per worker, exactly), its polls
// per second (1/S per worker, within 10 %). The truth is read apart, with
// psql on pg_stat_statements and pg_stat_activity; a gate below the
// statements per request fails the run.
func TestFastAPIDownstreams(t *testing.T) {
	needDebian(t, exec.Command("/usr/bin/python3", "-c", "import fastapi, uvicorn, asyncpg, httpx"), exec.Command("psql", "--version"))
	pg := dbtest.StartPostgres(t)
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			fastapiRun(t, pg, workers)
		})
	}
}

func fastapiRun(t *testing.T, pg *dbtest.Postgres, workers int) {
	dir := simtest.Files(t, map[string]string{"target.yaml": fastapiTarget(t, pg, workers), "scenario.yaml": "name: downstream costs\ntarget: target.yaml\nduration: 20s\nwarmup: 3s\n" +
		workLoad("20/s") + `gates: ["downstream.queries.per_request < 2.5", "http.errors < 1%"]
`})
	pg.Psql(t, "titan", "SELECT pg_stat_statements_reset()")
	peak, stop := watchConnections(t, pg)
	out := t.TempDir()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	stop()
	if o.code != ExitFail {
		t.Fatalf("exit %d, want 1 (the per_request gate is below the truth); stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	r := onlyResult(t, out)
	if g := r.Gates[0]; g.Pass || g.Gate != "downstream.queries.per_request < 2.5" || !r.Gates[1].Pass {
		t.Errorf("gates %+v: want the per_request gate to fail alone", r.Gates)
	}
	// The truth: every statement of every request of the run, warm-up
	// included, counted by PostgreSQL itself.
	sent := r.Generator.Warmup + r.HTTP.Total.Requests
	statements := pgCalls(t, pg, "request_work")
	t.Logf("%d workers: psql: %.0f request statements for %d requests (%.3f each); peak %d pool connections in pg_stat_activity",
		workers, statements, sent, statements/float64(sent), peak.Load())
	if statements != float64(fastapiStatements*sent) {
		t.Errorf("psql counts %.0f request statements for %d requests: the service did not do %d each", statements, sent, fastapiStatements)
	}
	if got, want := peak.Load(), int64(fastapiPool*workers); got != want {
		t.Errorf("psql saw %d pool connections at most, want %d: the service's pools are not what the test assumes", got, want)
	}
	checkFigure(t, r, "downstream.queries.per_request", fastapiStatements, 0.02)
	checkFigure(t, r, "downstream.embed.per_request", fastapiCalls, 0.02)
	checkFigure(t, r, "downstream.poll.rate", float64(workers)/fastapiPollS, 0.10)
	checkFigure(t, r, "downstream.queries.conns", float64(fastapiPool*workers), 0)
	checkFigure(t, r, "downstream.queries.conns.max_process", fastapiPool, 0)
}

// checkFigure asks that loadcheck's metric name equal want within the
// relative tolerance tol, and logs both.
func checkFigure(t *testing.T, r *result.Result, name string, want, tol float64) {
	t.Helper()
	v, ok := r.Metric(name)
	t.Logf("%s: loadcheck %.4g, truth %.4g", name, v.V, want)
	if !ok || math.Abs(v.V-want) > tol*want {
		t.Errorf("%s = %.4g (measured %v), want %.4g within %.0f%%", name, v.V, ok, want, 100*tol)
	}
}

// fastapiTarget starts the service with uvicorn and declares its
// downstreams: its request statements and its poll in the one database,
// and the stub it calls.
func fastapiTarget(t *testing.T, pg *dbtest.Postgres, workers int) string {
	t.Helper()
	app, err := filepath.Abs("testdata/downstream-fastapi")
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`name: fastapi %d workers
base_url: http://127.0.0.1:{port}
start:
  command: [/usr/bin/python3, -m, uvicorn, app:app, --host, 127.0.0.1, --port, "{port}", --workers, "%d", --no-access-log]
  dir: %s
  env: {DSN: %q, STUB_URL: "{downstream.embed.url}", POOL: "%d", STATEMENTS: "%d", CALLS: "%d", POLL_S: "%g"}
ready: {path: /, timeout: 30s}
stop: {signal: TERM, grace: 10s}
downstreams:
  - name: queries
    postgres: {dsn: %q, statements: request_work}
  - name: poll
    postgres: {dsn: %q, statements: poll_count}
  - name: embed
    stub: {latency: 1ms, body: '{"data": []}'}
`, workers, workers, app, pg.DSN("titan"), fastapiPool, fastapiStatements, fastapiCalls, fastapiPollS, pg.DSN("titan"), pg.DSN("titan"))
}

// pgCalls is the calls pg_stat_statements counted of the statements whose
// text holds mark, read with psql.
func pgCalls(t *testing.T, pg *dbtest.Postgres, mark string) float64 {
	t.Helper()
	s := pg.Psql(t, "titan", "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%"+mark+"%' AND query NOT LIKE '%pg_stat_statements%'")
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("psql: %q: %v", s, err)
	}
	return f
}

// watchConnections reads with psql, every 300 ms until stop, how many
// connections the service's pools hold (pg_stat_activity), and keeps the
// peak.
func watchConnections(t *testing.T, pg *dbtest.Postgres) (peak *atomic.Int64, stop func()) {
	peak = &atomic.Int64{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cmd := exec.CommandContext(ctx, "psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-d", "titan",
				"-c", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'loadcheck-fastapi-test'")
			if b, err := cmd.Output(); err == nil {
				if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > peak.Load() {
					peak.Store(n)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return peak, func() { cancel(); <-done }
}

// needDebian skips where a command of the Debian packages make deps
// installs does not run; in CI, where they are installed, it fails.
func needDebian(t *testing.T, cmds ...*exec.Cmd) {
	t.Helper()
	for _, c := range cmds {
		if err := c.Run(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s: %v (make deps installs it)", strings.Join(c.Args, " "), err)
			}
			t.Skipf("%s: %v (run make deps)", strings.Join(c.Args, " "), err)
		}
	}
}
