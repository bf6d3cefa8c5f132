package downstream_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

const every = 20 * time.Millisecond

func get(t *testing.T, url string, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

// constant is a counter that never moves: a downstream watched only for
// its connections.
type constant struct{}

func (constant) Read(context.Context) (downstream.Reading, error) {
	return downstream.Reading{At: time.Now(), Total: 5, Source: "constant"}, nil
}
func (constant) Close() error { return nil }

// TestWatcherPhase counts only the calls between MeasureFrom and
// MeasureUntil, and the connections the target's processes hold during
// the phase.
func TestWatcherPhase(t *testing.T) {
	stub := serve(t, scenario.StubSpec{Status: 200})
	pool := listen(t)
	child := hold(t, pool, 2, false)
	w := downstream.NewWatcher([]downstream.Watched{
		{Name: "embeddings", Kind: scenario.DownstreamStub, Counter: stub, Addr: stub.Addr()},
		{Name: "pool", Kind: scenario.DownstreamPostgres, Counter: constant{}, Addr: pool},
	}, func() []int { return []int{child, os.Getpid()} }, every)
	ctx := context.Background()
	get(t, stub.URL()+"/before", 3)
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if s := w.Snapshot(); s[0].Calls != 0 {
		t.Errorf("before the phase, the snapshot counts %v calls, want 0", s[0].Calls)
	}
	w.MeasureFrom(ctx)
	get(t, stub.URL()+"/during", 7)
	time.Sleep(10 * every)
	w.MeasureUntil(ctx)
	get(t, stub.URL()+"/after", 4)
	time.Sleep(3 * every)

	sum := w.Summary()
	emb, p := sum[0], sum[1]
	t.Logf("phase: 3 calls before, 7 during, 4 after: counted %.0f (%v, by pid %v); child %d holds 2 connections: %+v",
		emb.Calls, emb.Top, emb.ByPID, child, *p.Conns)
	if emb.Calls != 7 || len(emb.Top) != 1 || emb.Top[0] != (downstream.Entry{Key: "/during", Calls: 7}) {
		t.Errorf("counted %v calls, top %v: want 7 of /during", emb.Calls, emb.Top)
	}
	if emb.ByPID[os.Getpid()] != 7 {
		t.Errorf("ByPID %v, want 7 for this process (%d)", emb.ByPID, os.Getpid())
	}
	if emb.Seconds < 10*every.Seconds() || emb.RatePerSec != emb.Calls/emb.Seconds || emb.Source != downstream.SourceStub {
		t.Errorf("seconds %v, rate %v, source %q", emb.Seconds, emb.RatePerSec, emb.Source)
	}
	if got := emb.PerRequest(14); got != 0.5 {
		t.Errorf("PerRequest(14) = %v, want 0.5", got)
	}
	if n := len(emb.Series); n < 2 || emb.Series[n-1].Calls != 7 {
		t.Errorf("series %v, want it to end at 7 calls", emb.Series)
	}
	c := p.Conns
	if c == nil || c.Peak != 2 || c.Mean != 2 || c.MaxProcess != 2 || c.ByPID[child] != (downstream.ProcConns{Peak: 2, Mean: 2}) || c.Samples < 2 {
		t.Errorf("conns %+v, want peak and mean 2, all from pid %d, over the phase's samples", c, child)
	}
	if p.Calls != 0 || p.Missing != "" {
		t.Errorf("pool: %+v, want no calls and nothing missing", p)
	}
	if _, err := json.Marshal(sum); err != nil {
		t.Errorf("summary is not JSON: %v", err)
	}
}

// TestWatcherDownstreamGone keeps what was measured of a downstream that
// stops mid-run, and says so.
func TestWatcherDownstreamGone(t *testing.T) {
	r := dbtest.StartRedis(t)
	c, err := downstream.Open(context.Background(), redisDownstream(r.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := downstream.NewWatcher([]downstream.Watched{{Name: "cache", Kind: scenario.DownstreamRedis, Counter: c}}, nil, every)
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	w.MeasureFrom(ctx)
	sendCommands(t, r.Addr, "SET key%d v", 12)
	for deadline := time.Now().Add(5 * time.Second); w.Snapshot()[0].Calls < 12 && time.Now().Before(deadline); {
		time.Sleep(every)
	}
	r.Stop()
	time.Sleep(5 * every)
	w.MeasureUntil(ctx)
	s := w.Summary()[0]
	t.Logf("redis stopped mid-phase after 12 commands: counted %.0f; missing: %s", s.Calls, s.Missing)
	if s.Calls != 12 {
		t.Errorf("counted %v commands, want the 12 sent before it stopped", s.Calls)
	}
	if !strings.Contains(s.Missing, "no reading since") {
		t.Errorf("missing %q, want it to say the downstream could not be read", s.Missing)
	}
}

func TestMerge(t *testing.T) {
	pg := func(calls float64) downstream.Summary {
		return downstream.Summary{Name: "postgres", Kind: "postgres", Source: "pg_stat_statements", Calls: calls, Seconds: 10, RatePerSec: calls / 10,
			Top: []downstream.Entry{{Key: "SELECT 1", Calls: calls}}}
	}
	stub := func(calls float64, pid int, conns int) downstream.Summary {
		return downstream.Summary{Name: "embeddings", Kind: "stub", Source: "stub", Calls: calls, Seconds: 10, RatePerSec: calls / 10,
			Top:   []downstream.Entry{{Key: "/v1", Calls: calls}},
			ByPID: map[int]float64{pid: calls},
			Conns: &downstream.ConnSummary{Peak: conns, Mean: float64(conns), MaxProcess: conns, ByPID: map[int]downstream.ProcConns{pid: {Peak: conns, Mean: float64(conns)}}}}
	}
	got := downstream.Merge(
		[]downstream.Summary{pg(300), stub(20, 101, 2)},
		[]downstream.Summary{pg(310), stub(30, 202, 3)},
	)
	want := []downstream.Summary{
		{Name: "postgres", Kind: "postgres", Source: "pg_stat_statements", Calls: 300, Seconds: 10, RatePerSec: 30,
			Top: []downstream.Entry{{Key: "SELECT 1", Calls: 300}}, Combined: downstream.CombinedOnce},
		{Name: "embeddings", Kind: "stub", Source: "stub", Calls: 50, Seconds: 10, RatePerSec: 5,
			Top:      []downstream.Entry{{Key: "/v1", Calls: 50}},
			ByPID:    map[int]float64{101: 20, 202: 30},
			Conns:    &downstream.ConnSummary{Peak: 5, Mean: 5, MaxProcess: 3, ByPID: map[int]downstream.ProcConns{101: {Peak: 2, Mean: 2}, 202: {Peak: 3, Mean: 3}}},
			Combined: downstream.CombinedAdded},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
}
