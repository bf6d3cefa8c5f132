package sim

import (
	"encoding/json"
	"net"
	"sync"
)

// The parent and each worker talk over one unix stream socket (the
// worker's fd 4), one JSON object per line. A worker announces itself with
// msgReady. With FanoutShared a worker sends msgPublish for each POSTed
// broadcast; the parent sends msgDeliver to every worker, each answers
// msgDelivered with its counts, and the parent answers the publisher with
// msgPublished carrying the totals.
const (
	msgReady     = "ready"
	msgPublish   = "publish"
	msgDeliver   = "deliver"
	msgDelivered = "delivered"
	msgPublished = "published"
)

// ctlMsg is one control message. ID is the publisher's id in msgPublish
// and msgPublished, the parent's in msgDeliver and msgDelivered.
type ctlMsg struct {
	Type      string `json:"type"`
	ID        uint64 `json:"id,omitempty"`
	PID       int    `json:"pid,omitempty"`
	Data      []byte `json:"data,omitempty"`
	Delivered int    `json:"delivered,omitempty"`
	Skipped   int    `json:"skipped,omitempty"`
	Workers   int    `json:"workers,omitempty"`
}

// queue is an unbounded FIFO with a single consumer. Producers never
// block, so neither side of a control socket can deadlock on the other's
// full socket buffer.
type queue[T any] struct {
	mu    sync.Mutex
	items []T
	wake  chan struct{}
}

func newQueue[T any]() *queue[T] { return &queue[T]{wake: make(chan struct{}, 1)} }

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take waits for items and returns all of them in order, or false once
// done is closed.
func (q *queue[T]) take(done <-chan struct{}) ([]T, bool) {
	for {
		q.mu.Lock()
		items := q.items
		q.items = nil
		q.mu.Unlock()
		if len(items) > 0 {
			return items, true
		}
		select {
		case <-q.wake:
		case <-done:
			return nil, false
		}
	}
}

// ctlConn is one end of a control socket: send queues, a goroutine
// writes. It is safe for concurrent use.
type ctlConn struct {
	c       net.Conn
	out     *queue[ctlMsg]
	done    chan struct{} // closed by close
	written chan struct{} // closed when writeLoop returns
	once    sync.Once
}

func newCtlConn(c net.Conn) *ctlConn {
	cc := &ctlConn{c: c, out: newQueue[ctlMsg](), done: make(chan struct{}), written: make(chan struct{})}
	go cc.writeLoop()
	return cc
}

func (cc *ctlConn) send(m ctlMsg) { cc.out.push(m) }

func (cc *ctlConn) writeLoop() {
	defer close(cc.written)
	enc := json.NewEncoder(cc.c)
	for {
		msgs, ok := cc.out.take(cc.done)
		if !ok {
			return
		}
		for _, m := range msgs {
			if enc.Encode(m) != nil {
				return
			}
		}
	}
}

// read calls handle for each message until the socket fails or closes.
func (cc *ctlConn) read(handle func(ctlMsg)) error {
	dec := json.NewDecoder(cc.c)
	for {
		var m ctlMsg
		if err := dec.Decode(&m); err != nil {
			return err
		}
		handle(m)
	}
}

// close closes the socket, dropping unsent messages, and waits for the
// writing goroutine to return. A read in progress returns an error.
func (cc *ctlConn) close() {
	cc.once.Do(func() {
		close(cc.done)
		cc.c.Close()
	})
	<-cc.written
}
