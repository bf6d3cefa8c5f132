// Package probetest provides targets with known faults for testing
// internal/probe over real sockets: a websocket hub that models worker
// processes, dropped and repeated broadcasts and dropped connections, and
// an SSE stream that can stall or end.
package probetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The paths the Hub serves.
const (
	WSPath        = "/ws/dispatch"
	BroadcastPath = "/api/dispatch/broadcast"
)

// Hub is a dispatch-board target: boards connect to WSPath, and each JSON
// POST to BroadcastPath is sent to the boards, as is, after the POST has
// been answered 200 (a board's outbox is written by its own goroutine).
// The zero Hub is a correct single-worker target; the fields add faults.
// Set them before serving.
type Hub struct {
	// Groups models worker processes, each with its own list of boards:
	// board connection n joins group n mod Groups, and broadcast n goes to
	// group n mod Groups only. 0 and 1 mean one group.
	Groups int
	// SkipEvery drops every SkipEvery-th broadcast (the 4th, 8th, … for 4)
	// after answering it 200. 0: none.
	SkipEvery int
	// Repeat sends each broadcast this many times. 0 and 1: once.
	Repeat int
	// Deaf boards are never read from: their pings go unanswered, as on
	// a connection whose peer is gone without a word. Nor do they notice
	// the client leave: call DropAll when done.
	Deaf bool

	mu      sync.Mutex
	groups  map[int]map[*hubBoard]bool
	conns   int // board connections accepted
	posts   int
	dropped int // messages not queued: a board's outbox was full
}

type hubBoard struct {
	conn *websocket.Conn
	out  chan []byte
	drop chan struct{} // closed by DropAll: flush out, then close
	done chan struct{} // closed once dropped
}

// ServeHTTP serves WSPath and BroadcastPath.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == WSPath && r.Method == http.MethodGet:
		h.serveBoard(w, r)
	case r.URL.Path == BroadcastPath && r.Method == http.MethodPost:
		h.serveBroadcast(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *Hub) groupsN() int { return max(h.Groups, 1) }

func (h *Hub) serveBoard(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	g := h.conns % h.groupsN()
	h.conns++
	h.mu.Unlock()
	w.Header().Set("X-Worker-Pid", strconv.Itoa(1000+g))
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	b := &hubBoard{conn: c, out: make(chan []byte, 64), drop: make(chan struct{}), done: make(chan struct{})}
	h.mu.Lock()
	if h.groups == nil {
		h.groups = map[int]map[*hubBoard]bool{}
	}
	if h.groups[g] == nil {
		h.groups[g] = map[*hubBoard]bool{}
	}
	h.groups[g][b] = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.groups[g], b)
		h.mu.Unlock()
		c.CloseNow()
	}()
	ctx, stop := context.WithCancel(context.WithoutCancel(r.Context()))
	defer stop()
	if !h.Deaf {
		ctx = c.CloseRead(ctx)
	}
	write := func(msg []byte) bool {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, msg) == nil
	}
	for {
		select {
		case msg := <-b.out:
			if !write(msg) {
				return
			}
		case <-b.drop:
			for len(b.out) > 0 {
				write(<-b.out)
			}
			c.CloseNow()
			close(b.done)
			return
		case <-ctx.Done():
			return
		}
	}
}

func (h *Hub) serveBroadcast(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || !json.Valid(body) {
		http.Error(w, "want a JSON body", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	n := h.posts
	h.posts++
	skip := h.SkipEvery > 0 && (n+1)%h.SkipEvery == 0
	if !skip {
		for b := range h.groups[n%h.groupsN()] {
			for range max(h.Repeat, 1) {
				select {
				case b.out <- body:
				default:
					h.dropped++
				}
			}
		}
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"broadcast":%d,"skipped":%t}`+"\n", n, skip)
}

// DropAll closes every board connection, without a close handshake but
// after sending what was queued for it, and forgets the boards:
// broadcasts handled after it reach only boards that connect again. No
// broadcast is handled while it runs.
func (h *Hub) DropAll() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var dropped []*hubBoard
	for _, g := range h.groups {
		for b := range g {
			close(b.drop)
			delete(g, b)
			dropped = append(dropped, b)
		}
	}
	for _, b := range dropped {
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
		}
	}
	return len(dropped)
}

// Boards returns the number of boards connected now.
func (h *Hub) Boards() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, g := range h.groups {
		n += len(g)
	}
	return n
}

// Posts returns the number of broadcasts received.
func (h *Hub) Posts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.posts
}

// Stream is an SSE target: each request gets an event every Every, as
// "id: n" and "data: {...}" lines, after a ": connected" comment.
type Stream struct {
	Every time.Duration
	// StallAfter and Stall: after StallAfter events of a stream, pause
	// once for Stall. 0: never.
	StallAfter int
	Stall      time.Duration
	// EndAfter ends each stream after that many events. 0: never.
	EndAfter int
}

// ServeHTTP serves the stream on any path.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprint(w, ": connected\n\n")
	f.Flush()
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: poll\ndata: {\"n\":%d}\n\n", n, n); err != nil {
			return
		}
		f.Flush()
		if s.EndAfter > 0 && n >= s.EndAfter {
			return
		}
		if s.StallAfter > 0 && n == s.StallAfter {
			select {
			case <-time.After(s.Stall):
			case <-r.Context().Done():
				return
			}
			t.Reset(s.Every)
		}
	}
}
