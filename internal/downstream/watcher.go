package downstream

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Watched is one downstream a Watcher samples; OpenAll makes them.
type Watched struct {
	Name    string
	Kind    scenario.DownstreamKind
	Counter Counter
	// Addr is where the target's connections are counted to (a stub's
	// own, Stub.Addr); the zero AddrPort counts none.
	Addr netip.AddrPort
}

// maxPoints bounds the series of one downstream: past it, every other
// point is dropped and points are taken half as often.
const maxPoints = 2048

// Watcher samples downstreams at an interval during a run: their counters,
// and the connections the target's processes hold to them. The calls of
// the measured phase are the difference between the readings MeasureFrom
// and MeasureUntil take. A downstream that cannot be read any more keeps
// what was measured until then, and its summary says so.
//
// The Watcher does not own the counters: the caller closes them after
// Stop.
type Watcher struct {
	pids  func() []int
	every time.Duration
	ds    []*watched

	mu        sync.Mutex
	measuring bool
	from      time.Time // MeasureFrom's time
	until     time.Time // MeasureUntil's time; zero until then

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// watched is a downstream and what its readings gave so far.
type watched struct {
	Watched
	last    Reading // latest good reading
	start   Reading // at MeasureFrom
	err     error   // latest failure; nil when the latest reading was good
	errAt   time.Time
	series  []Point
	stride  int // a point every stride samples
	samples int // samples in the phase
	conns   connStats
}

// NewWatcher returns a Watcher of ds that reads the target's current pids
// from pids (called from the Watcher's goroutine and from MeasureFrom and
// MeasureUntil: it must be safe for that) and samples every interval. A
// stub among ds then looks for its callers among those pids (see
// Stub.AttributeTo).
func NewWatcher(ds []Watched, pids func() []int, every time.Duration) *Watcher {
	w := &Watcher{pids: pids, every: every}
	for _, d := range ds {
		if stub, ok := d.Counter.(*Stub); ok && pids != nil {
			stub.AttributeTo(pids)
		}
		w.ds = append(w.ds, &watched{Watched: d, stride: 1, conns: newConnStats()})
	}
	return w
}

// Start reads every downstream once, failing when one cannot be read, and
// then samples them in the background until Stop or until ctx ends.
func (w *Watcher) Start(ctx context.Context) error {
	for _, d := range w.ds {
		r, err := d.Counter.Read(ctx)
		if err != nil {
			return fmt.Errorf("downstream %q: %w", d.Name, err)
		}
		d.last = r
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.run(ctx)
	}()
	return nil
}

func (w *Watcher) run(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.sample(ctx)
		}
	}
}

// Stop ends the sampling and waits for it.
func (w *Watcher) Stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}

// MeasureFrom marks the start of the measured phase with a reading of
// every downstream, taken now.
func (w *Watcher) MeasureFrom(ctx context.Context) {
	w.mu.Lock()
	w.measuring, w.from = true, time.Now()
	w.mu.Unlock()
	w.sample(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.ds {
		// When this reading failed, the phase counts from the last good
		// one, and the summary says the downstream was missing.
		d.start = d.last
		d.series, d.stride, d.samples = []Point{{}}, 1, 0
		d.conns = newConnStats()
	}
}

// MeasureUntil marks the end of the measured phase with a last reading of
// every downstream; later samples do not change the summary.
func (w *Watcher) MeasureUntil(ctx context.Context) {
	w.sample(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.measuring, w.until = false, time.Now()
}

// sample reads every downstream and, in the phase, the connections to it,
// and applies the readings.
func (w *Watcher) sample(ctx context.Context) {
	var pids []int
	if w.pids != nil {
		pids = w.pids()
	}
	type result struct {
		r   Reading
		err error
	}
	res := make([]result, len(w.ds))
	var addrs []netip.AddrPort
	for i, d := range w.ds {
		res[i].r, res[i].err = d.Counter.Read(ctx)
		if d.Addr.IsValid() {
			addrs = append(addrs, d.Addr)
		}
	}
	var conns map[netip.AddrPort]map[int]int
	var connsErr error
	if len(addrs) > 0 {
		conns, connsErr = connsTo(pids, addrs)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.until.IsZero() {
		return
	}
	for i, d := range w.ds {
		d.apply(res[i].r, res[i].err, w.measuring)
		if w.measuring && d.Addr.IsValid() {
			d.conns.add(conns[unmap(d.Addr)], connsErr)
		}
	}
}

// errWentBack is a counter lower than before: the downstream restarted,
// or forgot statements (pg_stat_statements.max).
var errWentBack = errors.New("its counter went back (restarted, or reset)")

func (d *watched) apply(r Reading, err error, measuring bool) {
	if err == nil && r.Total < d.last.Total {
		err = fmt.Errorf("%w: from %.0f to %.0f", errWentBack, d.last.Total, r.Total)
	}
	if err != nil {
		if d.err == nil {
			d.errAt = time.Now()
		}
		d.err = err
		return
	}
	if r.At.Before(d.last.At) {
		return
	}
	// A downstream that comes back with its counter intact lost nothing.
	d.last, d.err = r, nil
	if !measuring {
		return
	}
	d.samples++
	if d.samples%d.stride != 0 {
		return
	}
	d.series = append(d.series, Point{Seconds: r.At.Sub(d.start.At).Seconds(), Calls: r.Total - d.start.Total})
	if len(d.series) >= maxPoints {
		kept := d.series[:0]
		for i, p := range d.series {
			if i%2 == 0 {
				kept = append(kept, p)
			}
		}
		d.series, d.stride = kept, d.stride*2
	}
}

// Snapshot is the summary of the phase so far, for abort conditions and
// progress.
func (w *Watcher) Snapshot() []Summary { return w.Summary() }

// Summary is what the phase did to each downstream: from MeasureFrom's
// readings to MeasureUntil's, or to the latest when the phase goes on.
func (w *Watcher) Summary() []Summary {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Summary, 0, len(w.ds))
	for _, d := range w.ds {
		out = append(out, d.summary(w.from))
	}
	return out
}
