package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readyTimeout bounds how long Start waits for every worker to report
// that it serves.
const readyTimeout = 30 * time.Second

// Server is a running sim: a shared listening socket and its worker
// processes. Start returns it; cancelling Start's context stops it. Its
// methods are safe for concurrent use.
type Server struct {
	addr string
	pids []int
	done chan struct{}
	err  error // set before done is closed
}

// Addr returns the host:port the workers accept on.
func (s *Server) Addr() string { return s.addr }

// URL returns the base URL of the sim, "http://" + Addr.
func (s *Server) URL() string { return "http://" + s.addr }

// PIDs returns the process ids of the workers, in worker order.
func (s *Server) PIDs() []int { return slices.Clone(s.pids) }

// Wait blocks until the sim has stopped and every worker process has been
// reaped. It returns nil after the context passed to Start was cancelled
// or after a worker exited cleanly (someone sent it SIGTERM); in the
// latter case the other workers are stopped too. It returns an error if a
// worker crashed (the others are stopped; there is no restart) or exited
// with a failure status while draining.
func (s *Server) Wait() error {
	<-s.done
	return s.err
}

// Run starts the sim, writes one line to opts.Log,
//
//	sim: listening on http://127.0.0.1:8765 with 2 workers (pids 4242, 4243)
//
// and serves until ctx is cancelled (the CLI cancels it on SIGTERM or
// SIGINT). Then it sends SIGTERM to the workers, kills those still alive
// after opts.StopGrace and a second, and returns once all are reaped.
func Run(ctx context.Context, opts Options) error {
	s, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	pids := make([]string, len(s.pids))
	for i, p := range s.pids {
		pids[i] = strconv.Itoa(p)
	}
	workers, pidWord := "workers", "pids"
	if len(pids) == 1 {
		workers, pidWord = "worker", "pid"
	}
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "sim: listening on %s with %d %s (%s %s)\n",
			s.URL(), len(pids), workers, pidWord, strings.Join(pids, ", "))
	}
	return s.Wait()
}

// Start opens the listening socket, starts opts.Workers worker processes
// sharing it (this executable run again; see MaybeChild) and returns once
// every worker serves. The workers run until ctx is cancelled; then the
// Server stops them as Run describes. Workers die with the calling
// process on Linux (parent-death signal) and everywhere notice its death
// on their control socket.
func Start(ctx context.Context, opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("sim: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("sim: finding this executable to run workers: %v", err)
	}
	cfg, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("sim: encoding options: %v", err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("sim: %v", err)
	}
	// The workers hold their own copies; ours closes when Start returns.
	defer ln.Close()
	lnFile, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, fmt.Errorf("sim: %v", err)
	}
	defer lnFile.Close()

	out := o.Log
	if out == io.Discard {
		out = nil // exec connects nil to /dev/null, without a copying goroutine
	}
	g := &group{exits: make(chan childExit, o.Workers), hub: newHub(o.Workers), grace: o.StopGrace}
	for i := range o.Workers {
		if err := ctx.Err(); err != nil {
			g.stop()
			return nil, fmt.Errorf("sim: interrupted while starting workers: %w", err)
		}
		if err := g.start(exe, i, cfg, lnFile, out); err != nil {
			g.stop()
			return nil, fmt.Errorf("sim: starting worker %d: %v", i, err)
		}
	}
	if err := g.waitReady(ctx); err != nil {
		g.stop()
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Server{addr: ln.Addr().String(), done: make(chan struct{})}
	for _, c := range g.kids {
		s.pids = append(s.pids, c.cmd.Process.Pid)
	}
	go func() {
		defer close(s.done)
		s.err = g.supervise(ctx)
	}()
	return s, nil
}

// child is one worker process as the parent sees it.
type child struct {
	index  int
	cmd    *exec.Cmd
	ctl    *ctlConn
	exited bool // owned by the goroutine running the group
}

func (c *child) String() string { return fmt.Sprintf("worker %d (pid %d)", c.index, c.cmd.Process.Pid) }

type childExit struct {
	c   *child
	err error // from exec.Cmd.Wait
}

// group owns the worker processes. Its methods run on one goroutine at a
// time: Start's, then the supervisor's.
type group struct {
	kids    []*child
	running int
	exits   chan childExit // one per child; buffered for all of them
	hub     *hub
	grace   time.Duration
}

func (g *group) start(exe string, index int, cfg []byte, ln *os.File, out io.Writer) error {
	parentEnd, childEnd, err := socketpair()
	if err != nil {
		return err
	}
	defer childEnd.Close()
	conn, err := net.FileConn(parentEnd)
	parentEnd.Close()
	if err != nil {
		return err
	}
	// The arguments only name the process for ps and loadcheck's own
	// Resources table ("sim worker 1"); the child reads its settings from
	// the environment.
	cmd := exec.Command(exe, "sim", "worker", strconv.Itoa(index+1))
	cmd.Env = append(os.Environ(),
		envChild+"=1",
		envOptions+"="+string(cfg),
		envWorker+"="+strconv.Itoa(index),
		// One P per worker: a Python process runs Python code on one
		// core at most, and cpu.sustained is measured against that.
		"GOMAXPROCS=1",
	)
	cmd.ExtraFiles = []*os.File{ln, childEnd} // fds 3 and 4
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = workerSysProcAttr()
	if err := cmd.Start(); err != nil {
		conn.Close()
		return err
	}
	c := &child{index: index, cmd: cmd, ctl: newCtlConn(conn)}
	g.kids = append(g.kids, c)
	g.running++
	g.hub.add(c)
	go func() { g.exits <- childExit{c, cmd.Wait()} }()
	return nil
}

