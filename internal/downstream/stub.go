package downstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Bounds of a stub.
const (
	// MaxStubConcurrent bounds the calls a stub serves at once; a call
	// beyond it is answered 503 at once, and counted.
	MaxStubConcurrent = 1024
	// maxStubRequestBytes bounds the request body a stub reads.
	maxStubRequestBytes = 1 << 20
	// maxStubPaths bounds the paths a stub counts apart; calls to further
	// paths are counted under otherPaths.
	maxStubPaths = 256
	otherPaths   = "(other paths)"
	stubSeed     = 19
)

// Stub is an HTTP upstream loadcheck serves on a free loopback port in
// place of one the target calls (an embeddings API, a customer lookup):
// every request, whatever its path, waits the spec's latency, then gets its
// status and body. It counts the calls by path and by the process that made
// them, and is itself a Counter.
type Stub struct {
	spec  scenario.StubSpec
	addr  netip.AddrPort
	srv   *http.Server
	slots chan struct{}
	done  chan struct{} // closed by Close: waiting handlers answer at once
	serve chan error
	// lookups go to the one goroutine that finds callers' processes.
	lookups   chan lookup
	resolving sync.WaitGroup

	mu     sync.Mutex
	pids   func() []int // where callers are looked for; nil: everywhere
	rng    *rand.Rand
	total  float64
	byPath map[string]float64
	byPID  map[int]float64
	closed bool
}

// Serve starts a stub of spec on a free 127.0.0.1 port. It serves until
// Close or until ctx ends.
func Serve(ctx context.Context, spec scenario.StubSpec) (*Stub, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("serve a stub: %w", err)
	}
	s := &Stub{
		spec:    spec,
		addr:    ln.Addr().(*net.TCPAddr).AddrPort(),
		slots:   make(chan struct{}, MaxStubConcurrent),
		done:    make(chan struct{}),
		serve:   make(chan error, 1),
		lookups: make(chan lookup, MaxStubConcurrent),
		rng:     rand.New(rand.NewPCG(stubSeed, stubSeed)),
		byPath:  map[string]float64{},
		byPID:   map[int]float64{},
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ReadHeaderTimeout: readTimeout,
		IdleTimeout:       time.Minute,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connOwner{remote: c.RemoteAddr().String()})
		},
	}
	s.resolving.Go(s.resolve)
	go func() { s.serve <- s.srv.Serve(ln) }()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// URL is the stub's base URL, http://127.0.0.1:PORT.
func (s *Stub) URL() string { return "http://" + s.addr.String() }

// Addr is the stub's address, for Conns.
func (s *Stub) Addr() netip.AddrPort { return s.addr }

// AttributeTo makes the stub look for the process of each new connection
// among pids (the target's processes) rather than among every process of
// the machine, which costs more on a busy one. Calls from other processes
// are then counted under pid 0.
func (s *Stub) AttributeTo(pids func() []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pids = pids
}

type connKey struct{}

// connOwner is the process at the client end of one connection, looked up
// once, at its first request: a keep-alive connection keeps its process.
type connOwner struct {
	remote string
	once   sync.Once
	done   chan struct{} // closed once pid is set
	pid    int
}

// lookup asks the resolver for the process of a client address.
type lookup struct {
	client netip.AddrPort
	c      *connOwner
}

// pidOf has the process that made r looked up while the call waits out
// its latency, which the lookup then does not lengthen unless it takes
// longer. The returned channel is closed once c.pid is set.
func (s *Stub) pidOf(r *http.Request) *connOwner {
	c, _ := r.Context().Value(connKey{}).(*connOwner)
	if c == nil {
		c = &connOwner{done: make(chan struct{})}
		close(c.done)
		return c
	}
	c.once.Do(func() {
		c.done = make(chan struct{})
		client, err := netip.ParseAddrPort(c.remote)
		if err != nil {
			close(c.done)
			return
		}
		select {
		case s.lookups <- lookup{client, c}:
		case <-s.done:
			close(c.done)
		}
	})
	return c
}

// resolve answers lookups until Close, taking every lookup queued at once
// in one pass over the socket table: a burst of new connections costs one
// reading of it, not one each.
func (s *Stub) resolve() {
	for {
		var batch []lookup
		select {
		case l := <-s.lookups:
			batch = append(batch, l)
		case <-s.done:
			return
		}
	more:
		for {
			select {
			case l := <-s.lookups:
				batch = append(batch, l)
			default:
				break more
			}
		}
		clients := make([]netip.AddrPort, len(batch))
		for i, l := range batch {
			clients[i] = l.client
		}
		s.mu.Lock()
		pids := s.pids
		s.mu.Unlock()
		var candidates []int
		if pids != nil {
			candidates = append([]int{}, pids()...)
		}
		found, _ := owners(clients, s.addr, candidates)
		for _, l := range batch {
			l.c.pid = found[unmap(l.client)]
			close(l.c.done)
		}
	}
}

func (s *Stub) handle(w http.ResponseWriter, r *http.Request) {
	s.count(r.URL.Path)
	owner := s.pidOf(r)
	defer func() {
		select {
		case <-owner.done:
			s.countPID(owner.pid)
		case <-s.done: // closed before its process was known
			s.countPID(0)
		}
	}()
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxStubRequestBytes))
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		http.Error(w, "stub: more than "+strconv.Itoa(MaxStubConcurrent)+" calls at once", http.StatusServiceUnavailable)
		return
	}
	t := time.NewTimer(s.latency())
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	case <-s.done:
	}
	// The client holds its connection until it has the answer: the lookup
	// still finds it.
	select {
	case <-owner.done:
	case <-s.done:
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(s.spec.Body)))
	w.WriteHeader(s.spec.Status)
	_, _ = io.WriteString(w, s.spec.Body)
}

// latency draws the next call's latency, uniform in the spec's range from
// a seeded source, so that two runs draw the same sequence.
func (s *Stub) latency() time.Duration {
	lo, hi := s.spec.LatencyMin, s.spec.LatencyMax
	if hi <= lo {
		return lo
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// count counts a call as it arrives.
func (s *Stub) count(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path = truncKey(path)
	if _, ok := s.byPath[path]; !ok && len(s.byPath) >= maxStubPaths {
		path = otherPaths
	}
	s.total++
	s.byPath[path]++
}

// countPID counts a call under its process once that is known.
func (s *Stub) countPID(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byPID[pid]++
}

// Read returns the calls so far. Total and By count a call as it arrives,
// ByPID once its process is known, by the time it is answered; ByPID's key
// 0 holds the calls whose process was not found.
func (s *Stub) Read(context.Context) (Reading, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneReading(Reading{At: time.Now(), Total: s.total, By: s.byPath, ByPID: s.byPID, Source: SourceStub}), nil
}

// Close stops serving: calls waiting out their latency are answered at
// once, and Close returns when every handler has.
func (s *Stub) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.serve; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	s.resolving.Wait()
	return err
}
