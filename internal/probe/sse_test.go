package probe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/probe/probetest"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// runSSE reads h with clients for d. Streams that end on their own may be
// between connections when StartSSE returns; for the others Connected
// must be clients.
func runSSE(t *testing.T, h *probetest.Stream, clients int, d time.Duration) SSESummary {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := StartSSE(ctx, srv.URL, scenario.SSE{Clients: clients, Path: "/api/stream"}, clientaddr.Plan{}, nil)
	if err != nil {
		t.Fatalf("StartSSE: %v", err)
	}
	if n := s.Connected(); n != clients && h.EndAfter == 0 {
		t.Errorf("Connected() = %d after StartSSE, want %d", n, clients)
	}
	time.Sleep(d)
	sum := s.Close()
	t.Logf("clients %d connected %d events %d first p50 %v gap max %v disconnects %d reconnects %d",
		sum.Clients, sum.Connected, sum.Events, sum.FirstEvent.P50.Duration(), sum.GapMax.Duration(), sum.Disconnects, sum.Reconnects)
	return sum
}

func TestSSESteady(t *testing.T) {
	t.Parallel()
	sum := runSSE(t, &probetest.Stream{Every: 100 * time.Millisecond}, 3, 1500*time.Millisecond)
	if sum.Clients != 3 || sum.Connected != 3 || len(sum.PerClient) != 3 || sum.NoEvents != 0 {
		t.Errorf("Clients %d Connected %d PerClient %d NoEvents %d, want 3, 3, 3, 0", sum.Clients, sum.Connected, len(sum.PerClient), sum.NoEvents)
	}
	for _, c := range sum.PerClient {
		if c.Events < 12 || c.Events > 16 {
			t.Errorf("client %d: %d events in 1.5 s at 10/s, want 12–16", c.ID, c.Events)
		}
		if f := c.FirstEvent.Duration(); f < 80*time.Millisecond || f > 300*time.Millisecond {
			t.Errorf("client %d: first event after %v, want ≈ 100ms", c.ID, f)
		}
	}
	if g := sum.GapMax.Duration(); g < 90*time.Millisecond || g > 250*time.Millisecond {
		t.Errorf("GapMax = %v, want ≈ 100ms", g)
	}
	if sum.Disconnects != 0 || sum.Reconnects != 0 {
		t.Errorf("Disconnects, Reconnects = %d, %d, want 0, 0", sum.Disconnects, sum.Reconnects)
	}
}

func TestSSEStall(t *testing.T) {
	t.Parallel()
	sum := runSSE(t, &probetest.Stream{Every: 100 * time.Millisecond, StallAfter: 3, Stall: 500 * time.Millisecond}, 2, 1500*time.Millisecond)
	if g := sum.GapMax.Duration(); g < 500*time.Millisecond || g > 900*time.Millisecond {
		t.Errorf("GapMax = %v, want ≥ 500ms (the stall)", g)
	}
	for _, c := range sum.PerClient {
		if c.GapMax.Duration() < 500*time.Millisecond {
			t.Errorf("client %d: gap max %v, want ≥ 500ms", c.ID, c.GapMax.Duration())
		}
	}
}

func TestSSEReconnect(t *testing.T) {
	t.Parallel()
	sum := runSSE(t, &probetest.Stream{Every: 50 * time.Millisecond, EndAfter: 5}, 2, 1500*time.Millisecond)
	if sum.Disconnects < 2 || sum.Reconnects < 2 {
		t.Errorf("Disconnects, Reconnects = %d, %d, want ≥ 2 each (streams end after 5 events)", sum.Disconnects, sum.Reconnects)
	}
	for _, c := range sum.PerClient {
		if c.Events <= 5 || c.Reconnects < 1 {
			t.Errorf("client %d: %d events, %d reconnects, want more than one stream's 5", c.ID, c.Events, c.Reconnects)
		}
	}
}

func TestSSEQuietStream(t *testing.T) {
	t.Parallel()
	// Answers, then sends nothing: no events, and the gap is the whole wait.
	sum := runSSE(t, &probetest.Stream{Every: time.Hour}, 1, 300*time.Millisecond)
	if sum.Events != 0 || sum.NoEvents != 1 {
		t.Errorf("Events %d NoEvents %d, want 0, 1", sum.Events, sum.NoEvents)
	}
	if g := sum.GapMax.Duration(); g < 300*time.Millisecond {
		t.Errorf("GapMax = %v, want ≥ 300ms: the client waited all along", g)
	}
}

func TestStartSSENotAStream(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := StartSSE(ctx, srv.URL, scenario.SSE{Clients: 2, Path: "/api/stream"}, clientaddr.Plan{}, nil)
	if err == nil {
		s.Close()
		t.Fatal("StartSSE against text/plain: no error")
	}
	if !strings.Contains(err.Error(), "0 of 2 clients connected") || !strings.Contains(err.Error(), "text/event-stream") {
		t.Errorf("StartSSE error = %q, want it to say 0 of 2 connected and why", err)
	}
}