func (g *group) exited(e childExit) {
	e.c.exited = true
	g.running--
}

func (g *group) waitReady(ctx context.Context) error {
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	for ready := 0; ready < len(g.kids); {
		select {
		case <-g.hub.ready:
			ready++
		case e := <-g.exits:
			g.exited(e)
			return fmt.Errorf("%v exited before it served: %v", e.c, exitText(e.err))
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("%d of %d workers serving after %v", ready, len(g.kids), readyTimeout)
		}
	}
	return nil
}

// supervise waits for ctx or for a worker to exit, then stops the rest.
func (g *group) supervise(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
	case e := <-g.exits:
		g.exited(e)
		if e.err != nil {
			err = fmt.Errorf("sim: %v exited: %v", e.c, exitText(e.err))
		}
	}
	if stopErr := g.stop(); err == nil && stopErr != nil {
		err = fmt.Errorf("sim: %v", stopErr)
	}
	return err
}

// stop sends SIGTERM to every live worker, kills those alive after the
// grace period and a second, and reaps all of them. It returns an error
// naming the first worker that failed to exit cleanly on SIGTERM (a
// crash while draining, or a race report under -race); being killed
// after the grace period is not counted.
func (g *group) stop() error {
	for _, c := range g.kids {
		if !c.exited {
			c.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	kill := time.NewTimer(g.grace + time.Second)
	defer kill.Stop()
	killed := false
	var err error
	for g.running > 0 {
		select {
		case e := <-g.exits:
			g.exited(e)
			if e.err != nil && !killed && err == nil {
				err = fmt.Errorf("%v exited on SIGTERM: %v", e.c, exitText(e.err))
			}
		case <-kill.C:
			killed = true
			for _, c := range g.kids {
				if !c.exited {
					c.cmd.Process.Kill()
				}
			}
		}
	}
	g.hub.close()
	return err
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// hub relays broadcasts between workers for FanoutShared, the part Redis
// pub/sub plays in the real fix, and collects the workers' readiness. It
// is safe for concurrent use.
type hub struct {
	ready   chan *child // one per worker that said msgReady
	readers sync.WaitGroup

	mu     sync.Mutex
	alive  map[*child]bool
	nextID uint64
	pubs   map[uint64]*publication
}

// publication is one broadcast being relayed.
type publication struct {
	origin   *child
	originID uint64
	waiting  map[*child]bool // workers yet to answer msgDelivered
	d        delivery
}

func newHub(workers int) *hub {
	return &hub{
		ready: make(chan *child, workers),
		alive: make(map[*child]bool),
		pubs:  make(map[uint64]*publication),
	}
}

func (h *hub) add(c *child) {
	h.mu.Lock()
	h.alive[c] = true
	h.mu.Unlock()
	h.readers.Go(func() {
		c.ctl.read(func(m ctlMsg) { h.handle(c, m) })
		h.gone(c)
	})
}

func (h *hub) handle(c *child, m ctlMsg) {
	switch m.Type {
	case msgReady:
		h.ready <- c
	case msgPublish:
		h.mu.Lock()
		defer h.mu.Unlock()
		h.nextID++
		p := &publication{origin: c, originID: m.ID, waiting: make(map[*child]bool)}
		h.pubs[h.nextID] = p
		// Sending under the lock (it only queues) gives every worker
		// the broadcasts in the same order.
		for k, ok := range h.alive {
			if ok {
				p.waiting[k] = true
				k.ctl.send(ctlMsg{Type: msgDeliver, ID: h.nextID, Data: m.Data})
			}
		}
	case msgDelivered:
		h.mu.Lock()
		defer h.mu.Unlock()
		if p := h.pubs[m.ID]; p != nil && p.waiting[c] {
			delete(p.waiting, c)
			p.d.delivered += m.Delivered
			p.d.skipped += m.Skipped
			p.d.workers++
			h.finish(m.ID, p)
		}
	}
}

// gone stops waiting for a worker whose control socket closed.
func (h *hub) gone(c *child) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.alive[c] = false
	for id, p := range h.pubs {
		if p.waiting[c] {
			delete(p.waiting, c)
			h.finish(id, p)
		}
	}
}

// finish answers the publisher once every worker has. h.mu is held.
func (h *hub) finish(id uint64, p *publication) {
	if len(p.waiting) > 0 {
		return
	}
	delete(h.pubs, id)
	p.origin.ctl.send(ctlMsg{Type: msgPublished, ID: p.originID,
		Delivered: p.d.delivered, Skipped: p.d.skipped, Workers: p.d.workers})
}

// close closes every control socket and waits for the hub's goroutines.
func (h *hub) close() {
	h.mu.Lock()
	kids := make([]*child, 0, len(h.alive))
	for c := range h.alive {
		kids = append(kids, c)
	}
	h.mu.Unlock()
	for _, c := range kids {
		c.ctl.close()
	}
	h.readers.Wait()
}
