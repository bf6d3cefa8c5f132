package downstream

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// maxTop bounds the entries of Summary.Top.
const maxTop = 10

// Summary is what the measured phase did to one downstream. It is part of
// a run's result, so its JSON names are kept.
type Summary struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Source names where the calls were counted (see Reading.Source).
	Source string `json:"source"`
	// Calls in the measured phase, and per second of it.
	Calls      float64 `json:"calls"`
	Seconds    float64 `json:"seconds"`
	RatePerSec float64 `json:"rate_per_sec"`
	// Top are the statements, commands, paths or series with most calls,
	// most first.
	Top []Entry `json:"top,omitempty"`
	// ByPID splits a stub's calls by calling process; 0 is "not found".
	ByPID map[int]float64 `json:"by_pid,omitempty"`
	// Conns are the target's connections to the downstream; nil when it
	// has no address.
	Conns *ConnSummary `json:"conns,omitempty"`
	// Series is the calls since the start of the phase, over the phase.
	Series []Point `json:"series,omitempty"`
	// Missing says the downstream could not be read from some time on:
	// the figures are up to the last reading that worked.
	Missing string `json:"missing,omitempty"`
	// Combined says how Merge combined the shards' summaries.
	Combined string `json:"combined,omitempty"`
}

// Entry is one statement, command, path or series and its calls.
type Entry struct {
	Key   string  `json:"key"`
	Calls float64 `json:"calls"`
}

// Point is the calls counted from the start of the phase to Seconds into
// it.
type Point struct {
	Seconds float64 `json:"t_s"`
	Calls   float64 `json:"calls"`
}

// ConnSummary is the connections the target's processes held to a
// downstream over the phase, sampled: the peak of their sum and its mean
// over the samples, and the same per process.
type ConnSummary struct {
	Peak int     `json:"peak"`
	Mean float64 `json:"mean"`
	// MaxProcess is the highest peak of one process.
	MaxProcess int               `json:"max_process"`
	ByPID      map[int]ProcConns `json:"by_pid,omitempty"`
	Samples    int               `json:"samples"`
	// Error is the latest failure to read the processes' sockets.
	Error string `json:"error,omitempty"`
}

// ProcConns is one process's connections over the phase.
type ProcConns struct {
	Peak int     `json:"peak"`
	Mean float64 `json:"mean"`
}

// PerRequest is the calls per successful HTTP response of the phase; 0
// when there was none.
func (s Summary) PerRequest(okResponses int64) float64 {
	if okResponses <= 0 {
		return 0
	}
	return s.Calls / float64(okResponses)
}

// connStats accumulates connection samples.
type connStats struct {
	samples int
	peak    int
	sum     int
	byPID   map[int]*procStats
	err     error
}

type procStats struct{ peak, sum int }

func newConnStats() connStats { return connStats{byPID: map[int]*procStats{}} }

func (c *connStats) add(byPID map[int]int, err error) {
	if err != nil {
		c.err = err
		return
	}
	c.samples++
	total := 0
	for pid, n := range byPID {
		p := c.byPID[pid]
		if p == nil {
			p = &procStats{}
			c.byPID[pid] = p
		}
		p.peak, p.sum = max(p.peak, n), p.sum+n
		total += n
	}
	c.peak, c.sum = max(c.peak, total), c.sum+total
}

func (c *connStats) summary() *ConnSummary {
	s := &ConnSummary{Peak: c.peak, Samples: c.samples, ByPID: map[int]ProcConns{}}
	if c.err != nil {
		s.Error = c.err.Error()
	}
	if c.samples == 0 {
		return s
	}
	s.Mean = float64(c.sum) / float64(c.samples)
	for pid, p := range c.byPID {
		if p.peak == 0 {
			// A process that never held one (a launcher, the database's
			// own backends) would only crowd the report.
			continue
		}
		// A process absent from a sample held none then.
		s.ByPID[pid] = ProcConns{Peak: p.peak, Mean: float64(p.sum) / float64(c.samples)}
		s.MaxProcess = max(s.MaxProcess, p.peak)
	}
	return s
}

