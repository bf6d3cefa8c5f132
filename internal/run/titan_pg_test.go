package run_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/target"
)

// These tests start titan on its private PostgreSQL, as its target files
// do, and read the truth from PostgreSQL itself (psql on
// pg_stat_statements and pg_stat_activity), from the embeddings upstream
// they serve, and from the worker pid on each response — not from titan's
// own accounting nor from loadcheck's.

// titanPG loads targets/<file> with its own ports (ownPorts) and env
// added; it returns the target and its PostgreSQL port.
func titanPG(t *testing.T, file string, env map[string]string) (*scenario.Target, int) {
	t.Helper()
	needTitan(t)
	tg, err := scenario.LoadTarget("../../targets/" + file)
	if err != nil {
		t.Fatal(err)
	}
	port := ownPorts(t, tg)
	if port == 0 {
		t.Fatalf("%s: no --postgres PORT in %v", file, tg.Start.Command)
	}
	if tg.Start.Env == nil {
		tg.Start.Env = map[string]string{}
	}
	for k, v := range env {
		tg.Start.Env[k] = v
	}
	return tg, port
}

// ownPorts moves a titan target's PostgreSQL (--postgres) and Redis
// (--redis-port) to free ports, and its downstreams with them: the
// files' fixed ports may be taken by another run on this machine. It
// returns the PostgreSQL port, 0 when the target starts none.
func ownPorts(t *testing.T, tg *scenario.Target) (pgPort int) {
	t.Helper()
	if tg.Start == nil {
		return 0
	}
	cmd := append([]string{}, tg.Start.Command...)
	for i := 0; i+1 < len(cmd); i++ {
		switch cmd[i] {
		case "--postgres":
			pgPort = freePort(t)
			cmd[i+1] = strconv.Itoa(pgPort)
		case "--redis-port":
			port := freePort(t)
			cmd[i+1] = strconv.Itoa(port)
			for j, d := range tg.Downstreams {
				if d.Redis != nil {
					tg.Downstreams[j].Redis = &scenario.RedisSpec{Addr: fmt.Sprintf("127.0.0.1:%d", port)}
					tg.Downstreams[j].Addr = tg.Downstreams[j].Redis.Addr
				}
			}
		}
	}
	tg.Start.Command = cmd
	for j, d := range tg.Downstreams { // count the statements of this cluster, not the file's
		if d.Postgres != nil && pgPort != 0 {
			pg := *d.Postgres
			pg.DSN = fmt.Sprintf("postgresql://titan@127.0.0.1:%d/titan", pgPort)
			tg.Downstreams[j].Postgres, tg.Downstreams[j].Addr = &pg, fmt.Sprintf("127.0.0.1:%d", pgPort)
		}
	}
	return pgPort
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func freePort(t *testing.T) int { return dbtest.FreePort(t) }

// startTitanPG starts the target as loadcheck does and stops it, leaving
// nothing, when the test ends.
func startTitanPG(t *testing.T, tg *scenario.Target) *target.Running {
	t.Helper()
	r, err := target.Start(context.Background(), tg, target.Options{})
	if err != nil {
		t.Fatalf("start %s: %v", tg.Name, err)
	}
	t.Cleanup(func() {
		if err := r.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return r
}

// psql runs one statement against the run's database and returns its
// unaligned output.
func psql(t *testing.T, port int, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "psql", "-X", "-At", "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-U", "titan", "-d", "titan", "-c", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v: %s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// calls is the number of times statements like pattern have run, from
// pg_stat_statements.
func calls(t *testing.T, port int, pattern string) int {
	t.Helper()
	n, err := strconv.Atoi(psql(t, port, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '"+pattern+"'"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// connsPerWorker counts the client connections to the database, per
// worker (titan names each worker's connections titan-PID).
func connsPerWorker(t *testing.T, port int) map[string]int {
	t.Helper()
	out := psql(t, port, "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = 'titan' "+
		"AND backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1")
	m := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		name, n, ok := strings.Cut(l, "|")
		if !ok {
			continue
		}
		m[name], _ = strconv.Atoi(n)
	}
	return m
}

// openSSE holds n SSE streams, each on its own connection, until the test
// ends; it returns once each has its first event.
func openSSE(t *testing.T, base string, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	first := make(chan error, n)
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/stream", nil)
		tr := &http.Transport{DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			got := false
			for sc.Scan() {
				if !got && strings.HasPrefix(sc.Text(), "data:") {
					got = true
					first <- nil
				}
			}
			if !got {
				first <- errors.New("stream ended before its first event")
			}
		}()
	}
	for range n {
		select {
		case err := <-first:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no SSE event within 10s")
		}
	}
}

// embeddingsStub is the upstream titan embeds through: it counts the
// calls it receives and answers after latency.
func embeddingsStub(t *testing.T, latency time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(latency)
		w.Write([]byte(`{"data":[{"embedding":[0.1,0.2]}]}`))
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// embedAll sends each text rounds times to /api/embed, one request
// at a time (concurrent misses of one text would each call upstream), each
// on a new connection so that every worker gets some, and returns the
// distinct (worker pid, text) pairs: with a per-process cache, the
// embedding calls there must be.
func embedAll(t *testing.T, base string, texts []string, rounds int) (requests, pairs int) {
	t.Helper()
	seen := map[string]bool{}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
	for range rounds {
		for _, text := range texts {
			resp, err := c.Get(base + "/api/embed?text=" + strings.ReplaceAll(text, " ", "+"))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("embed %q: %s", text, resp.Status)
			}
			seen[resp.Header.Get("X-Worker-Pid")+"|"+text] = true
			requests++
		}
	}
	return requests, len(seen)
}

// SSE polls, database connections and embedding calls of titan on
// PostgreSQL at 1 and 2 workers, in each SSE_POLL mode, against the truth:
// per-worker polling runs one COUNT(*) and one SUM per worker per interval
// whatever the dashboards; per-client one per dashboard, whatever the
// workers. Every worker holds its own pool of DB_POOL_SIZE connections;
// every worker pays its own embedding calls for the same texts.
//
// loadcheck's downstream figures (downstream.postgres.rate, .conns,
// downstream.embeddings.per_request) are not yet wired into runs on this
// branch: this test holds titan's behaviour to the truth they must show.
func TestTitanPostgresTruth(t *testing.T) {
	const (
		dashboards = 3
		interval   = time.Second // the analysis' 3 s, shortened: the count scales with it
		window     = 6 * time.Second
		poolSize   = 4
	)
	stub, stubCalls := embeddingsStub(t, 200*time.Millisecond)
	for _, tc := range []struct {
		file    string
		workers int
		poll    string
		pollers int // COUNT(*) statements per interval
	}{
		{"titan-1w.yaml", 1, "per-worker", 1},
		{"titan-1w.yaml", 1, "per-client", dashboards},
		{"titan-2w.yaml", 2, "per-worker", 2},
		{"titan-2w.yaml", 2, "per-client", dashboards},
	} {
		t.Run(fmt.Sprintf("%dw-%s", tc.workers, tc.poll), func(t *testing.T) {
			tg, pgPort := titanPG(t, tc.file, map[string]string{
				"SSE_POLL": tc.poll, "SSE_INTERVAL_MS": strconv.Itoa(int(interval / time.Millisecond)),
				"DB_POOL_SIZE": strconv.Itoa(poolSize), "EMBEDDINGS_URL": stub.URL,
			})
			r := startTitanPG(t, tg)
			openSSE(t, r.BaseURL(), dashboards)

			const countSQL = "SELECT count(*) FROM jobs%"
			const sumSQL = "SELECT coalesce(sum(revenue)%"
			c0, s0 := calls(t, pgPort, countSQL), calls(t, pgPort, sumSQL)
			time.Sleep(window)
			c1, s1 := calls(t, pgPort, countSQL), calls(t, pgPort, sumSQL)
			counts, sums := c1-c0, s1-s0
			want := tc.pollers * int(window/interval)
			perMinute3s := float64(counts) / window.Seconds() * interval.Seconds() * 20
			t.Logf("%d COUNT(*) and %d SUM in %s (want %d ± %d): %.0f polls/min at a 3 s interval", counts, sums, window, want, tc.pollers, perMinute3s)
			if counts < want-tc.pollers || counts > want+tc.pollers || sums < want-tc.pollers || sums > want+tc.pollers {
				t.Errorf("%d COUNT(*) and %d SUM in %s, want %d ± %d each: %d poller(s) every %s", counts, sums, window, want, tc.pollers, tc.pollers, interval)
			}

			conns := connsPerWorker(t, pgPort)
			if len(conns) != tc.workers {
				t.Errorf("connections from %d workers %v, want %d", len(conns), conns, tc.workers)
			}
			for w, n := range conns {
				if n != poolSize {
					t.Errorf("%s holds %d connections, want its pool's %d", w, n, poolSize)
				}
			}

			before := stubCalls.Load()
			requests, pairs := embedAll(t, r.BaseURL(), []string{"root intrusion", "burst pipe", "no heat", "sewer backup", "gas smell"}, 4)
			got := int(stubCalls.Load() - before)
			t.Logf("%d embedding calls for %d requests (%.2f per request); %d (worker, text) pairs", got, requests, float64(got)/float64(requests), pairs)
			if got != pairs {
				t.Errorf("%d embedding calls, want one per (worker, text) pair: %d", got, pairs)
			}
			if tc.workers == 1 && got != 5 {
				t.Errorf("1 worker: %d embedding calls for 5 texts, want 5", got)
			}
		})
	}
}

// A blocking driver called from the async handler stalls every other
// request of the worker: at the same load, /api/health's p95 is at least
// 5× higher with SEARCH_DB=psycopg2 than with asyncpg. The mix is a fixed
// round robin at a constant rate, so each health check arrives 25, 50 and
// 75 ms after a search: every search (a full scan, 40 ms or more even on
// an idle machine) holds the first of them, whatever the machine's speed.
func TestTitanBlockingDriverStalls(t *testing.T) {
	dir := t.TempDir()
	sf := filepath.Join(dir, "stall.yaml")
	if err := os.WriteFile(sf, []byte(`name: stall
duration: 6s
warmup: 1s
http:
  timeout: 10s
  load: {rate: 40/s}
  endpoints:
    - {name: search, path: "/api/zeus/search?q={{.term}}", feed: {term: [sewer camera, drain cleaning, water heater]}}
    - {name: health, path: /api/health, weight: 3}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p95 := map[string]time.Duration{}
	for _, driver := range []string{"asyncpg", "psycopg2"} {
		tg, _ := titanPG(t, "titan-1w.yaml", map[string]string{"SEARCH_DB": driver})
		sc, err := scenario.Load(sf)
		if err != nil {
			t.Fatal(err)
		}
		res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
		if err != nil {
			t.Fatalf("%s: %v", driver, err)
		}
		for _, e := range res.HTTP.Endpoints {
			if e.Errors > 0 {
				t.Errorf("%s: %s had %d errors", driver, e.Name, e.Errors)
			}
			t.Logf("%s: %s p50 %v p95 %v (%d requests)", driver, e.Name, e.Latency.P50.Duration(), e.Latency.P95.Duration(), e.Requests)
			if e.Name == "health" {
				p95[driver] = e.Latency.P95.Duration()
			}
		}
		assertGone(t, res)
	}
	if p95["psycopg2"] < 5*p95["asyncpg"] {
		t.Errorf("health p95 %v with psycopg2, %v with asyncpg: want the blocking driver's at least 5×", p95["psycopg2"], p95["asyncpg"])
	}
}

// PostgreSQL missing or its port taken: the target does not start, says
// what to install or change, and leaves nothing running.
func TestTitanPostgresBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := busy.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name string
		edit func(*scenario.Target)
		want string
	}{
		{"postgres missing", func(tg *scenario.Target) { tg.Start.Env["TITAN_PG_BIN"] = "/nonexistent" }, "apt-get install postgresql postgresql-contrib"},
		{"port taken", func(tg *scenario.Target) {
			i := indexOf(tg.Start.Command, "--postgres")
			tg.Start.Command[i+1] = strconv.Itoa(taken)
		}, fmt.Sprintf("PostgreSQL's port 127.0.0.1:%d is taken", taken)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, _ := titanPG(t, "titan-1w.yaml", nil)
			tc.edit(tg)
			pgPort := tg.Start.Command[indexOf(tg.Start.Command, "--postgres")+1]
			r, err := target.Start(context.Background(), tg, target.Options{})
			if err == nil {
				r.Stop(context.Background())
				t.Fatal("started")
			}
			if !errors.Is(err, target.ErrStart) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "exit status 2") {
				t.Errorf("error %q: want a start error with exit status 2 that says %q", err, tc.want)
			}
			if out, _ := exec.Command("pgrep", "-f", "--", "--postgres "+pgPort).Output(); len(out) > 0 {
				t.Errorf("a launcher of this target is still running: pids %s", out)
			}
			if out, _ := exec.Command("pgrep", "-f", "--", "-p "+pgPort+" -k").Output(); len(out) > 0 {
				t.Errorf("a PostgreSQL of this target is still running: pids %s", out)
			}
		})
	}
}

// The claim scenarios and their targets load, and every titan target file
// (shipped or a claim's) has a PostgreSQL port of its own: two of them
// sharing one could not run at the same time, and a downstream dsn would
// count the other's statements.
func TestTitanTargetFilesOwnTheirPostgresPort(t *testing.T) {
	scenarios, _ := filepath.Glob("../../scenarios/claims/*.yaml")
	if len(scenarios) == 0 {
		t.Fatal("no claim scenarios")
	}
	for _, f := range scenarios {
		if _, err := scenario.Load(f); err != nil {
			t.Error(err)
		}
	}
	shipped, _ := filepath.Glob("../../targets/titan-*.yaml")
	claims, _ := filepath.Glob("../../scenarios/claims/targets/*.yaml")
	owner := map[string]string{}
	for _, f := range append(shipped, claims...) {
		tg, err := scenario.LoadTarget(f)
		if err != nil {
			t.Error(err)
			continue
		}
		i := indexOf(tg.Start.Command, "--postgres")
		if i < 0 || i+1 >= len(tg.Start.Command) {
			t.Errorf("%s: starts no PostgreSQL (launch.py --postgres PORT)", f)
			continue
		}
		port := tg.Start.Command[i+1]
		if other, ok := owner[port]; ok {
			t.Errorf("%s and %s both use PostgreSQL port %s", other, f, port)
		}
		owner[port] = f
	}
}
