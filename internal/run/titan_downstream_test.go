package run_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// loadcheck's downstream figures of a titan run against what
// TestTitanPostgresTruth established from PostgreSQL itself: COUNT(*) per
// interval per poller, a pool of DB_POOL_SIZE connections per worker, one
// embedding call per (worker, text).
func TestTitanDownstreamFigures(t *testing.T) {
	const poolSize = 4
	dir := t.TempDir()
	sf := filepath.Join(dir, "dashboards.yaml")
	if err := os.WriteFile(sf, []byte(`name: dashboards
duration: 6s
warmup: 0s                 # the warm-up would fill the embeddings cache out of sight
http:
  timeout: 10s
  load: {rate: 4/s}
  endpoints:
    - {name: embed, path: "/api/embed?text={{.text}}", feed: {text: [root intrusion, burst pipe, no heat, sewer backup, gas smell]}}
sse: {clients: 3, path: /api/stream}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file    string
		workers int
		poll    string
		pollers int
	}{
		{"titan-1w.yaml", 1, "per-client", 3},
		{"titan-2w.yaml", 2, "per-worker", 2},
	} {
		t.Run(tc.file+"-"+tc.poll, func(t *testing.T) {
			tg, _ := titanPG(t, tc.file, map[string]string{"SSE_POLL": tc.poll, "SSE_INTERVAL_MS": "1000", "DB_POOL_SIZE": "4"})
			for i, d := range tg.Downstreams {
				if d.Stub != nil {
					st := *d.Stub
					st.LatencyMin, st.LatencyMax = 100*time.Millisecond, 100*time.Millisecond
					tg.Downstreams[i].Stub = &st
				}
			}
			sc, err := scenario.Load(sf)
			if err != nil {
				t.Fatal(err)
			}
			res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			pg, emb := summary(t, res.Downstreams, "postgres"), summary(t, res.Downstreams, "embeddings")
			counts := 0.0
			for _, e := range pg.Top {
				if strings.Contains(strings.ToLower(e.Key), "count(*) from jobs") {
					counts += e.Calls
				}
			}
			want := float64(tc.pollers) * pg.Seconds
			t.Logf("postgres: %.0f COUNT(*) in %.1f s (want %.0f ± %d), %.1f statements/s; conns %+v; embeddings: %.0f calls by pid %v",
				counts, pg.Seconds, want, tc.pollers, pg.RatePerSec, pg.Conns, emb.Calls, emb.ByPID)
			if counts < want-float64(tc.pollers)-1 || counts > want+float64(tc.pollers)+1 {
				t.Errorf("%.0f COUNT(*) in %.1f s, want %.0f ± %d", counts, pg.Seconds, want, tc.pollers+1)
			}
			// Only the processes that held a connection are listed: the
			// workers, not the launcher or PostgreSQL's own backends.
			if len(pg.Conns.ByPID) != tc.workers || pg.Conns.MaxProcess != poolSize || pg.Conns.Peak != tc.workers*poolSize {
				t.Errorf("connections by process %v (peak %d), want %d workers holding %d each", pg.Conns.ByPID, pg.Conns.Peak, tc.workers, poolSize)
			}
			if tc.workers == 1 && emb.Calls != 5 {
				t.Errorf("%.0f embedding calls at 1 worker, want 5: one per text", emb.Calls)
			}
			for pid, n := range emb.ByPID {
				if n > 5 {
					t.Errorf("worker %d made %.0f embedding calls for 5 texts", pid, n)
				}
			}
		})
	}
}

func summary(t *testing.T, ds []downstream.Summary, name string) downstream.Summary {
	t.Helper()
	for _, d := range ds {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no downstream %q in %+v", name, ds)
	return downstream.Summary{}
}
