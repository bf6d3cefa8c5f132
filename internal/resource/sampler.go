package resource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/loadcheck/loadcheck/internal/proc"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Kinds of sampling failure, as counted in Summary.Errors.
const (
	KindGone       = "process gone"      // a named process or cgroup is not there
	KindPermission = "permission denied" // a /proc or cgroup file could not be read
	KindPIDFile    = "pidfile"           // the pid file is missing or holds no pid
	KindNoMatch    = "no match"          // no process matches the command-line text
	KindScrape     = "scrape error"      // the metrics URL failed or lacks the process metrics
	KindRead       = "read error"        // anything else
)

// A source takes readings of the target.
type source interface {
	// read takes one reading. An error means nothing could be read this
	// time; lesser failures go in reading.errs.
	read(ctx context.Context) (reading, error)
}

// Sampler samples the CPU and memory of the target from one source. Run
// takes the samples; Current may be called concurrently with Run, and
// Summary after Run returns. Its methods are safe for concurrent use.
type Sampler struct {
	src    source
	desc   string
	every  time.Duration
	window time.Duration

	// restart asks Run to take a reading and restart the figures from it.
	restart chan struct{}

	mu  sync.Mutex
	ran bool
	t   *tally
}

// New returns a Sampler of src, or of the process tree of rootPID when src
// names no source. src is valid, as LoadTarget makes it. rootPID is the pid of the target loadcheck started, 0
// when it did not start it. cfg's zero fields take the scenario's
// defaults (scenario.Resources.WithDefaults).
//
// New checks that the source is there (the process, the pid file, the
// cgroup); it does not scrape a Prometheus URL. Resolving a systemd unit
// runs systemctl, bounded by a few seconds.
func New(src scenario.ResourceSource, rootPID int, cfg scenario.Resources) (*Sampler, error) {
	cfg = cfg.WithDefaults()
	every, window := cfg.Every, cfg.SustainedWindow
	if every < 0 || window < 0 {
		return nil, fmt.Errorf("resources: every %v, sustained_window %v: want positive durations", every, window)
	}

	s, desc, err := open(src, rootPID, every)
	if err != nil {
		return nil, err
	}
	return &Sampler{src: s, desc: desc, every: every, window: window, t: newTally(window), restart: make(chan struct{}, 1)}, nil
}

// readers opens a reader of each kind of source; every names the
// sampling interval. A new kind of source is one entry here and its
// reader.
var readers = map[scenario.SourceKind]func(src scenario.ResourceSource, every time.Duration) (source, string, error){
	scenario.SourcePID: func(src scenario.ResourceSource, _ time.Duration) (source, string, error) {
		return newPIDSource(src.PID())
	},
	scenario.SourcePIDFile: func(src scenario.ResourceSource, _ time.Duration) (source, string, error) {
		return newPIDFileSource(src.Arg)
	},
	scenario.SourceProcess: func(src scenario.ResourceSource, _ time.Duration) (source, string, error) {
		return newMatchSource(src.Arg)
	},
	scenario.SourceSystemdUnit: func(src scenario.ResourceSource, _ time.Duration) (source, string, error) {
		return newUnitSource(src.Arg)
	},
	scenario.SourceCgroup: func(src scenario.ResourceSource, _ time.Duration) (source, string, error) {
		return newCgroupSource(src.Arg)
	},
	scenario.SourcePrometheus: func(src scenario.ResourceSource, every time.Duration) (source, string, error) {
		return newPromSource(src.Arg, every, src.PrometheusTLS)
	},
}

// open opens the reader of src, or of the process tree of rootPID when src
// names no source, and describes it.
func open(src scenario.ResourceSource, rootPID int, every time.Duration) (source, string, error) {
	if !src.IsZero() {
		r, ok := readers[src.Kind]
		if !ok {
			return nil, "", fmt.Errorf("resources: source %q: loadcheck has no reader of it", src.Kind)
		}
		return r(src, every)
	}
	if rootPID > 0 {
		return newTreeSource(rootPID)
	}
	kinds := scenario.SourceKinds()
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return nil, "", fmt.Errorf("resources: no source: name %s or %s for a target loadcheck does not start",
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// Run samples at once and then every cfg.Every until ctx is done, takes a
// last sample so that the final partial interval counts, and returns nil.
// Sampling failures are counted in the Summary, not returned. Run may be
// called once.
func (s *Sampler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return errors.New("resource: Sampler.Run called twice")
	}
	s.ran = true
	s.mu.Unlock()
	if c, ok := s.src.(interface{ close() }); ok {
		defer c.close()
	}

	tick := time.NewTicker(s.every)
	defer tick.Stop()
	last := s.sample(ctx)
	for {
		select {
		case <-ctx.Done():
			if time.Since(last) >= s.every/10 {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(s.every, 2*time.Second))
				s.sample(fctx)
				cancel()
			}
			return nil
		case <-tick.C:
			last = s.sample(ctx)
		case <-s.restart:
			if time.Since(last) >= s.every/10 {
				last = s.sample(ctx) // the baseline of the figures
			}
			s.mu.Lock()
			s.t.restart()
			s.mu.Unlock()
			tick.Reset(s.every)
		}
	}
}

// MeasureFrom asks Run to take a reading now and to restart every figure
// of the Summary from it, so that they cover what follows (the measured
// phase) and not the warm-up; the timeline stays whole. Ending the ctx of
// Run ends what the figures cover. It does not wait.
func (s *Sampler) MeasureFrom() {
	select {
	case s.restart <- struct{}{}:
	default:
	}
}

// sample takes one reading into the tally and returns when it began.
func (s *Sampler) sample(ctx context.Context) time.Time {
	began := time.Now()
	r, err := s.src.read(ctx)
	if ctx.Err() != nil && (err != nil || len(r.errs) > 0) {
		return began // interrupted by the end of the run, not a failure
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.t.fail(err)
		s.t.failedSamples++
		return began
	}
	if len(r.errs) > 0 {
		s.t.failedSamples++
	}
	s.t.add(r)
	return began
}

// Current returns the figures so far: cpu.sustained and cpu.total in
// percent of one core, and the peak of the total RSS in bytes (the value
// an rss.total gate would see). ok is false until two readings give a CPU
// figure. It is meant for abort conditions and progress while Run runs.
func (s *Sampler) Current() (cpuSustained, cpuTotal float64, rssTotal uint64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.sustained(), cpuPercent(s.t.cpuSum, s.t.wallSum), s.t.rssTotalPeak, s.t.n >= 2
}

// Summary returns what was measured. Call it after Run returns; called
// earlier, it describes the run so far.
func (s *Sampler) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := s.t.summary()
	sum.Source = s.desc
	sum.Every = s.every
	sum.SustainedWindow = s.window
	sum.Cores = runtime.NumCPU()
	return sum
}

// sampleErr is a sampling failure of a known kind.
type sampleErr struct {
	kind string
	err  error
}

func (e *sampleErr) Error() string { return e.err.Error() }
func (e *sampleErr) Unwrap() error { return e.err }

func failure(kind string, format string, args ...any) error {
	return &sampleErr{kind: kind, err: fmt.Errorf(format, args...)}
}

// errKind classifies a sampling failure.
func errKind(err error) string {
	var se *sampleErr
	switch {
	case errors.As(err, &se):
		return se.kind
	case proc.Gone(err):
		return KindGone
	case errors.Is(err, fs.ErrPermission):
		return KindPermission
	}
	return KindRead
}
