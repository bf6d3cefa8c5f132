package merge

import (
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// shard is shard k of 2 that recorded n hits of latency lat, its gates
// judged on its own share.
func shard(t *testing.T, k int, n int, lat time.Duration, status result.Status) Shard {
	t.Helper()
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	rec := record.New([]string{"a"})
	rec.Begin(start)
	for i := range n {
		at := start.Add(time.Duration(i) * 10 * time.Millisecond)
		rec.Record(&record.Hit{Endpoint: 0, Intended: at, Sent: at, Latency: lat, Code: 200})
	}
	r := &result.Result{
		Schema: result.Schema, RunID: "shard", Scenario: result.ScenarioInfo{Name: "s"}, Status: status,
		Shard:     &result.ShardInfo{Index: k, Count: 2, Set: "0a1b2c3d", Start: start},
		HTTP:      rec.Close(start.Add(10 * time.Second)),
		Generator: result.Generator{Scheduled: uint64(n), Sent: uint64(n), Late: uint64(k)},
	}
	g, err := metric.ParseGate("http.p95 < 100ms")
	if err != nil {
		t.Fatal(err)
	}
	r.Gates, r.Pass = gate.EvalAll([]gate.Gate{g}, r)
	return Shard{File: "s" + string(rune('0'+k)) + ".json", Result: r}
}

// Each shard's own gate holds or fails on its share; the merged result's
// gate is judged on every request: one slow shard of equal size makes the
// run's p95 slow.
func TestGatesJudgedOnTheMergedResult(t *testing.T) {
	fast, slow := shard(t, 1, 100, 20*time.Millisecond, result.Complete), shard(t, 2, 100, 300*time.Millisecond, result.Complete)
	if !fast.Result.Pass {
		t.Fatal("the fast shard's own gate should hold")
	}
	m, err := Results([]Shard{slow, fast})
	if err != nil {
		t.Fatal(err)
	}
	if m.Pass || len(m.Gates) != 1 || m.Gates[0].Pass {
		t.Errorf("merged pass %t gates %+v: want http.p95 < 100ms to fail on the merged requests", m.Pass, m.Gates)
	}
	if m.HTTP.Total.Requests != 200 || m.Generator.Sent != 200 || m.Generator.Late != 3 {
		t.Errorf("requests %d sent %d late %d, want 200, 200, 3", m.HTTP.Total.Requests, m.Generator.Sent, m.Generator.Late)
	}
	if len(m.Shards) != 2 || m.Shards[0].Index != 1 || m.Shards[1].Late != 2 {
		t.Errorf("shards %+v: want 1 and 2 in order with their late counts", m.Shards)
	}
	if m.Shard != nil {
		t.Error("a merged result is not a shard")
	}
}

// The merged result is named as one run's result is, by the shards' start
// and their set, so that every shard set merges to the same id and it sorts
// among single runs by when it started.
func TestMergedRunID(t *testing.T) {
	m, err := Results([]Shard{shard(t, 1, 10, time.Millisecond, result.Complete), shard(t, 2, 10, time.Millisecond, result.Complete)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "20261201T150000Z-0a1b2c3d"; m.RunID != want {
		t.Errorf("RunID = %q, want %q", m.RunID, want)
	}
}

// A shard cut short makes the merged result partial: it cannot pass.
func TestPartialShardFailsTheRun(t *testing.T) {
	a, b := shard(t, 1, 100, 20*time.Millisecond, result.Complete), shard(t, 2, 50, 20*time.Millisecond, result.Aborted)
	b.Result.Reason = "abort: http.errors > 50%"
	m, err := Results([]Shard{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != result.Aborted || m.Pass || !strings.Contains(m.Reason, "shard 2/2: abort") {
		t.Errorf("status %s pass %t reason %q: want aborted, failing, the shard named", m.Status, m.Pass, m.Reason)
	}
}

// The observers' summaries merge as their kind says, and the merged
// result says how: SSE clients add up, CPU and memory are one shard's.
func TestObservationsMergeAndSayHow(t *testing.T) {
	a, b := shard(t, 1, 10, time.Millisecond, result.Complete), shard(t, 2, 10, time.Millisecond, result.Complete)
	a.Result.SSE = &probe.SSESummary{Clients: 2, Connected: 2, Events: 40}
	b.Result.SSE = &probe.SSESummary{Clients: 1, Connected: 1, Events: 25}
	b.Result.Resources = &resource.Summary{CPUSustained: 42}
	m, err := Results([]Shard{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.SSE == nil || m.SSE.Clients != 3 || m.SSE.Events != 65 {
		t.Errorf("merged SSE %+v, want 3 clients and 65 events", m.SSE)
	}
	if m.Resources == nil || m.Resources.CPUSustained != 42 {
		t.Errorf("merged resources %+v, want shard 2's", m.Resources)
	}
	want := []string{
		"resources: shard 2/2's samples (every shard samples the same target)",
		"sse: the clients of 2 shards added up",
	}
	if strings.Join(m.Merged, "\n") != strings.Join(want, "\n") {
		t.Errorf("merged notes %q, want %q", m.Merged, want)
	}
}

// A global counter (postgres) counts every shard's calls already: the
// merged result takes one shard's reading. Each shard serves its own stub:
// their calls add up. The result says which it did for each.
func TestDownstreamsMergeAndSayHow(t *testing.T) {
	a, b := shard(t, 1, 10, time.Millisecond, result.Complete), shard(t, 2, 10, time.Millisecond, result.Complete)
	a.Result.Downstreams = []downstream.Summary{{Name: "db", Kind: "postgres", Calls: 600, Seconds: 10, RatePerSec: 60},
		{Name: "embed", Kind: "stub", Calls: 30, Seconds: 10, RatePerSec: 3}}
	b.Result.Downstreams = []downstream.Summary{{Name: "db", Kind: "postgres", Calls: 600, Seconds: 10, RatePerSec: 60},
		{Name: "embed", Kind: "stub", Calls: 20, Seconds: 10, RatePerSec: 2}}
	m, err := Results([]Shard{b, a})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Metric("downstream.db.calls"); !ok || v.V != 600 {
		t.Errorf("merged db calls %+v, want 600: one reading of the global counter", v)
	}
	if v, ok := m.Metric("downstream.embed.calls"); !ok || v.V != 50 {
		t.Errorf("merged embed calls %+v, want 50: the shards' stubs added", v)
	}
	// 50 stub calls over the 20 successful responses of both shards.
	if v, ok := m.Metric("downstream.embed.per_request"); !ok || v.V != 2.5 {
		t.Errorf("merged embed per_request %+v, want 2.5", v)
	}
	note := strings.Join(m.Merged, "\n")
	if !strings.Contains(note, "downstreams: db "+downstream.CombinedOnce) || !strings.Contains(note, "embed "+downstream.CombinedAdded) {
		t.Errorf("merged notes %q: want how db and embed were combined", m.Merged)
	}
}
