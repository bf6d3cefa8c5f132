package record

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// Hits split across 3 shard recorders, merged, give what one recorder of
// every hit gives: the same counts, codes, error kinds and percentiles,
// and timeline rows that add up second by second, the shards' starts
// differing by whole seconds.
func TestMergeMatchesOneRecorder(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	names := []string{"list", "get"}
	whole := New(names)
	whole.Begin(t0)
	const shards = 3
	parts := make([]*Recorder, shards)
	for k := range parts {
		parts[k] = New(names)
		parts[k].Begin(t0.Add(time.Duration(k) * time.Second))
	}
	for i := range 3000 {
		h := Hit{
			Endpoint: i % 2,
			Intended: t0.Add(time.Duration(i) * 3 * time.Millisecond),
			Latency:  time.Duration(1+i%97) * time.Millisecond,
			Code:     200,
			BytesIn:  10,
		}
		h.Sent = h.Intended.Add(time.Duration(i%13) * time.Millisecond)
		if i%50 == 0 {
			h.Code, h.Err = 503, "503 Service Unavailable"
		}
		if i%77 == 0 {
			h.Code, h.Err = 0, "dial tcp: connection refused"
		}
		whole.Record(&h)
		k := i % shards
		if h.Sent.Add(h.Latency).Before(t0.Add(time.Duration(k) * time.Second)) {
			k = 0 // a shard that began later has no hit before its start
		}
		parts[k].Record(&h)
	}
	end := t0.Add(10 * time.Second)
	want := whole.Close(end)
	var sums []Summary
	for _, p := range parts {
		sums = append(sums, p.Close(end))
	}
	got, err := Merge(sums)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Start.Equal(want.Start) || got.Elapsed != want.Elapsed {
		t.Errorf("window %v + %v, want %v + %v", got.Start, got.Elapsed, want.Start, want.Elapsed)
	}
	for i, w := range append([]EndpointSummary{want.Total}, want.Endpoints...) {
		g := got.Total
		if i > 0 {
			g = got.Endpoints[i-1]
		}
		if g.Name != w.Name || g.Requests != w.Requests || g.Errors != w.Errors || g.Late != w.Late || g.BytesIn != w.BytesIn {
			t.Errorf("%s: requests %d errors %d late %d bytes %d, want %d %d %d %d", w.Name, g.Requests, g.Errors, g.Late, g.BytesIn, w.Requests, w.Errors, w.Late, w.BytesIn)
		}
		if g.Latency != w.Latency || g.Service != w.Service || g.ErrorLatency != w.ErrorLatency {
			t.Errorf("%s: latency %+v service %+v errors %+v, want %+v %+v %+v", w.Name, g.Latency, g.Service, g.ErrorLatency, w.Latency, w.Service, w.ErrorLatency)
		}
		if math.Abs(g.Achieved-w.Achieved) > 1e-9 || g.AfterPhase != w.AfterPhase {
			t.Errorf("%s: achieved %v/s, %d after the phase, want %v/s, %d", w.Name, g.Achieved, g.AfterPhase, w.Achieved, w.AfterPhase)
		}
		if !reflect.DeepEqual(g.Codes, w.Codes) || !reflect.DeepEqual(kindsOf(g.ErrorKinds), kindsOf(w.ErrorKinds)) {
			t.Errorf("%s: codes %v kinds %v, want %v %v", w.Name, g.Codes, g.ErrorKinds, w.Codes, w.ErrorKinds)
		}
		if g.Rate != w.Rate {
			t.Errorf("%s: rate %v, want %v", w.Name, g.Rate, w.Rate)
		}
		if len(g.Timeline) != len(w.Timeline) {
			t.Fatalf("%s: %d timeline rows, want %d", w.Name, len(g.Timeline), len(w.Timeline))
		}
		// A recorder files a hit under the second it is recorded in when
		// that row has already closed, so rows of differently ordered
		// recorders differ by the odd hit at a boundary; their sum does not.
		var gs, ws uint64
		for j := range w.Timeline {
			gr, wr := g.Timeline[j], w.Timeline[j]
			gs, ws = gs+gr.Requests, ws+wr.Requests
			if gr.T != wr.T || gr.Requests > wr.Requests+3 || wr.Requests > gr.Requests+3 {
				t.Errorf("%s: row %d = %+v, want %+v", w.Name, j, gr, wr)
			}
		}
		if gs != ws || gs != w.Requests {
			t.Errorf("%s: timeline rows add up to %d, want %d", w.Name, gs, w.Requests)
		}
	}
}

func kindsOf(ks []ErrorCount) map[string]uint64 {
	m := map[string]uint64{}
	for _, k := range ks {
		m[k.Kind] = k.Count
	}
	return m
}

func TestMergeRefusesSummaryWithoutHistograms(t *testing.T) {
	t.Parallel()
	s := Summary{Start: time.Unix(1, 0), Elapsed: time.Second, Total: EndpointSummary{Name: "all", Requests: 5}}
	if _, err := Merge([]Summary{s}); err == nil {
		t.Error("Merge accepted requests without histograms: the merged percentiles would be wrong")
	}
}
