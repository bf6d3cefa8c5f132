package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
)

// This file renders what a run did to its target's downstreams: the
// Downstreams table, the calls-per-second chart, the downstream rows of a
// comparison and the Prometheus families, and the nightly regression of a
// downstream's calls per request.

// downstreamTable is the Downstreams section of one run: a row per
// downstream, then per downstream its top statements, commands or paths
// and its connections per process.
func downstreamTable(r *result.Result) table.Table {
	t := table.Table{
		Title:  "Downstreams",
		Header: []string{"downstream", "source", "calls", "calls /s", "per request", "conns peak", "conns max/process"},
	}
	for _, s := range r.Downstreams {
		source := s.Kind
		if s.Source != "" && s.Source != s.Kind {
			source += " (" + s.Source + ")"
		}
		t.Rows = append(t.Rows, []string{s.Name, source, number(s.Calls), rateString(s.RatePerSec),
			perRequestCell(r, s.Name), connsCell(s.Conns, false), connsCell(s.Conns, true)})
	}
	for _, s := range r.Downstreams {
		t.Notes = append(t.Notes, downstreamNotes(s)...)
	}
	t.Notes = append(t.Notes, "per request: calls per successful HTTP response of the measured phase; postgres, redis and prometheus counters are global: they count every client's calls, not only the target's")
	return t
}

// downstreamNotes are one downstream's top entries, connections per
// process, and anything missing or merged.
func downstreamNotes(s downstream.Summary) []string {
	var notes []string
	if len(s.Top) > 0 {
		var top []string
		for _, e := range s.Top {
			top = append(top, fmt.Sprintf("%s (%s)", e.Key, number(e.Calls)))
		}
		notes = append(notes, s.Name+" top: "+strings.Join(top, "; "))
	}
	if c := s.Conns; c != nil && len(c.ByPID) > 0 {
		var per []string
		for _, pid := range slices.Sorted(maps.Keys(c.ByPID)) {
			if p := c.ByPID[pid]; p.Peak > 0 {
				per = append(per, fmt.Sprintf("pid %d peak %d mean %.1f", pid, p.Peak, p.Mean))
			}
		}
		if len(per) > 0 {
			notes = append(notes, s.Name+" connections by process: "+strings.Join(per, ", "))
		}
	}
	if len(s.ByPID) > 0 {
		var per []string
		for _, pid := range slices.Sorted(maps.Keys(s.ByPID)) {
			who := fmt.Sprintf("pid %d", pid)
			if pid == 0 {
				who = "unknown process"
			}
			per = append(per, fmt.Sprintf("%s %s", who, number(s.ByPID[pid])))
		}
		notes = append(notes, s.Name+" calls by process: "+strings.Join(per, ", "))
	}
	if s.Conns != nil && s.Conns.Error != "" {
		notes = append(notes, "warning: "+s.Name+" connections: "+s.Conns.Error)
	}
	if s.Missing != "" {
		notes = append(notes, "warning: "+s.Name+": "+s.Missing)
	}
	if s.Combined != "" {
		notes = append(notes, s.Name+" across shards: "+s.Combined)
	}
	return notes
}

func perRequestCell(r *result.Result, name string) string {
	v, ok := r.Metric(metric.Instance(metric.DownstreamPerRequest, name))
	if !ok {
		return "–"
	}
	if v.V > 0 && v.V < 0.01 {
		return strconv.FormatFloat(v.V, 'g', 2, 64)
	}
	return strconv.FormatFloat(v.V, 'f', 2, 64)
}

func connsCell(c *downstream.ConnSummary, maxProcess bool) string {
	if c == nil || c.Samples == 0 {
		return "–"
	}
	if maxProcess {
		return strconv.Itoa(c.MaxProcess)
	}
	return strconv.Itoa(c.Peak)
}

// number formats a count that may be fractional (a Prometheus counter).
func number(f float64) string {
	if f == float64(int64(f)) {
		return count(int64(f))
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

func rateString(f float64) string {
	if f < 10 {
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
	return rate1(f)
}

// instanceNames are the names a compared metric has in rs: its own, or
// one per downstream of rs for a downstream's.
func instanceNames(m metric.Metric, rs []*result.Result) []string {
	if !m.PerDownstream() {
		return []string{m.Name}
	}
	var names []string
	for _, ds := range result.DownstreamNames(rs...) {
		names = append(names, m.For(ds))
	}
	return names
}
