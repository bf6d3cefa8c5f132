package run

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// TestLiveSnapshot checks what the abort conditions can read while the
// load runs: the HTTP figures so far, the target's CPU and memory now and
// its start-up, but nothing of the probes or the schedule, which are read
// only when the run ends.
func TestLiveSnapshot(t *testing.T) {
	t.Parallel()
	snap := live{
		http: record.Summary{Total: record.EndpointSummary{Requests: 40, Errors: 10,
			Latency: record.Percentiles{P95: record.DurationMs(250 * time.Millisecond)}}, InflightMax: 9},
		target: result.TargetInfo{Started: true, ReadyTime: 2 * time.Second},
		observed: map[string]metric.Figures{
			metric.ObservedResources: resource.Figures{CPUSustained: 95, CPUTotal: 80, CPUMeasured: true, RSSTotal: 1 << 30},
			metric.ObservedDownstreams: downstream.Figures{{Name: "db", Calls: 120, Seconds: 4, RatePerSec: 30,
				Conns: &downstream.ConnSummary{Peak: 8, MaxProcess: 4, Samples: 4}}},
		},
	}
	tests := []struct {
		name     string
		want     float64
		measured bool
	}{
		{"http.errors", 25, true},
		{"http.p95", 0.25, true},
		{"http.inflight.max", 9, true},
		{"cpu.sustained", 95, true},
		{"rss.total", 1 << 30, true},
		{"rss.max_process", 0, false},
		{"target.ready_time", 2, true},
		{"http.unsent", 0, false},
		{"ws.loss", 0, false},
		{"sse.connected", 0, false},
		// Downstreams are sampled: an abort condition reads them so far.
		{"downstream.db.rate", 30, true},
		{"downstream.db.per_request", 4, true},
		{"downstream.db.conns", 8, true},
		{"downstream.other.rate", 0, false},
	}
	m := metric.Of(snap)
	for _, tc := range tests {
		v, ok := m.Metric(tc.name)
		if ok != tc.measured || ok && v.V != tc.want {
			t.Errorf("%s = %v, measured %v; want %v, measured %v", tc.name, v.V, ok, tc.want, tc.measured)
		}
	}
	snap.observed = nil // no sampler, or no sample yet
	if v, ok := metric.Of(snap).Metric("cpu.total"); ok {
		t.Errorf("cpu.total without a sampler = %v, want not measured", v)
	}
}
