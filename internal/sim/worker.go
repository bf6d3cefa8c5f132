package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Environment of a worker process, set by the parent.
const (
	envChild   = "LOADCHECK_SIM_CHILD"   // "1" in a worker
	envOptions = "LOADCHECK_SIM_OPTIONS" // Options as JSON
	envWorker  = "LOADCHECK_SIM_WORKER"  // worker index, 0-based
)

// Inherited descriptors of a worker process (exec.Cmd.ExtraFiles).
const (
	fdListener = 3 // the shared listening socket
	fdControl  = 4 // this worker's end of its control socket
)

// MaybeChild turns the process into a sim worker when the parent started
// it as one, and never returns in that case: it serves until told to stop
// and calls os.Exit. Otherwise it returns at once. Call it first thing in
// main, and in TestMain of any package whose tests call Start or Run,
// because workers are the same executable run again.
func MaybeChild() {
	if os.Getenv(envChild) != "1" {
		return
	}
	if err := runWorker(); err != nil {
		fmt.Fprintf(os.Stderr, "sim: worker pid %d: %v\n", os.Getpid(), err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runWorker serves the inherited listener until SIGTERM or the parent's
// end of the control socket closes, then drains for StopGrace.
func runWorker() error {
	var opts Options
	if err := json.Unmarshal([]byte(os.Getenv(envOptions)), &opts); err != nil {
		return fmt.Errorf("%s: %v", envOptions, err)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	index, _ := strconv.Atoi(os.Getenv(envWorker))

	// The parent stops workers with SIGTERM; a terminal's Ctrl-C reaches
	// the whole process group, and only the parent should act on it.
	signal.Ignore(syscall.SIGINT)
	sigCtx, stopSignals := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stopSignals()

	lnFile := os.NewFile(fdListener, "sim-listener")
	ln, err := net.FileListener(lnFile)
	lnFile.Close()
	if err != nil {
		return fmt.Errorf("inherited listener: %v", err)
	}
	ctlFile := os.NewFile(fdControl, "sim-control")
	c, err := net.FileConn(ctlFile)
	ctlFile.Close()
	if err != nil {
		return fmt.Errorf("inherited control socket: %v", err)
	}
	ctl := newCtlConn(c)
	defer ctl.close()

	// stop ends serving: SIGTERM, or EOF from the parent (it died).
	stopCtx, stop := context.WithCancel(sigCtx)
	defer stop()
	// base is the context of every request; it ends last.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()

	w := newWorker(opts, index, ctl)
	go w.deliverLoop(base)
	go w.sse.run(w.stopping)
	go func() {
		ctl.read(w.handleControl)
		stop()
	}()

	srv := &http.Server{
		Handler:           w.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Second, // uvicorn --timeout-keep-alive 5
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(gatedListener{ln, &w.gil}) }()
	ctl.send(ctlMsg{Type: msgReady, PID: w.pid})

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %v", err)
	case <-stopCtx.Done():
	}

	// Drain like uvicorn: stop accepting, end streams, close websockets
	// with 1012 (service restart), let in-flight requests finish.
	graceCtx, cancelGrace := context.WithTimeout(context.Background(), opts.StopGrace)
	defer cancelGrace()
	w.shutdown()
	var wg sync.WaitGroup
	wg.Go(func() { w.boards.closeAll(graceCtx, closeServiceRestart, "server shutting down") })
	err = srv.Shutdown(graceCtx)
	wg.Wait()
	cancelBase()
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
	}
	return nil
}

// gatedListener accepts only when the worker's GIL is free: a uvicorn
// worker whose event loop is stuck in a handler does not accept, and a
// worker that is free takes the connection instead.
type gatedListener struct {
	net.Listener
	gil *gil
}

func (l gatedListener) Accept() (net.Conn, error) {
	l.gil.pass()
	return l.Listener.Accept()
}

// worker is the state of one worker process, the module globals of the
// modelled app. It is safe for concurrent use.
type worker struct {
	opts   Options
	index  int
	pid    int
	pidStr string
	gil    gil
	ctl    *ctlConn

	boards *boardSet
	cache  *cache
	sse    *poller

	started    time.Time
	requests   atomic.Int64
	broadcasts atomic.Int64

	deliveries *queue[ctlMsg] // FanoutShared: msgDeliver from the parent, in order
	stopping   chan struct{}  // closed by shutdown
	stopOnce   sync.Once

	pubMu   sync.Mutex
	pubID   uint64
	pending map[uint64]chan ctlMsg // FanoutShared: publishes awaiting msgPublished
}

func newWorker(opts Options, index int, ctl *ctlConn) *worker {
	w := &worker{
		opts:       opts,
		index:      index,
		pid:        os.Getpid(),
		started:    time.Now(),
		ctl:        ctl,
		deliveries: newQueue[ctlMsg](),
		stopping:   make(chan struct{}),
		pending:    make(map[uint64]chan ctlMsg),
	}
	w.pidStr = strconv.Itoa(w.pid)
	w.boards = newBoardSet(opts)
	w.cache = newCache(opts.CacheEntryBytes, opts.CacheMaxEntries)
	w.sse = newPoller(opts.SSEInterval, &w.gil, w.pid, w.boards)
	return w
}

func (w *worker) shutdown() {
	w.stopOnce.Do(func() { close(w.stopping) })
	w.boards.stopTimer()
}

func (w *worker) handleControl(m ctlMsg) {
	switch m.Type {
	case msgDeliver:
		w.deliveries.push(m)
	case msgPublished:
		w.pubMu.Lock()
		ch := w.pending[m.ID]
		delete(w.pending, m.ID)
		w.pubMu.Unlock()
		if ch != nil {
			ch <- m // buffered
		}
	}
}

// deliverLoop sends relayed broadcasts to this worker's boards, one at a
// time and in the order the parent relayed them.
func (w *worker) deliverLoop(ctx context.Context) {
	for {
		msgs, ok := w.deliveries.take(ctx.Done())
		if !ok {
			return
		}
		for _, m := range msgs {
			n := w.deliver(ctx, m.Data)
			w.ctl.send(ctlMsg{Type: msgDelivered, ID: m.ID, Delivered: n.delivered, Skipped: n.skipped})
		}
	}
}

// publish hands a broadcast to the parent (FanoutShared) and waits for
// the totals over all workers.
func (w *worker) publish(ctx context.Context, data []byte) (delivery, error) {
	ch := make(chan ctlMsg, 1)
	w.pubMu.Lock()
	w.pubID++
	id := w.pubID
	w.pending[id] = ch
	w.pubMu.Unlock()
	defer func() {
		w.pubMu.Lock()
		delete(w.pending, id)
		w.pubMu.Unlock()
	}()
	w.ctl.send(ctlMsg{Type: msgPublish, ID: id, Data: data})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case m := <-ch:
		return delivery{delivered: m.Delivered, skipped: m.Skipped, workers: m.Workers}, nil
	case <-ctx.Done():
		return delivery{}, fmt.Errorf("waiting for the parent to relay the broadcast: %v", ctx.Err())
	}
}

// State is the JSON answer of GET /api/debug/state: one worker's
// counters, for tests that need the truth behind a measurement. The keys
// it shares with targets/titan's /api/debug/state mean the same.
type State struct {
	PID          int     `json:"pid"`
	Worker       int     `json:"worker"`        // 0-based index among the workers
	GOMAXPROCS   int     `json:"gomaxprocs"`    // of this worker process
	Fanout       Fanout  `json:"fanout"`        // of the sim
	UptimeSec    float64 `json:"uptime_s"`      // since this worker started
	Requests     int64   `json:"requests"`      // HTTP requests served, this one included
	Boards       int     `json:"boards"`        // websocket boards connected now
	Broadcasts   int64   `json:"broadcasts"`    // broadcasts this worker sent to its boards
	SSEClients   int     `json:"sse_clients"`   // /api/stream clients connected now
	SSEPolls     int64   `json:"polls"`         // poll-loop iterations so far
	CacheEntries int     `json:"cache_entries"` // lookups cached
	CacheBytes   int64   `json:"cache_bytes"`   // bytes held by cached lookups
	RSSKiB       int64   `json:"rss_kib"`       // resident memory; -1 where unknown
}

func (w *worker) state() State {
	entries, bytes := w.cache.size()
	return State{
		PID:          w.pid,
		Worker:       w.index,
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
		Fanout:       w.opts.Fanout,
		UptimeSec:    time.Since(w.started).Seconds(),
		Requests:     w.requests.Load(),
		Boards:       w.boards.len(),
		Broadcasts:   w.broadcasts.Load(),
		SSEClients:   w.sse.clients(),
		SSEPolls:     w.sse.polls.Load(),
		CacheEntries: entries,
		CacheBytes:   bytes,
		RSSKiB:       rssKiB(),
	}
}

// rssKiB returns this process's resident memory from /proc/self/statm,
// or -1.
func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize()) / 1024
}
