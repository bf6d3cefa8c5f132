package sim

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
)

// Fanout says how far a broadcast POSTed to one worker travels.
type Fanout string

const (
	// FanoutProcess delivers a broadcast only to the boards connected to
	// the worker that received the POST: a module-level list in each
	// uvicorn worker, the trap of --workers 2.
	FanoutProcess Fanout = "process"
	// FanoutShared delivers a broadcast to the boards of every worker, as
	// Redis pub/sub does. The parent process relays it.
	FanoutShared Fanout = "shared"
)

// String returns the flag spelling of f.
func (f Fanout) String() string { return string(f) }

// Set parses s as a Fanout; it implements pflag.Value.
func (f *Fanout) Set(s string) error {
	switch v := Fanout(s); v {
	case FanoutProcess, FanoutShared:
		*f = v
		return nil
	}
	return fmt.Errorf("want %q or %q, got %q", FanoutProcess, FanoutShared, s)
}

// Type names the flag value type in help text; it implements pflag.Value.
func (f *Fanout) Type() string { return "process|shared" }

// MaxWorkers bounds Options.Workers. Each worker is a process; a typo such
// as --workers 100000 would otherwise fork until the machine stalls.
const MaxWorkers = 64

// CheckWorkers checks a worker count given on the command line, where 0
// is a mistake rather than "the default".
func CheckWorkers(n int) error {
	if n < 1 || n > MaxWorkers {
		return fmt.Errorf("--workers %d: want 1 to %d worker processes", n, MaxWorkers)
	}
	return nil
}

// Options configures a sim. Every cost is a duration per request; a zero
// cost is free. The zero Options is valid: one worker on a free loopback
// port, no costs, 1 s SSE interval. Defaults returns the values the
// `loadcheck sim` flags start from.
//
// Options travels to worker processes as JSON in the environment, so every
// field except Log must survive encoding/json.
type Options struct {
	// Listen is the host:port of the one listening socket shared by all
	// workers. Port 0 picks a free port; Server.Addr reports it.
	// Empty means "127.0.0.1:0".
	Listen string `json:"listen"`
	// Workers is the number of worker processes, each with its own GIL
	// and state. Zero means 1; at most MaxWorkers.
	Workers int `json:"workers"`

	// SearchCPU is CPU burnt holding the GIL per /api/zeus/search:
	// pure-Python work such as ranking results.
	SearchCPU time.Duration `json:"search_cpu"`
	// SearchBlocking is a sleep holding the GIL per search: a blocking
	// call (time.sleep, a sync DB driver) inside an async def handler.
	// It stalls every request of that worker without using CPU.
	SearchBlocking time.Duration `json:"search_blocking"`
	// SearchWait is an await per search that does not hold the GIL
	// (await asyncio.sleep, an async DB driver): other requests of the
	// same worker run meanwhile.
	SearchWait time.Duration `json:"search_wait"`
	// SearchWaitJitter adds a uniform random [0, SearchWaitJitter) to
	// each SearchWait.
	SearchWaitJitter time.Duration `json:"search_wait_jitter"`

	// LookupMiss is the blocking cost (GIL held) of a
	// /api/customers/lookup whose phone is not yet in this worker's cache.
	// A hit costs nothing beyond the request itself.
	LookupMiss time.Duration `json:"lookup_miss"`
	// CacheEntryBytes is the memory each cached lookup keeps, in bytes.
	// The bytes are written, so resident memory grows with each miss.
	CacheEntryBytes int `json:"cache_entry_bytes"`
	// CacheMaxEntries bounds each worker's cache; past it an arbitrary
	// entry is evicted. Zero means unbounded.
	CacheMaxEntries int `json:"cache_max_entries"`

	// SSEInterval is the period of each worker's poll loop, which sends
	// one event to every /api/stream client of that worker. Zero means 1 s.
	SSEInterval time.Duration `json:"sse_interval"`

	// Fanout selects where broadcasts go. Empty means FanoutProcess.
	Fanout Fanout `json:"fanout"`

	// WSDropEvery, when N > 0, makes each worker skip every Nth
	// broadcast to each board (counted per board), to test loss
	// accounting.
	WSDropEvery int `json:"ws_drop_every"`
	// WSDup sends every broadcast twice to each board, to test duplicate
	// accounting.
	WSDup bool `json:"ws_dup"`
	// WSCloseAfter, when > 0, makes each worker close all its boards once
	// (status 1012, service restart), WSCloseAfter after its first board
	// connected, to test reconnects.
	WSCloseAfter time.Duration `json:"ws_close_after"`

	// StopGrace is how long a worker may drain after SIGTERM before the
	// parent kills it. Zero means 2 s.
	StopGrace time.Duration `json:"stop_grace"`

	// Log receives Run's start line and the workers' stderr. Nil
	// discards both.
	Log io.Writer `json:"-"`
}

