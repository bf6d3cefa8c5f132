package downstream_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// serviceScript is a stand-in for a target: it holds a pool of POOL
// connections to PostgreSQL, and on "go" runs K statements over them, M
// calls to the stub whose URL its command line got from the placeholder
// and R Redis commands, then says "done".
const serviceScript = `
import socket, sys, urllib.request, psycopg2
dsn, stub, redis_port, pool, k, m, r = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
conns = [psycopg2.connect(dsn) for _ in range(pool)]
for c in conns:
    c.autocommit = True
red = socket.create_connection(("127.0.0.1", redis_port))
print("ready", flush=True)
sys.stdin.readline()
for i in range(k):
    with conns[i % pool].cursor() as cur:
        cur.execute("SELECT count(*) FROM items WHERE id < %s", (i,))
        cur.fetchall()
for i in range(m):
    urllib.request.urlopen(stub + "/v1/embeddings").read()
for i in range(r):
    red.sendall(b"INCR hits\r\n")
    red.recv(64)
print("done", flush=True)
sys.stdin.readline()
`

// TestOpenAll reads a target file's downstreams, serves its stub, expands
// the placeholder in its command, and watches a python3 service doing
// known work: its statements, stub calls, Redis commands and pooled
// connections are what the Watcher reports.
func TestOpenAll(t *testing.T) {
	pg := dbtest.StartPostgres(t)
	pg.Psql(t, "titan", "CREATE TABLE items (id int)")
	rd := dbtest.StartRedis(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "service.yaml")
	writeTarget(t, file, fmt.Sprintf(`base_url: http://127.0.0.1:{port}
start:
  command: [python3, -c, "pass", "{downstream.embeddings.url}"]
  env: {PORT: "{port}"}
downstreams:
  - name: postgres
    postgres: {dsn: %q, statements: "FROM items"}
  - name: cache
    redis: {addr: %q}
  - name: embeddings
    stub: {latency: 5ms}
`, pg.DSN("titan"), rd.Addr))
	tg, err := scenario.LoadTarget(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	set, err := downstream.OpenAll(ctx, tg.Downstreams)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	started, err := tg.WithStubURLs(set.StubURLs())
	if err != nil {
		t.Fatal(err)
	}
	const pool, k, m, r = 3, 60, 25, 40
	_, redisPort, _ := net.SplitHostPort(rd.Addr)
	svc := startService(t, pg.DSN("titan"), started.Start.Command[3], redisPort, pool, k, m, r)
	w := downstream.NewWatcher(set.Watched, func() []int { return []int{svc.pid} }, 20*time.Millisecond)
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	w.MeasureFrom(ctx)
	svc.step(t, "done")
	time.Sleep(100 * time.Millisecond)
	w.MeasureUntil(ctx)
	for _, s := range w.Summary() {
		t.Logf("%s (%s): %.0f calls, %.1f/s, conns %+v, by pid %v, top %v", s.Name, s.Source, s.Calls, s.RatePerSec, s.Conns, s.ByPID, s.Top)
	}
	sum := w.Summary()
	pgs, cache, emb := sum[0], sum[1], sum[2]
	if pgs.Calls != k || pgs.Conns.Peak != pool || pgs.Conns.ByPID[svc.pid].Peak != pool || pgs.Conns.MaxProcess != pool {
		t.Errorf("postgres: %.0f statements, conns %+v; want %d statements over %d connections of pid %d", pgs.Calls, pgs.Conns, k, pool, svc.pid)
	}
	if cache.Calls != r || cache.Conns.ByPID[svc.pid].Peak != 1 {
		t.Errorf("redis: %.0f commands, conns %+v; want %d over 1 connection", cache.Calls, cache.Conns, r)
	}
	if emb.Calls != m || emb.ByPID[svc.pid] != m {
		t.Errorf("stub: %.0f calls, by pid %v; want %d from pid %d", emb.Calls, emb.ByPID, m, svc.pid)
	}
}

func writeTarget(t *testing.T, file, text string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
