package scenario_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// TestDownstreams checks what a valid downstreams section gives a run:
// each entry's kind and spec, the address its connections are counted to,
// and where it is written.
func TestDownstreams(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "titan.yaml", `
base_url: http://127.0.0.1:{port}
start:
  command: [python3, -c, "pass", "{downstream.embeddings.url}"]
  env: {FIGMA: "{downstream.figma.addr}/v1", PORT: "{port}"}
downstreams:
  - name: postgres
    postgres: {dsn: "postgresql://titan@127.0.0.1/titan", statements: "COUNT|SUM"}
  - name: cache
    redis: {addr: "localhost"}
  - name: embeddings
    stub: {latency: 2s..5s, body: '{"data": []}'}
  - name: figma
    stub: {latency: 50ms, status: 429}
  - name: datastorage
    prometheus: {url: "http://127.0.0.1:9187/metrics", counter: pg_stat_database_xact_commit, labels: {datname: titan}}
    addr: "[::1]:5432"
`)
	tg, err := scenario.LoadTarget(path)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, Kind, Addr, Where string
	}
	var got []row
	for _, d := range tg.Downstreams {
		got = append(got, row{d.Name, string(d.Kind), d.Addr, d.Where[len(path):]})
	}
	want := []row{
		{"postgres", "postgres", "127.0.0.1:5432", ":7:5"},
		{"cache", "redis", "localhost:6379", ":9:5"},
		{"embeddings", "stub", "", ":11:5"},
		{"figma", "stub", "", ":13:5"},
		{"datastorage", "prometheus", "[::1]:5432", ":15:5"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("downstreams (-want +got):\n%s", diff)
	}
	if re := tg.Downstreams[0].Postgres.Statements; re == nil || !re.MatchString("SELECT COUNT(*) FROM t") || re.MatchString("SELECT 1") {
		t.Errorf("statements regex = %v, want one matching COUNT|SUM", re)
	}
	emb, fig := tg.Downstreams[2].Stub, tg.Downstreams[3].Stub
	if emb.LatencyMin != 2*time.Second || emb.LatencyMax != 5*time.Second || emb.Status != 200 || emb.Body != `{"data": []}` {
		t.Errorf("embeddings stub = %+v, want 2s..5s, status 200 by default, the body", emb)
	}
	if fig.LatencyMin != 50*time.Millisecond || fig.LatencyMax != 50*time.Millisecond || fig.Status != 429 {
		t.Errorf("figma stub = %+v, want a fixed 50ms, status 429", fig)
	}
	if p := tg.Downstreams[4].Prometheus; p.Counter != "pg_stat_database_xact_commit" || p.Labels["datname"] != "titan" {
		t.Errorf("prometheus = %+v", p)
	}

	expanded, err := tg.WithStubURLs(map[string]string{"embeddings": "http://127.0.0.1:41000", "figma": "http://127.0.0.1:41001"})
	if err != nil {
		t.Fatal(err)
	}
	if got := expanded.Start.Command[3]; got != "http://127.0.0.1:41000" {
		t.Errorf("command[3] = %q, want the embeddings stub's URL", got)
	}
	if got := expanded.Start.Env["FIGMA"]; got != "127.0.0.1:41001/v1" {
		t.Errorf("env FIGMA = %q, want the figma stub's host:port", got)
	}
	if tg.Start.Command[3] != "{downstream.embeddings.url}" {
		t.Errorf("WithStubURLs changed the target it was called on: %q", tg.Start.Command[3])
	}
	if _, err := tg.WithStubURLs(map[string]string{"figma": "http://127.0.0.1:41001"}); err == nil {
		t.Error("WithStubURLs without the embeddings URL = nil error, want one naming it")
	}
}
