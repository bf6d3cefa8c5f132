package probe

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/loadcheck/loadcheck/internal/record"
)

// board is one dispatch board: its connection, when it has one, and what
// it received. Fields below live are owned by the board's goroutine until
// it exits; Close reads them after.
type board struct {
	id       int
	from     netip.Addr               // source address; zero for the system's choice
	live     atomic.Pointer[liveConn] // nil while disconnected
	lastSeen atomic.Int64             // last message or pong, on the probe's clock

	spans       []span
	seen        bitset
	maxSeq      int
	dups        int64
	outOfOrder  int64
	noID        int64
	foreign     int64
	reconnects  int
	disconnects int
	worker      string
	// unanswered counts the pings the target left unanswered; written by
	// the pinger's goroutines.
	unanswered atomic.Int64
}

// liveConn is a board's current connection.
type liveConn struct {
	conn    *websocket.Conn
	pinging atomic.Bool
}

// counts is what board b counted itself, before it is accounted against
// the broadcaster's events.
func (b *board) counts() Board {
	return Board{
		ID:              b.id,
		Duplicates:      b.dups,
		OutOfOrder:      b.outOfOrder,
		Reconnects:      b.reconnects,
		Disconnects:     b.disconnects,
		UnansweredPings: b.unanswered.Load(),
		Worker:          b.worker,
		From:            addrString(b.from),
	}
}

// addWorker notes the worker process the target named for a connection,
// once per worker: a board that moved shows each one it landed on.
func (b *board) addWorker(pid string) {
	if pid == "" || hasWord(b.worker, pid) {
		return
	}
	if b.worker != "" {
		b.worker += ","
	}
	b.worker += pid
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// read receives messages on lc until the connection ends, handing each to
// in.
//
// Reads take a context that is never done: coder/websocket registers a
// context.AfterFunc for each read whose context can end, about 400 bytes
// of garbage per message, which with 10,000 boards cost 100 MB of peak RSS
// and a fifth of the probe's CPU. Reads are bounded all the same: by the
// connection itself (a close or reset from the peer, TCP keep-alive and
// the user timeout for a peer that vanished, see boardTransport), and by
// fleet.closeAll when the boards stop.
func (b *board) read(lc *liveConn, in *inbox) {
	for {
		_, r, err := lc.conn.Reader(context.Background())
		if err != nil {
			return
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			now := in.clock.now()
			b.lastSeen.Store(now)
			in.receive(b, buf.Bytes(), now)
		}
		if buf.Cap() <= 64<<10 {
			bufPool.Put(buf)
		}
		if err != nil {
			return
		}
	}
}

// slot is one broadcast event, written by the broadcaster and read by
// the boards as they receive it.
type slot struct {
	sent atomic.Int64 // dispatch time, on the probe's clock; 0 until sent
	ack  atomic.Int64 // 2xx response time, on the probe's clock; 0 unless acknowledged
}

// eventTable is the broadcaster's events, indexed by sequence number. It
// is set once, before the first POST (or, in a shard that follows, when
// the load starts), so that a board tells an event of this run from a
// foreign one; nil until then.
type eventTable struct{ p atomic.Pointer[[]slot] }

// make sets the table to n empty events and returns it.
func (t *eventTable) make(n int) []slot {
	tbl := make([]slot, n)
	t.p.Store(&tbl)
	return tbl
}

// load returns the table; nil before make.
func (t *eventTable) load() []slot {
	if p := t.p.Load(); p != nil {
		return *p
	}
	return nil
}

// snapshot copies the events out of their atomics; nil before make.
func (t *eventTable) snapshot() []event {
	tbl := t.load()
	if tbl == nil {
		return nil
	}
	events := make([]event, len(tbl))
	for i := range tbl {
		events[i] = event{sent: tbl[i].sent.Load(), ack: tbl[i].ack.Load()}
	}
	return events
}

// inbox recognises the broadcasts the boards receive and times their
// delivery. One serves every board: it holds what they share (the id
// field, the run's event id prefix, the event table), so that a board
// holds only its own account.
type inbox struct {
	idField string
	run     string // event id prefix
	// shared is true when run is shared by the shards of one sharded run,
	// whose broadcaster may run in another process.
	shared bool
	clock  clock
	events *eventTable
	// delivery spreads the delivery histogram over a few locks, a board
	// taking the one of its id.
	delivery [deliveryShards]struct {
		sync.Mutex
		h *record.Histogram
	}
}

func newInbox(idField, run string, shared bool, clk clock, events *eventTable) *inbox {
	in := &inbox{idField: idField, run: run, shared: shared, clock: clk, events: events}
	for i := range in.delivery {
		in.delivery[i].h = record.NewHistogram()
	}
	return in
}

// receive accounts one message received by b at now.
func (in *inbox) receive(b *board, msg []byte, now int64) {
	b.spans[len(b.spans)-1].msgs++
	id, ok := idOf(msg, in.idField)
	if !ok {
		b.noID++
		return
	}
	seq, ok := parseEventID(in.run, id)
	tbl := in.events.load()
	if !ok || tbl == nil || seq >= len(tbl) {
		b.foreign++
		return
	}
	if b.seen.has(seq) {
		b.dups++
		return
	}
	b.seen.set(seq)
	if seq < b.maxSeq {
		b.outOfOrder++
	} else {
		b.maxSeq = seq
	}
	sent := tbl[seq].sent.Load()
	if sent == 0 && in.shared {
		sent = in.sentAt(msg) // the broadcaster runs in another shard
	}
	if sent > 0 {
		d := &in.delivery[b.id%deliveryShards]
		d.Lock()
		d.h.Record(time.Duration(now - sent))
		d.Unlock()
	}
}

// sentAt returns the sent_at of a broadcast message on the probe's clock,
// or 0 when it has none: how a shard without the broadcaster times
// deliveries (the broadcaster's host clock against this one's).
func (in *inbox) sentAt(msg []byte) int64 {
	v, ok := idOf(msg, SentAtField)
	if !ok {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		return 0
	}
	return in.clock.fromWall(t.UnixNano())
}

// deliveries merges the delivery times of every board.
func (in *inbox) deliveries() *record.Histogram {
	all := record.NewHistogram()
	for i := range in.delivery {
		d := &in.delivery[i]
		d.Lock()
		all.Merge(d.h)
		d.Unlock()
	}
	return all
}
