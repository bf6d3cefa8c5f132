package result

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
)

// EndpointNames lists the endpoints of rs, in the order they first
// appear: the rows of a comparison and its latency charts.
func EndpointNames(rs ...*Result) []string {
	var names []string
	for _, r := range rs {
		for _, e := range r.HTTP.Endpoints {
			if !slices.Contains(names, e.Name) {
				names = append(names, e.Name)
			}
		}
	}
	return names
}

// DownstreamNames lists the downstreams of rs, in the order they first
// appear.
func DownstreamNames(rs ...*Result) []string {
	var names []string
	for _, r := range rs {
		for _, n := range metric.InstancesOf(r, metric.ObservedDownstreams) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// downstreamPerRequest is each downstream's calls per request in r, for
// the history.
func downstreamPerRequest(r *Result) map[string]float64 {
	var out map[string]float64
	for _, ds := range DownstreamNames(r) {
		if v, ok := r.Metric(metric.Instance(metric.DownstreamPerRequest, ds)); ok {
			if out == nil {
				out = map[string]float64{}
			}
			out[ds] = v.V
		}
	}
	return out
}

// HistoryEntry is one target's figures of one night: one line of
// reports/history.jsonl. Latencies are in milliseconds, shares in percent,
// rates per second.
type HistoryEntry struct {
	Schema   int       `json:"schema"`
	Date     string    `json:"date"` // YYYY-MM-DD, the night it belongs to
	Time     time.Time `json:"time"` // when the run started
	Scenario string    `json:"scenario"`
	Target   string    `json:"target"`
	RunID    string    `json:"run_id"`
	Status   Status    `json:"status"`
	Pass     bool      `json:"pass"`
	Failed   []string  `json:"failed,omitempty"` // failing gates, as written
	// P95 maps each endpoint, and "all", to its p95 latency.
	P95    map[string]record.DurationMs `json:"p95_ms"`
	Rate   float64                      `json:"rate_per_s"`
	Errors float64                      `json:"errors_pct"`
	// WSLoss is nil when the scenario has no websocket section.
	WSLoss       *float64 `json:"ws_loss_pct,omitempty"`
	CPUSustained *float64 `json:"cpu_sustained_pct,omitempty"`
	RSSTotal     uint64   `json:"rss_total_bytes,omitempty"`
	// Capacity is the saturate result that night, 0 when none ran.
	Capacity float64 `json:"capacity_per_s,omitempty"`
	// PerRequest is each downstream's calls per successful response.
	PerRequest map[string]float64 `json:"downstream_per_request,omitempty"`
}

// HistoryEntryOf summarises r (and the capacity search s, which may be
// nil) as the history line of the night date.
func HistoryEntryOf(date string, r *Result, s *Saturation) HistoryEntry {
	e := HistoryEntry{
		Schema: Schema, Date: date, Time: r.Start, Scenario: r.Scenario.Name, Target: r.Target.Name,
		RunID: r.RunID, Status: r.Status, Pass: r.Pass, P95: map[string]record.DurationMs{},
		Rate: r.HTTP.Total.Achieved, Errors: r.HTTP.Total.ErrorRate(),
	}
	for _, o := range r.Gates {
		if !o.Pass {
			e.Failed = append(e.Failed, o.Gate)
		}
	}
	for _, ep := range r.HTTP.Endpoints {
		if ep.Requests > 0 {
			e.P95[ep.Name] = ep.Latency.P95
		}
	}
	if r.HTTP.Total.Requests > 0 {
		e.P95["all"] = r.HTTP.Total.Latency.P95
	}
	if v, ok := r.Metric(metric.WSLoss); ok {
		e.WSLoss = &v.V
	}
	if v, ok := r.Metric(metric.CPUSustained); ok {
		e.CPUSustained = &v.V
	}
	if r.Resources != nil {
		e.RSSTotal = r.Resources.RSSTotal
	}
	if s != nil {
		e.Capacity = s.Capacity
	}
	e.PerRequest = downstreamPerRequest(r)
	return e
}

// ReadHistory reads a history file. A missing file is an empty history.
// Lines that do not decode (a file edited by hand) are skipped and
// counted in skipped.
func ReadHistory(path string) (entries []HistoryEntry, skipped int, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e HistoryEntry
		if json.Unmarshal(line, &e) != nil || e.Date == "" || e.Target == "" {
			skipped++
			continue
		}
		entries = append(entries, e)
	}
	return entries, skipped, sc.Err()
}

// AppendHistory adds entries to the history file at path, atomically: the
// whole new file is written beside the old one and renamed over it, so a
// crash leaves either the old file or the new one, never a partial line.
// An entry replaces an earlier line of the same date, scenario and target
// (a night run again). Lines are kept in date order.
func AppendHistory(path string, entries []HistoryEntry) error {
	old, _, err := ReadHistory(path)
	if err != nil {
		return err
	}
	all := MergeHistory(old, entries)
	return WriteFileAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for _, e := range all {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			bw.Write(b)
			bw.WriteByte('\n')
		}
		return bw.Flush()
	})
}

