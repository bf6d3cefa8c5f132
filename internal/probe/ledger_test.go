package probe

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/probe/probetest"
	"github.com/loadcheck/loadcheck/internal/record"
)

// Boards split across 3 shards, the broadcaster in the first, against a
// target that skips every 4th broadcast: the merged loss is the target's
// 25 %, as one process holding every board would measure, and every board
// of every shard is accounted.
func TestMergeWSShardsSkipEvery4th(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&probetest.Hub{SkipEvery: 4})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const shards = 3
	cfg := wsConfig()
	cfg.Boards = 2 // per shard: 6 in all
	d := time.Duration(testEvents) * time.Second / testRate
	sums := make([]Shard[WSSummary], shards)
	// Every shard's boards are up before the broadcaster starts, as the
	// shards' common start time makes them in a sharded run.
	probes := make([]*WS, shards)
	for k := 1; k <= shards; k++ {
		ws, err := StartShardWS(ctx, srv.URL, cfg, clientaddr.Plan{}, nil, "0a1b2c3d")
		if err != nil {
			t.Fatalf("shard %d: StartShardWS: %v", k, err)
		}
		probes[k-1] = ws
	}
	var wg sync.WaitGroup
	for k, ws := range probes {
		k++
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if k == 1 {
				err = ws.Broadcast(ctx, d)
			} else {
				err = ws.Follow(ctx, 0, d)
			}
			if err != nil {
				t.Errorf("shard %d: %v", k, err)
			}
			s := ws.Close(ctx)
			// Through JSON, as loadcheck merge reads it.
			b, _ := json.Marshal(s)
			var back WSSummary
			if err := json.Unmarshal(b, &back); err != nil {
				t.Errorf("shard %d: %v", k, err)
			}
			sums[k-1] = Shard[WSSummary]{Index: k, Count: shards, Summary: &back}
		}()
	}
	wg.Wait()
	m, err := MergeWS(sums)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boards %d sent %d acked %d expected %d delivered %d loss %.2f%% delivery p95 %v",
		m.Boards, m.Sent, m.Acked, m.Expected, m.Delivered, m.Loss, m.Delivery.P95.Duration())
	if m.Boards != 6 || len(m.PerBoard) != 6 || m.Sent != testEvents || m.Acked != testEvents {
		t.Errorf("boards %d (%d accounted), sent %d, acked %d; want 6, 6, %d, %d", m.Boards, len(m.PerBoard), m.Sent, m.Acked, testEvents, testEvents)
	}
	if m.Expected != 6*testEvents {
		t.Errorf("expected %d (board, event) pairs, want %d: every board of every shard for every event", m.Expected, 6*testEvents)
	}
	if math.Abs(m.Loss-25) > 1 {
		t.Errorf("merged loss %.2f%%, want 25 ± 1", m.Loss)
	}
	for i, b := range m.PerBoard {
		if b.ID != i {
			t.Errorf("board %d has id %d, want ids 0..5 once each", i, b.ID)
		}
		if math.Abs(b.Ratio-0.75) > 0.02 {
			t.Errorf("board %d delivered %.2f of its events, want 0.75", b.ID, b.Ratio)
		}
	}
	if n := timed(t, m.DeliveryHist); m.Delivery.P95.Duration() <= 0 || n != m.Delivered {
		t.Errorf("delivery p95 %v from %d timed deliveries, want every one of %d timed", m.Delivery.P95.Duration(), n, m.Delivered)
	}
}

// timed returns the number of deliveries in an encoded histogram.
func timed(t *testing.T, enc string) int64 {
	h, err := record.DecodeHistogram(enc)
	if err != nil {
		t.Fatal(err)
	}
	return h.Count()
}

// A shard set with two broadcasters is refused.
func TestMergeWSRefusesTwoBroadcasters(t *testing.T) {
	t.Parallel()
	l := &Ledger{Events: [][2]int64{{1, 2}}}
	parts := []Shard[WSSummary]{
		{Index: 1, Count: 2, Summary: &WSSummary{Sent: 1, Ledger: l}},
		{Index: 2, Count: 2, Summary: &WSSummary{Sent: 1, Ledger: l}},
	}
	if _, err := MergeWS(parts); err == nil {
		t.Error("MergeWS accepted two shards that both broadcast")
	}
}

func TestStartShardWSChecksPrefix(t *testing.T) {
	t.Parallel()
	if _, err := StartShardWS(context.Background(), "http://127.0.0.1:1", wsConfig(), clientaddr.Plan{}, nil, "nothex!!"); err == nil {
		t.Error("StartShardWS accepted a prefix that is not 8 hex digits")
	}
}
