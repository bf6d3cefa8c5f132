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

	mu     sync.Mutex
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
		spec:   spec,
		addr:   ln.Addr().(*net.TCPAddr).AddrPort(),
		slots:  make(chan struct{}, MaxStubConcurrent),
		done:   make(chan struct{}),
		serve:  make(chan error, 1),
		rng:    rand.New(rand.NewPCG(stubSeed, stubSeed)),
		byPath: map[string]float64{},
		byPID:  map[int]float64{},
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ReadHeaderTimeout: readTimeout,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connOwner{remote: c.RemoteAddr().String()})
		},
	}
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

type connKey struct{}

// connOwner is the process at the client end of one connection, looked up
// once, at its first request: a keep-alive connection keeps its process.
type connOwner struct {
	remote string
	once   sync.Once
	pid    int
}

func (s *Stub) pidOf(r *http.Request) int {
	c, _ := r.Context().Value(connKey{}).(*connOwner)
	if c == nil {
		return 0
	}
	c.once.Do(func() {
		if client, err := netip.ParseAddrPort(c.remote); err == nil {
			c.pid, _ = owner(client, s.addr)
		}
	})
	return c.pid
}

func (s *Stub) handle(w http.ResponseWriter, r *http.Request) {
	s.count(r.URL.Path, s.pidOf(r))
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

func (s *Stub) count(path string, pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byPath[path]; !ok && len(s.byPath) >= maxStubPaths {
		path = otherPaths
	}
	s.total++
	s.byPath[truncKey(path)]++
	s.byPID[pid]++
}

// Read returns the calls so far: ByPID's key 0 holds the calls whose
// process was not found.
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
	return err
}