// MergeHistory returns history with entries added: an entry replaces an
// earlier one of the same date, scenario and target (a night run again),
// and the entries are in date order. history is not changed.
func MergeHistory(history, entries []HistoryEntry) []HistoryEntry {
	key := func(e HistoryEntry) string { return e.Date + "\x00" + e.Scenario + "\x00" + e.Target }
	replaced := map[string]bool{}
	for _, e := range entries {
		replaced[key(e)] = true
	}
	var all []HistoryEntry
	for _, e := range history {
		if !replaced[key(e)] {
			all = append(all, e)
		}
	}
	all = append(all, entries...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Date < all[j].Date })
	return all
}

// Thresholds say when a night's figures count as a regression against
// earlier nights.
type Thresholds struct {
	// P95Growth is the growth of any endpoint's p95, in percent, that is
	// flagged (default 20).
	P95Growth float64
	// P95Floor is the smallest absolute p95 growth flagged: a 2 ms page
	// taking 3 ms is noise, not a regression (default 10ms).
	P95Floor time.Duration
	// CapacityDrop is the drop of capacity, in percent, that is flagged
	// (default 15).
	CapacityDrop float64
	// Baseline is how many earlier nights (the most recent) the median
	// baseline is taken over (default 7).
	Baseline int
}

// DefaultThresholds returns the thresholds loadcheck nightly uses unless
// told otherwise.
func DefaultThresholds() Thresholds {
	return Thresholds{P95Growth: 20, P95Floor: 10 * time.Millisecond, CapacityDrop: 15, Baseline: 7}
}

// Regression is one figure of one target that got worse than earlier
// nights allow.
type Regression struct {
	Target string `json:"target"`
	// Metric is a gate-style name: "http.<endpoint>.p95", "capacity" or
	// "ws.loss".
	Metric string `json:"metric"`
	// Baseline is the median over the earlier nights, Now tonight's, in
	// the metric's unit (ms, req/s, %).
	Baseline float64 `json:"baseline"`
	Now      float64 `json:"now"`
	Nights   int     `json:"nights"` // earlier nights in the baseline
	Text     string  `json:"text"`
}

// Trend returns the entries of scenario over the last nights nights
// (distinct dates, the latest included), in date order.
func Trend(history []HistoryEntry, scenario string, nights int) []HistoryEntry {
	var dates []string
	seen := map[string]bool{}
	var mine []HistoryEntry
	for _, e := range history {
		if e.Scenario != scenario {
			continue
		}
		mine = append(mine, e)
		if !seen[e.Date] {
			seen[e.Date] = true
			dates = append(dates, e.Date)
		}
	}
	sort.Strings(dates)
	if len(dates) > nights {
		dates = dates[len(dates)-nights:]
	}
	if len(dates) == 0 {
		return nil
	}
	first := dates[0]
	var out []HistoryEntry
	for _, e := range mine {
		if e.Date >= first {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}

// TrendIndex is a trend's nights and targets in order of first
// appearance, with each night's entry per target: the rows and columns of
// the nightly report's trend table, the points and lines of its charts.
type TrendIndex struct {
	Dates, Targets []string
	by             map[[2]string]HistoryEntry
}

// IndexTrend indexes trend, the entries Trend returns.
func IndexTrend(trend []HistoryEntry) TrendIndex {
	ix := TrendIndex{by: map[[2]string]HistoryEntry{}}
	for _, e := range trend {
		if !slices.Contains(ix.Dates, e.Date) {
			ix.Dates = append(ix.Dates, e.Date)
		}
		if !slices.Contains(ix.Targets, e.Target) {
			ix.Targets = append(ix.Targets, e.Target)
		}
		ix.by[[2]string{e.Date, e.Target}] = e
	}
	return ix
}

// Entry is target's entry of the night date; false when that night has
// none for it.
func (ix TrendIndex) Entry(date, target string) (HistoryEntry, bool) {
	e, ok := ix.by[[2]string{date, target}]
	return e, ok
}
