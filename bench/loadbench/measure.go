// measure is one run of one tool and what it measured; the figures the
// table shows are derived from it.

package main

import (
	"time"
)

// measure is one run of one tool.
type measure struct {
	Tool     string        `json:"tool"`
	Test     string        `json:"test"`
	Rate     float64       `json:"rate,omitempty"`  // asked (open model)
	Conns    int           `json:"conns,omitempty"` // closed model
	Duration time.Duration `json:"duration_ns"`
	Requests uint64        `json:"requests"`
	Errors   uint64        `json:"errors"`
	P50      time.Duration `json:"p50_ns"`
	P95      time.Duration `json:"p95_ns"`
	P99      time.Duration `json:"p99_ns"`
	CPU      time.Duration `json:"cpu_ns"` // user + system
	MaxRSS   int64         `json:"max_rss_bytes"`
	Late     uint64        `json:"late,omitempty"` // loadcheck only
	Pass     bool          `json:"pass"`
	// ServerTruth holds the p50/p95/p99 of the requests the server saw.
	ServerTruth []time.Duration `json:"server_truth_ns,omitempty"`
}

func (m measure) ok() uint64 { return m.Requests - min(m.Errors, m.Requests) }

func (m measure) errRate() float64 {
	if m.Requests == 0 {
		return 1
	}
	return float64(m.Errors) / float64(m.Requests)
}

func (m measure) throughput() float64 { return float64(m.ok()) / m.Duration.Seconds() }

func (m measure) cpuPerReq() time.Duration {
	if m.Requests == 0 {
		return 0
	}
	return m.CPU / time.Duration(m.Requests)
}

// sustains reports whether an open-model run delivered its rate: errors
// below 0.1 % and at least 97 % of the asked requests answered.
func (m measure) sustains() bool {
	return m.errRate() < 0.001 && float64(m.ok()) >= 0.97*m.Rate*m.Duration.Seconds()
}

// results are the figures the table shows.
type results struct {
	max, fixed, lat50, freeze map[string]measure
	truth50                   []time.Duration // p50, p95, p99
	truthFreeze               []time.Duration
	soak                      []soakSample
	soakRun                   *measure
	pairRate                  float64
	pairs                     []pair
}

type soakSample struct {
	At  time.Duration `json:"at_ns"`
	RSS int64         `json:"rss_bytes"`
}