// summary is d's summary of the phase that started at from (zero: not
// yet).
func (d *watched) summary(from time.Time) Summary {
	s := Summary{Name: d.Name, Kind: string(d.Kind), Source: d.last.Source}
	if d.Addr.IsValid() {
		s.Conns = d.conns.summary()
	}
	if d.err != nil {
		since := d.errAt.Format(time.TimeOnly)
		if !from.IsZero() && d.errAt.After(from) {
			since = fmt.Sprintf("%.1f s into the phase", d.errAt.Sub(from).Seconds())
		}
		s.Missing = fmt.Sprintf("no reading since %s (%v); the figures are up to the last reading that worked", since, d.err)
	}
	if from.IsZero() || d.start.At.IsZero() {
		return s
	}
	s.Calls = d.last.Total - d.start.Total
	s.Seconds = d.last.At.Sub(d.start.At).Seconds()
	if s.Seconds > 0 {
		s.RatePerSec = s.Calls / s.Seconds
	}
	s.Top = top(diff(d.last.By, d.start.By))
	if d.last.ByPID != nil {
		s.ByPID = map[int]float64{}
		for pid, n := range diffPID(d.last.ByPID, d.start.ByPID) {
			s.ByPID[pid] = n
		}
	}
	s.Series = slices.Clone(d.series)
	return s
}

func diff(end, start map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range end {
		if n := v - start[k]; n > 0 {
			out[k] = n
		}
	}
	return out
}

func diffPID(end, start map[int]float64) map[int]float64 {
	out := map[int]float64{}
	for k, v := range end {
		if n := v - start[k]; n > 0 {
			out[k] = n
		}
	}
	return out
}

// top returns the maxTop entries of by with most calls, most first, ties
// by key.
func top(by map[string]float64) []Entry {
	var out []Entry
	for _, k := range slices.Sorted(maps.Keys(by)) {
		out = append(out, Entry{Key: k, Calls: by[k]})
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return cmp.Compare(b.Calls, a.Calls) })
	return out[:min(len(out), maxTop)]
}

// How Merge combines the shards' summaries of one downstream.
const (
	CombinedOnce  = "read once: a global counter, the same for every shard; shard 1's reading"
	CombinedAdded = "added: each shard serves its own stub; calls and connections summed over the shards"
)

// Merge combines the summaries of the shards of one run, downstream by
// downstream in shard 1's order. A global counter (postgres, redis,
// prometheus) counts every shard's calls already, so shard 1's summary is
// taken; a stub is served by each shard, so calls, rates, per-path and
// per-process figures and connections add up (the peak of the sum is then
// at most the sum of the peaks). Each merged summary says which in
// Combined.
func Merge(shards ...[]Summary) []Summary {
	if len(shards) == 0 {
		return nil
	}
	var out []Summary
	for _, first := range shards[0] {
		s := first
		if s.Kind != string(scenario.DownstreamStub) {
			s.Combined = CombinedOnce
			out = append(out, s)
			continue
		}
		s = cloneSummary(first)
		for _, shard := range shards[1:] {
			if i := slices.IndexFunc(shard, func(o Summary) bool { return o.Name == first.Name }); i >= 0 {
				addStub(&s, shard[i])
			}
		}
		s.Combined = CombinedAdded
		out = append(out, s)
	}
	return out
}

func cloneSummary(s Summary) Summary {
	s.Top = slices.Clone(s.Top)
	s.ByPID = maps.Clone(s.ByPID)
	s.Series = slices.Clone(s.Series)
	if s.Conns != nil {
		c := *s.Conns
		c.ByPID = maps.Clone(c.ByPID)
		s.Conns = &c
	}
	return s
}

// addStub adds o, another shard's summary of the same stub, to s.
func addStub(s *Summary, o Summary) {
	s.Calls += o.Calls
	s.RatePerSec += o.RatePerSec
	s.Seconds = max(s.Seconds, o.Seconds)
	by := map[string]float64{}
	for _, e := range append(slices.Clone(s.Top), o.Top...) {
		by[e.Key] += e.Calls
	}
	s.Top = top(by)
	for pid, n := range o.ByPID {
		if s.ByPID == nil {
			s.ByPID = map[int]float64{}
		}
		s.ByPID[pid] += n
	}
	// Series of shards sampled at their own times: summed point by point
	// over the points both have.
	n := min(len(s.Series), len(o.Series))
	s.Series = s.Series[:n]
	for i := range n {
		s.Series[i].Calls += o.Series[i].Calls
	}
	if o.Missing != "" {
		s.Missing = cmp.Or(s.Missing, o.Missing)
	}
	if s.Conns != nil && o.Conns != nil {
		s.Conns.Peak += o.Conns.Peak
		s.Conns.Mean += o.Conns.Mean
		s.Conns.MaxProcess = max(s.Conns.MaxProcess, o.Conns.MaxProcess)
		for pid, p := range o.Conns.ByPID {
			q := s.Conns.ByPID[pid]
			s.Conns.ByPID[pid] = ProcConns{Peak: q.Peak + p.Peak, Mean: q.Mean + p.Mean}
		}
	}
}
