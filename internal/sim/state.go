package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// closeServiceRestart is the close status uvicorn sends to websockets when
// it shuts down, and the one --ws-close-after uses.
const closeServiceRestart = websocket.StatusServiceRestart

// boardWriteTimeout bounds one send to one board; a board that cannot take
// an event in time is dropped, as a failed send_text drops it in the app.
const boardWriteTimeout = 2 * time.Second

// board is one connected dispatch board.
type board struct {
	conn *websocket.Conn
	sent atomic.Uint64 // broadcasts offered to this board, for --ws-drop-every
}

// boardSet is a worker's connected_boards list, with the websocket test
// hooks. It is safe for concurrent use.
type boardSet struct {
	dropEvery  int
	dup        bool
	closeAfter time.Duration

	mu      sync.Mutex
	m       map[*board]struct{}
	armed   bool // the --ws-close-after timer was started
	stopped bool
	timer   *time.Timer
}

func newBoardSet(o Options) *boardSet {
	return &boardSet{dropEvery: o.WSDropEvery, dup: o.WSDup, closeAfter: o.WSCloseAfter, m: make(map[*board]struct{})}
}

func (s *boardSet) accept(rw http.ResponseWriter, r *http.Request) (*board, error) {
	c, err := websocket.Accept(rw, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	b := &board{conn: c}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[b] = struct{}{}
	if s.stopped {
		// Accepted while the worker drains, after closeAll took its
		// snapshot: close it the same way.
		go c.Close(closeServiceRestart, "server shutting down")
	}
	if s.closeAfter > 0 && !s.armed && !s.stopped {
		s.armed = true
		s.timer = time.AfterFunc(s.closeAfter, func() {
			s.closeAll(context.Background(), closeServiceRestart, "ws-close-after")
		})
	}
	return b, nil
}

func (s *boardSet) remove(b *board) {
	s.mu.Lock()
	delete(s.m, b)
	s.mu.Unlock()
	b.conn.CloseNow()
}

func (s *boardSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *boardSet) snapshot() []*board {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs := make([]*board, 0, len(s.m))
	for b := range s.m {
		bs = append(bs, b)
	}
	return bs
}

// stopTimer marks the set as draining: the --ws-close-after timer stops
// and boards accepted from now on are closed at once. Call it before
// closeAll.
func (s *boardSet) stopTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// closeAll starts the close handshake with every board and waits for all
// of them, or for ctx.
func (s *boardSet) closeAll(ctx context.Context, code websocket.StatusCode, reason string) {
	var wg sync.WaitGroup
	for _, b := range s.snapshot() {
		wg.Go(func() { b.conn.Close(code, reason) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// send writes data as a text message to each board in turn, like the
// app's `for ws in connected_boards: await ws.send_text(...)`. A board
// whose write fails is closed; its handler then removes it.
func (s *boardSet) send(ctx context.Context, data []byte) delivery {
	var d delivery
	for _, b := range s.snapshot() {
		n := b.sent.Add(1)
		if s.dropEvery > 0 && n%uint64(s.dropEvery) == 0 {
			d.skipped++
			continue
		}
		if err := s.write(ctx, b, data); err != nil {
			b.conn.CloseNow()
			continue
		}
		d.delivered++
	}
	return d
}

func (s *boardSet) write(ctx context.Context, b *board, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, boardWriteTimeout)
	defer cancel()
	if err := b.conn.Write(ctx, websocket.MessageText, data); err != nil {
		return err
	}
	if s.dup {
		return b.conn.Write(ctx, websocket.MessageText, data)
	}
	return nil
}

// cache is a worker's lazily filled customer cache. It is safe for
// concurrent use.
type cache struct {
	entryBytes int
	max        int

	mu    sync.Mutex
	m     map[string][]byte // stands for the records a real entry drags along
	bytes int64
}

func newCache(entryBytes, maxEntries int) *cache {
	return &cache{entryBytes: entryBytes, max: maxEntries, m: make(map[string][]byte)}
}

func (c *cache) has(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[key]
	return ok
}

func (c *cache) put(key string) {
	blob := make([]byte, c.entryBytes)
	for i := range blob { // touch every page: resident, not just reserved
		blob[i] = byte(i) | 1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		c.bytes -= int64(len(old))
	} else if c.max > 0 && len(c.m) >= c.max {
		for k, old := range c.m { // evict an arbitrary entry
			c.bytes -= int64(len(old))
			delete(c.m, k)
			break
		}
	}
	c.m[key] = blob
	c.bytes += int64(len(blob))
}

func (c *cache) size() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.bytes
}

// sseEvent is one poll's event, as sent to every client of the worker.
type sseEvent struct {
	seq  int64
	data []byte
}

// poller is a worker's SSE poll loop, started with the worker like the
// app's start-up task: every interval it polls (each worker on its own,
// hence N× the polls with N workers) and hands the result to every
// /api/stream client of the worker. It is safe for concurrent use.
type poller struct {
	interval time.Duration
	gil      *gil
	pid      int
	boards   *boardSet

	polls atomic.Int64

	mu   sync.Mutex
	subs map[chan sseEvent]struct{}
}

func newPoller(interval time.Duration, g *gil, pid int, boards *boardSet) *poller {
	return &poller{interval: interval, gil: g, pid: pid, boards: boards, subs: make(map[chan sseEvent]struct{})}
}

// subscribe returns a channel of events. A client that falls behind
// misses events rather than stalling the loop.
func (p *poller) subscribe() chan sseEvent {
	ch := make(chan sseEvent, 16)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	return ch
}

func (p *poller) unsubscribe(ch chan sseEvent) {
	p.mu.Lock()
	delete(p.subs, ch)
	p.mu.Unlock()
}

func (p *poller) clients() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.subs)
}

// run polls until stop is closed.
func (p *poller) run(stop <-chan struct{}) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
		p.gil.pass() // the poll runs on the event loop
		n := p.polls.Add(1)
		data, _ := json.Marshal(map[string]any{
			"seq":    n,
			"ts":     float64(time.Now().UnixMilli()) / 1000,
			"boards": p.boards.len(),
			"pid":    p.pid,
		})
		p.mu.Lock()
		for ch := range p.subs {
			select {
			case ch <- sseEvent{seq: n, data: data}:
			default:
			}
		}
		p.mu.Unlock()
	}
}
