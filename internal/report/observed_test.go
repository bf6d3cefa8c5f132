package report

import (
	"math"
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

// TestObservedMetrics holds the observers' readers to the catalogue: every
// metric of an observer is read from a result's summary of that kind, with
// its value, in the catalogue's kind, and is not measured in a result
// without the summary.
func TestObservedMetrics(t *testing.T) {
	t.Parallel()
	r := &result.Result{
		WebSocket: &probe.WSSummary{Connected: 6, Expected: 60, Delivered: 55, Loss: 8.3, Dup: 1.5,
			Delivery: record.Percentiles{P95: msv(43)}},
		SSE: &probe.SSESummary{Connected: 3, Events: 12, GapMax: msv(900)},
		Resources: &resource.Summary{CPUSustained: 97, CPUTotal: 61, RSSTotal: 300 << 20, RSSMaxProcess: 120 << 20,
			Timeline: []resource.Sample{{T: time.Second}}},
		Downstreams: []downstream.Summary{{Name: "cache", Calls: 5, Seconds: 10, RatePerSec: 0.5},
			{Name: "postgres", Calls: 900, Seconds: 10, RatePerSec: 90,
				Conns: &downstream.ConnSummary{Peak: 8, MaxProcess: 4, Samples: 10}}},
	}
	want := map[string]float64{
		"ws.loss": 8.3, "ws.dup": 1.5, "ws.delivery.p95": 0.043, "ws.connected": 6,
		"sse.gap.max": 0.9, "sse.connected": 3,
		"cpu.sustained": 97, "cpu.total": 61, "rss.total": 300 << 20, "rss.max_process": 120 << 20,
		"downstream.postgres.calls": 900, "downstream.postgres.rate": 90,
		"downstream.postgres.conns": 8, "downstream.postgres.conns.max_process": 4,
	}
	for _, m := range metric.All() {
		if m.Observer == "" {
			continue
		}
		name := m.For("postgres")
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expected value in this test: add one", name)
			continue
		}
		got, measured := r.Metric(name)
		if !measured || got.Kind != m.Kind || math.Abs(got.V-w) > 1e-9 {
			t.Errorf("%s = %+v, measured %v; want %v %v, measured", name, got, measured, w, m.Kind)
		}
		if v, ok := (&result.Result{}).Metric(name); ok {
			t.Errorf("%s of a result without a %s summary = %+v, want not measured", name, m.Observer, v)
		}
	}
	// Loss and delivery mean nothing until a delivery was expected; CPU
	// nothing until a sample.
	quiet := &result.Result{WebSocket: &probe.WSSummary{Connected: 6}, Resources: &resource.Summary{RSSTotal: 1}}
	for _, name := range []string{"ws.loss", "ws.dup", "ws.delivery.p95", "cpu.sustained", "cpu.total", "rss.max_process"} {
		if v, ok := quiet.Metric(name); ok {
			t.Errorf("%s with nothing expected or sampled = %+v, want not measured", name, v)
		}
	}
	if v, ok := quiet.Metric("ws.connected"); !ok || v != (gate.Value{V: 6, Kind: gate.Count}) {
		t.Errorf("ws.connected = %+v, %v; want 6, measured", v, ok)
	}
	// A downstream without an address has no connections; one the result
	// does not have is not measured.
	for _, name := range []string{"downstream.cache.conns", "downstream.cache.conns.max_process", "downstream.nosuch.rate"} {
		if v, ok := r.Metric(name); ok {
			t.Errorf("%s = %+v, want not measured", name, v)
		}
	}
	if v, ok := r.Metric("downstream.cache.rate"); !ok || v.V != 0.5 {
		t.Errorf("downstream.cache.rate = %+v, %v; want 0.5/s", v, ok)
	}
}