// Defaults returns the options `loadcheck sim` starts from: search shaped
// like production's (mostly waiting on the database, a little CPU) but
// faster, a 5 ms cache miss of 64 KiB, 1 s SSE polls, per-process fan-out.
func Defaults() Options {
	return Options{
		Listen:          "127.0.0.1:8765",
		Workers:         1,
		SearchCPU:       8 * time.Millisecond,
		SearchWait:      400 * time.Millisecond,
		LookupMiss:      5 * time.Millisecond,
		CacheEntryBytes: 64 << 10,
		CacheMaxEntries: 4096,
		SSEInterval:     time.Second,
		Fanout:          FanoutProcess,
		StopGrace:       2 * time.Second,
	}
}

// Flags registers one flag per field of o on fs, with Defaults as the
// default values, and sets o's fields to those defaults. Log has no flag.
func (o *Options) Flags(fs *pflag.FlagSet) {
	d := Defaults()
	fs.StringVar(&o.Listen, "listen", d.Listen,
		"host:port of the listening socket shared by all workers (port 0 picks a free one)")
	fs.IntVar(&o.Workers, "workers", d.Workers,
		"worker processes, 1 to 64; each has its own GIL, boards, SSE poller and cache")
	fs.DurationVar(&o.SearchCPU, "search-cpu", d.SearchCPU,
		"CPU burnt per /api/zeus/search while holding the worker's GIL")
	fs.DurationVar(&o.SearchBlocking, "search-blocking", d.SearchBlocking,
		"sleep per search while holding the GIL (time.sleep in async def): stalls the worker, no CPU")
	fs.DurationVar(&o.SearchWait, "search-wait", d.SearchWait,
		"await per search without the GIL (async DB call): other requests proceed")
	fs.DurationVar(&o.SearchWaitJitter, "search-wait-jitter", d.SearchWaitJitter,
		"add a uniform random [0, jitter) to each --search-wait")
	fs.DurationVar(&o.LookupMiss, "lookup-miss", d.LookupMiss,
		"blocking cost (GIL held) of a /api/customers/lookup cache miss; hits are free")
	fs.IntVar(&o.CacheEntryBytes, "cache-entry-bytes", d.CacheEntryBytes,
		"bytes kept per cached lookup, written so RSS grows per worker")
	fs.IntVar(&o.CacheMaxEntries, "cache-max-entries", d.CacheMaxEntries,
		"bound on each worker's lookup cache, evicting an arbitrary entry past it (0: unbounded)")
	fs.DurationVar(&o.SSEInterval, "sse-interval", d.SSEInterval,
		"period of each worker's poll loop feeding /api/stream, one event per poll")
	o.Fanout = d.Fanout
	fs.Var(&o.Fanout, "fanout",
		`broadcast reach: "process" = the POSTed worker's boards only (module-level list); `+
			`"shared" = every worker's boards (Redis pub/sub, relayed by the parent)`)
	fs.IntVar(&o.WSDropEvery, "ws-drop-every", d.WSDropEvery,
		"test hook: skip every Nth broadcast to each board (0: off)")
	fs.BoolVar(&o.WSDup, "ws-dup", d.WSDup,
		"test hook: send every broadcast twice to each board")
	fs.DurationVar(&o.WSCloseAfter, "ws-close-after", d.WSCloseAfter,
		"test hook: each worker closes all its boards once (1012), this long after its first board connected (0: off)")
	fs.DurationVar(&o.StopGrace, "stop-grace", d.StopGrace,
		"on stop, how long workers may drain after SIGTERM; they are killed a second later")
}

// withDefaults returns a copy of o with empty fields filled in, or every
// problem found. The fields but Listen take the defaults of Defaults.
func (o Options) withDefaults() (Options, error) {
	d := Defaults()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Workers == 0 {
		o.Workers = d.Workers
	}
	if o.SSEInterval == 0 {
		o.SSEInterval = d.SSEInterval
	}
	if o.Fanout == "" {
		o.Fanout = d.Fanout
	}
	if o.StopGrace == 0 {
		o.StopGrace = d.StopGrace
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(o.Workers >= 1 && o.Workers <= MaxWorkers, "workers: want 1 to %d, got %d", MaxWorkers, o.Workers)
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"search-cpu", o.SearchCPU},
		{"search-blocking", o.SearchBlocking},
		{"search-wait", o.SearchWait},
		{"search-wait-jitter", o.SearchWaitJitter},
		{"lookup-miss", o.LookupMiss},
		{"ws-close-after", o.WSCloseAfter},
	} {
		check(d.v >= 0, "%s: want >= 0, got %v", d.name, d.v)
	}
	check(o.SSEInterval > 0, "sse-interval: want > 0, got %v", o.SSEInterval)
	check(o.StopGrace > 0, "stop-grace: want > 0, got %v", o.StopGrace)
	check(o.CacheEntryBytes >= 0, "cache-entry-bytes: want >= 0, got %d", o.CacheEntryBytes)
	check(o.CacheMaxEntries >= 0, "cache-max-entries: want >= 0, got %d", o.CacheMaxEntries)
	check(o.WSDropEvery >= 0, "ws-drop-every: want >= 0, got %d", o.WSDropEvery)
	if err := new(Fanout).Set(string(o.Fanout)); err != nil {
		errs = append(errs, fmt.Errorf("fanout: %v", err))
	}
	return o, errors.Join(errs...)
}
