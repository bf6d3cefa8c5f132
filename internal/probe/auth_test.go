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

const (
	boardToken = "Bearer board-t0ken"
	adminToken = "Bearer admin-t0ken"
	sseToken   = "Bearer sse-t0ken"
	ssePath    = "/api/stream"
)

// guarded is a target that answers 401 to a request without its path's
// token: the boards', the broadcaster's and the stream's each differ, as a
// service's roles would. A board must also send its session cookie and
// offer the dispatch subprotocols, in order.
func guarded(t *testing.T) http.Handler {
	hub := &probetest.Hub{}
	stream := &probetest.Stream{Every: 20 * time.Millisecond}
	want := map[string]string{probetest.WSPath: boardToken, probetest.BroadcastPath: adminToken, ssePath: sseToken}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want[r.URL.Path] {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case probetest.WSPath:
			c, err := r.Cookie("session")
			if p := r.Header.Get("Sec-WebSocket-Protocol"); err != nil || c.Value != "s1" || p != "dispatch.v2,dispatch.v1" {
				t.Errorf("board upgrade: cookie %v (%v), subprotocols %q, want session=s1 and dispatch.v2,dispatch.v1", c, err, p)
				http.Error(w, "bad board", http.StatusBadRequest)
				return
			}
			hub.ServeHTTP(w, r)
		case ssePath:
			stream.ServeHTTP(w, r)
		default:
			hub.ServeHTTP(w, r)
		}
	})
}

// authWS is wsConfig with 2 boards, 10 broadcasts and the given tokens.
func authWS(board, admin string) scenario.WebSocket {
	cfg := wsConfig()
	cfg.Boards = 2
	cfg.Grace = time.Second
	cfg.Subprotocols = []string{"dispatch.v2", "dispatch.v1"}
	cfg.Headers = map[string]string{"Cookie": "session=s1; theme=dark"}
	if board != "" {
		cfg.Headers["Authorization"] = board
	}
	if admin != "" {
		cfg.Broadcast.Headers = map[string]string{"Authorization": admin}
	}
	return cfg
}

// TestWSHeaders: a board reaches a target that wants a token, a cookie
// and subprotocols only with them, and so does the broadcaster with its
// own token.
func TestWSHeaders(t *testing.T) {
	t.Parallel()
	const events = 10
	tests := []struct {
		name         string
		board, admin string
		startErr     string // "": StartWS succeeds
		acked        int
	}{
		{"no board token", "", adminToken, "401", 0},
		{"no broadcast token", boardToken, "", "", 0},
		{"both tokens", boardToken, adminToken, "", events},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(guarded(t))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := authWS(tc.board, tc.admin)
			sctx := ctx
			if tc.startErr != "" {
				var stop context.CancelFunc
				sctx, stop = context.WithTimeout(ctx, time.Second)
				defer stop()
			}
			ws, err := StartWS(sctx, srv.URL, cfg, clientaddr.Plan{}, nil)
			if tc.startErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.startErr) || !strings.Contains(err.Error(), "0 of 2 boards connected") {
					t.Errorf("StartWS = %v, want 0 of 2 connected, with a %s", err, tc.startErr)
				}
				if ws != nil {
					ws.Close(ctx)
				}
				return
			}
			if err != nil {
				t.Fatalf("StartWS: %v", err)
			}
			if err := ws.Broadcast(ctx, events*time.Second/testRate); err != nil {
				t.Errorf("Broadcast: %v", err)
			}
			sum := ws.Close(ctx)
			if sum.Connected != 2 || sum.Sent != events || sum.Acked != tc.acked || sum.Delivered != int64(2*tc.acked) {
				t.Errorf("Connected %d Sent %d Acked %d Delivered %d, want 2, %d, %d, %d", sum.Connected, sum.Sent, sum.Acked, sum.Delivered, events, tc.acked, 2*tc.acked)
			}
			if tc.acked == 0 && sum.Broadcast.Codes["401"] != events {
				t.Errorf("broadcast codes %v, want %d 401s", sum.Broadcast.Codes, events)
			}
		})
	}
}

// TestSSEHeaders: an SSE client reaches a stream that wants a token only
// with it.
func TestSSEHeaders(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(guarded(t))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	short, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	s, err := StartSSE(short, srv.URL, scenario.SSE{Clients: 1, Path: ssePath}, clientaddr.Plan{}, nil)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("StartSSE without the token = %v, want an error naming the 401", err)
		if s != nil {
			s.Close()
		}
	}

	cfg := scenario.SSE{Clients: 2, Path: ssePath, Headers: map[string]string{"Authorization": sseToken}}
	s, err = StartSSE(ctx, srv.URL, cfg, clientaddr.Plan{}, nil)
	if err != nil {
		t.Fatalf("StartSSE with the token: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	sum := s.Close()
	if sum.Connected != 2 || sum.NoEvents != 0 || sum.Events < 2 {
		t.Errorf("Connected %d NoEvents %d Events %d, want 2, 0, ≥ 2", sum.Connected, sum.NoEvents, sum.Events)
	}
}
