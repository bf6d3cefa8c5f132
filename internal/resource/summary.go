package resource

import "time"

// Summary is what the samplers measured of the target. CPU figures are in
// percent of one core; memory in bytes.
type Summary struct {
	Source string `json:"source"` // e.g. "process tree of pid 123", "cgroup /sys/fs/cgroup/…"
	// Start is the time of the first reading, the origin of the timeline's
	// T, so that figures can be taken over the measured phase alone.
	Start time.Time     `json:"start,omitzero"`
	Every time.Duration `json:"every_ns"`
	Cores int           `json:"cores"` // of the machine, for reading totals
	// CPUSustained is the highest rolling mean, over SustainedWindow (or the
	// whole run when shorter), of the busiest process's CPU.
	CPUSustained    float64       `json:"cpu_sustained_pct"`
	SustainedWindow time.Duration `json:"sustained_window_ns"`
	CPUTotal        float64       `json:"cpu_total_pct"`         // mean of the sum over processes (a cgroup's own usage for a cgroup)
	RSSTotal        uint64        `json:"rss_total_bytes"`       // peak of the sum (a cgroup's memory.current for a cgroup)
	RSSMaxProcess   uint64        `json:"rss_max_process_bytes"` // peak of any one process
	// Span is the wall time the CPU figures cover: the measured phase when
	// the run marked it (Sampler.MeasureFrom), else all of the sampling.
	// When it is shorter than SustainedWindow, CPUSustained is the mean
	// over Span, not over a full window (see WindowFilled).
	Span time.Duration `json:"span_ns,omitempty"`
	// Samples is the number of readings taken; CPU figures need two.
	// FailedSamples counts those that failed or were partial (a scrape
	// error, a series without its RSS).
	Samples       int       `json:"samples"`
	FailedSamples int       `json:"failed_samples,omitempty"`
	Processes     []Process `json:"processes"`
	Timeline      []Sample  `json:"timeline"`
	// Errors counts sampling failures by kind (process gone, permission
	// denied, scrape error), with one example each; they are not fatal.
	Errors []SampleError `json:"errors,omitempty"`
}

// WindowFilled reports whether the figures span a whole sustained window,
// so that CPUSustained is a rolling mean over the window rather than the
// mean over a shorter phase. A summary without Span (an older result)
// counts as filled.
func (s Summary) WindowFilled() bool {
	return s.Span == 0 || s.Span+s.Every/2 >= s.SustainedWindow
}

// Process is one process (or Prometheus series, or cgroup) of the target.
type Process struct {
	PID          int            `json:"pid,omitempty"`
	Name         string         `json:"name"`           // command line, or series/cgroup name
	Role         string         `json:"role,omitempty"` // master, worker, redis, nginx … where known
	CPUMean      float64        `json:"cpu_mean_pct"`
	CPUSustained float64        `json:"cpu_sustained_pct"`
	RSSPeak      uint64         `json:"rss_peak_bytes"`
	Exited       *time.Duration `json:"exited_after_ns,omitempty"` // when a sample first found it gone, from the start of sampling
	// Seen is when the process was first seen, from the start of sampling:
	// 0 for processes there from the start, later for workers started
	// during the run.
	Seen time.Duration `json:"seen_after_ns"`
}

// Sample is one row of the timeline: T from the start of sampling.
type Sample struct {
	T   time.Duration `json:"t_ns"`
	CPU float64       `json:"cpu_total_pct"`
	RSS uint64        `json:"rss_total_bytes"`
	// PerProcess is CPU % of each process, in the order of Summary.Processes
	// (shorter when later processes had not appeared yet).
	PerProcess []float64 `json:"per_process_cpu_pct"`
	// PerProcessRSS is the RSS of each process, in the same order; 0 for a
	// process not running at T.
	PerProcessRSS []uint64 `json:"per_process_rss_bytes"`
}

// SampleError counts one kind of sampling failure.
type SampleError struct {
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}
