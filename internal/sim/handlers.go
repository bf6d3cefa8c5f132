package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PIDHeader is the response header naming the worker process that
// answered. Every response carries it.
const PIDHeader = "X-Worker-Pid"

// maxBroadcastBytes bounds a POSTed broadcast body.
const maxBroadcastBytes = 1 << 20

func (w *worker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", w.home)
	mux.HandleFunc("GET /api/health", w.health)
	mux.HandleFunc("GET /api/zeus/search", w.search)
	mux.HandleFunc("GET /api/customers/lookup", w.lookup)
	mux.HandleFunc("GET /ws/dispatch", w.dispatch)
	mux.HandleFunc("POST /api/dispatch/broadcast", w.broadcast)
	mux.HandleFunc("GET /api/stream", w.stream)
	mux.HandleFunc("GET /api/debug/state", w.debugState)
	mux.HandleFunc("GET /emergency", w.emergency)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set(PIDHeader, w.pidStr)
		w.requests.Add(1)
		w.gil.pass() // the event loop parses the request
		mux.ServeHTTP(rw, r)
	})
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	json.NewEncoder(rw).Encode(v) // a failed write is the client's loss
}

func writeError(rw http.ResponseWriter, code int, msg string) {
	writeJSON(rw, code, map[string]string{"detail": msg})
}

const homePage = `<!doctype html>
<html><head><meta charset="utf-8"><title>titan dispatch (sim)</title></head>
<body><h1>titan dispatch</h1>
<p>loadcheck sim: a model of the dispatch app on uvicorn workers.</p>
<ul><li><a href="/emergency">Emergency line</a></li>
<li><a href="/api/health">health</a></li>
<li><a href="/api/debug/state">this worker's state</a></li></ul>
</body></html>
`

const emergencyPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Emergency service</title></head>
<body><h1>24/7 emergency service</h1>
<p>Burst pipe, sewer backup, no heat? Call now: a technician is dispatched
within the hour.</p>
<p><strong>Phone: 555-0100</strong></p>
</body></html>
`

func (w *worker) home(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(rw, homePage)
}

func (w *worker) emergency(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "public, max-age=60")
	io.WriteString(rw, emergencyPage)
}

func (w *worker) health(rw http.ResponseWriter, r *http.Request) {
	writeJSON(rw, http.StatusOK, map[string]any{
		"status":   "ok",
		"pid":      w.pid,
		"uptime_s": time.Since(w.started).Seconds(),
		"fanout":   w.opts.Fanout,
	})
}

func (w *worker) debugState(rw http.ResponseWriter, r *http.Request) {
	writeJSON(rw, http.StatusOK, w.state())
}

type searchResult struct {
	Rank  int     `json:"rank"`
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Score float64 `json:"score"`
}

// search: await the database (no GIL), then rank in Python (GIL held for
// SearchCPU, then SearchBlocking).
func (w *worker) search(rw http.ResponseWriter, r *http.Request) {
	began := time.Now()
	q := r.URL.Query().Get("q")
	wait := w.opts.SearchWait
	if j := w.opts.SearchWaitJitter; j > 0 {
		wait += rand.N(j)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	w.gil.run(w.opts.SearchCPU, w.opts.SearchBlocking)

	h := hash(q)
	results := make([]searchResult, 5)
	for i := range results {
		results[i] = searchResult{
			Rank:  i + 1,
			ID:    fmt.Sprintf("Z-%05d", (h+uint64(i)*7919)%100000),
			Title: fmt.Sprintf("%s, result %d", q, i+1),
			Score: 1 / float64(i+1),
		}
	}
	writeJSON(rw, http.StatusOK, map[string]any{
		"q":       q,
		"results": results,
		"took_ms": float64(time.Since(began).Microseconds()) / 1000,
		"pid":     w.pid,
	})
}

func hash(s string) uint64 {
	f := fnv.New64a()
	io.WriteString(f, s)
	return f.Sum64()
}

// lookup: a per-process cache in front of a blocking lookup.
func (w *worker) lookup(rw http.ResponseWriter, r *http.Request) {
	phone := r.URL.Query().Get("phone")
	if phone == "" {
		writeError(rw, http.StatusBadRequest, "phone is required")
		return
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
	digits = strings.Repeat("0", max(0, 6-len(digits))) + digits
	id, _ := strconv.Atoi(digits[len(digits)-6:])
	name := "Customer " + digits[len(digits)-4:]
	hit := w.cache.has(phone)
	if !hit {
		w.gil.run(0, w.opts.LookupMiss)
		w.cache.put(phone)
	}
	entries, _ := w.cache.size()
	writeJSON(rw, http.StatusOK, map[string]any{
		"phone":         phone,
		"customer_id":   id,
		"name":          name,
		"cached":        hit,
		"cache_entries": entries,
		"pid":           w.pid,
	})
}

// dispatch: a dispatch board's websocket, kept in this worker's list until
// it closes.
func (w *worker) dispatch(rw http.ResponseWriter, r *http.Request) {
	b, err := w.boards.accept(rw, r)
	if err != nil {
		return // Accept has answered the client
	}
	defer w.boards.remove(b)
	// Read until the connection ends, so pings are answered and the
	// close handshake completes; boards send nothing we need.
	for {
		if _, _, err := b.conn.Read(r.Context()); err != nil {
			return
		}
	}
}

// delivery counts one broadcast's sends.
type delivery struct {
	delivered int // boards that were sent the event
	skipped   int // boards skipped by --ws-drop-every
	workers   int // workers that sent it
}

func (w *worker) deliver(ctx context.Context, data []byte) delivery {
	w.broadcasts.Add(1)
	d := w.boards.send(ctx, data)
	d.workers = 1
	return d
}

// broadcast: send the JSON body to the boards, this worker's
// (FanoutProcess) or every worker's (FanoutShared).
func (w *worker) broadcast(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBroadcastBytes+1))
	switch {
	case err != nil:
		writeError(rw, http.StatusBadRequest, "reading body: "+err.Error())
		return
	case len(body) > maxBroadcastBytes:
		writeError(rw, http.StatusRequestEntityTooLarge, "body over "+strconv.Itoa(maxBroadcastBytes)+" bytes")
		return
	case !json.Valid(body):
		writeError(rw, http.StatusBadRequest, "body is not JSON")
		return
	}
	var d delivery
	if w.opts.Fanout == FanoutShared {
		if d, err = w.publish(r.Context(), body); err != nil {
			writeError(rw, http.StatusGatewayTimeout, err.Error())
			return
		}
	} else {
		d = w.deliver(context.WithoutCancel(r.Context()), body) // a gone client must not cut the sends short
	}
	writeJSON(rw, http.StatusOK, map[string]any{
		"boards":    w.boards.len(),
		"delivered": d.delivered,
		"skipped":   d.skipped,
		"workers":   d.workers,
		"fanout":    w.opts.Fanout,
		"pid":       w.pid,
	})
}

// stream: server-sent events from this worker's poll loop.
func (w *worker) stream(rw http.ResponseWriter, r *http.Request) {
	flusher, ok := rw.(http.Flusher)
	if !ok {
		writeError(rw, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	events := w.sse.subscribe()
	defer w.sse.unsubscribe(events)
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	rw.WriteHeader(http.StatusOK)
	fmt.Fprintf(rw, ": connected to worker %d\nretry: 1000\n\n", w.pid)
	flusher.Flush()
	for {
		select {
		case ev := <-events:
			if _, err := fmt.Fprintf(rw, "id: %d\ndata: %s\n\n", ev.seq, ev.data); err != nil {
				return
			}
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-w.stopping:
			return
		}
	}
}
