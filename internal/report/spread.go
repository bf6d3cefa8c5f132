package report

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
)

// notSpreadShare is the share of the workers' CPU at which one worker is
// taken to have done the work alone: the load did not spread.
const notSpreadShare = 90.0

// minSpreadCPU is the workers' mean CPU, in % of one core, below which
// their split is not judged: a few requests land where they land.
const minSpreadCPU = 5.0

// WorkerShare is one worker process's share of the target's work over the
// measured phase.
type WorkerShare struct {
	PID   int
	CPU   float64 // mean, % of one core
	Share float64 // % of the CPU of all workers
}

// Spread returns how the work spread over the target's worker processes
// (role "worker") in the measured phase, from the resource timeline: nil
// with fewer than two workers or no CPU measured. A multi-worker target
// whose load rides a few connections, or whose proxy pins every client to
// one worker, shows one worker with nearly all of it.
func Spread(r *result.Result) []WorkerShare {
	s := r.Resources
	if s == nil {
		return nil
	}
	var idx []int
	for i, p := range s.Processes {
		if p.Role == "worker" {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return nil
	}
	sum := make([]float64, len(s.Processes))
	n := 0
	var prev time.Duration
	for _, smp := range s.Timeline {
		mid := s.Start.Add(prev + (smp.T-prev)/2)
		prev = smp.T
		if !s.Start.IsZero() && !r.Start.IsZero() && (mid.Before(r.Start) || mid.After(r.Start.Add(r.Elapsed))) {
			continue
		}
		for i, c := range smp.PerProcess {
			sum[i] += c
		}
		n++
	}
	if n == 0 {
		return nil
	}
	var total float64
	for _, i := range idx {
		total += sum[i]
	}
	if total <= 0 {
		return nil
	}
	out := make([]WorkerShare, 0, len(idx))
	for _, i := range idx {
		out = append(out, WorkerShare{PID: s.Processes[i].PID, CPU: sum[i] / float64(n), Share: 100 * sum[i] / total})
	}
	return out
}

// spreadNote says how the work spread over the workers, "" when there is
// nothing to say.
func spreadNote(ws []WorkerShare) string {
	if len(ws) == 0 {
		return ""
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("pid %d %.1f%%", w.PID, w.Share)
	}
	return fmt.Sprintf("work over %d workers in the measured phase (share of their CPU): %s", len(ws), strings.Join(parts, ", "))
}

// spreadWarning returns "load did not spread: …" when one of several
// workers did notSpreadShare % or more of the work, else "".
func spreadWarning(r *result.Result) string {
	ws := Spread(r)
	var total float64
	for _, w := range ws {
		total += w.CPU
	}
	if total < minSpreadCPU {
		return ""
	}
	top := slices.MaxFunc(ws, func(a, b WorkerShare) int { return int(a.Share*1000 - b.Share*1000) })
	if top.Share < notSpreadShare {
		return ""
	}
	why := "the load rode too few connections (http.clients, keepalive) or a proxy pins every client to one worker (source_address)"
	return fmt.Sprintf("load did not spread: worker pid %d did %.1f%% of the CPU of %d workers — %s; a second worker was not measured",
		top.PID, top.Share, len(ws), why)
}

// clientsNote says how the HTTP clients carry the load and where they
// came from, "" for results without it.
func clientsNote(r *result.Result) string {
	c := r.Scenario.Clients
	if c == 0 {
		return ""
	}
	var model string
	switch {
	case !r.Scenario.KeepAlive:
		model = fmt.Sprintf("%d clients, a new connection per request", c)
	case c == 1:
		model = "one client (one proxy with upstream keep-alive)"
	default:
		model = fmt.Sprintf("%d independent keep-alive clients", c)
	}
	if src := r.Sources; src != nil {
		switch {
		case src.Mode == "pinned":
			model += ", every client (boards, SSE and broadcaster too) from " + src.Pinned
		case src.HTTP != "":
			model += ", from " + src.HTTP
		case src.Note != "":
			model += "; " + src.Note
		case src.Mode == "system":
			model += ", source addresses chosen by the system"
		}
	}
	return "HTTP load: " + model
}

// networks lists the /24 networks of the comma-separated addresses, in
// order of first appearance: "127.1.1.0/24, 127.1.3.0/24".
func networks(addrs []string) string {
	var out []string
	for _, s := range addrs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		p, _ := a.Prefix(24)
		if a.Is6() {
			p, _ = a.Prefix(64)
		}
		if n := p.String(); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > 6 {
		out = append(out[:6], "… "+strconv.Itoa(len(out)-6)+" more")
	}
	return strings.Join(out, ", ")
}
