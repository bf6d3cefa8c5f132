package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
)

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
	P95    map[string]record.Millis `json:"p95_ms"`
	Rate   float64                  `json:"rate_per_s"`
	Errors float64                  `json:"errors_pct"`
	// WSLoss is nil when the scenario has no websocket section.
	WSLoss       *float64 `json:"ws_loss_pct,omitempty"`
	CPUSustained *float64 `json:"cpu_sustained_pct,omitempty"`
	RSSTotal     uint64   `json:"rss_total_bytes,omitempty"`
	// Capacity is the saturate result that night, 0 when none ran.
	Capacity float64 `json:"capacity_per_s,omitempty"`
}

// HistoryEntryOf summarises r (and the capacity search s, which may be
// nil) as the history line of the night date.
func HistoryEntryOf(date string, r *Result, s *Saturation) HistoryEntry {
	e := HistoryEntry{
		Schema: Schema, Date: date, Time: r.Start, Scenario: r.Scenario.Name, Target: r.Target.Name,
		RunID: r.RunID, Status: r.Status, Pass: r.Pass, P95: map[string]record.Millis{},
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
	if v, ok := r.Metric("ws.loss"); ok {
		e.WSLoss = &v.V
	}
	if v, ok := r.Metric("cpu.sustained"); ok {
		e.CPUSustained = &v.V
	}
	if r.Resources != nil {
		e.RSSTotal = r.Resources.RSSTotal
	}
	if s != nil {
		e.Capacity = s.Capacity
	}
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

// Regressions compares tonight's entries with earlier nights in history
// (entries dated before tonight's, same scenario and target): p95 growing
// past th.P95Growth (and th.P95Floor), capacity dropping past
// th.CapacityDrop, websocket loss appearing where every baseline night had
// none. Each baseline is the median of the last th.Baseline nights.
func Regressions(history []HistoryEntry, tonight []HistoryEntry, th Thresholds) []Regression {
	d := DefaultThresholds()
	if th.P95Growth <= 0 {
		th.P95Growth = d.P95Growth
	}
	if th.CapacityDrop <= 0 {
		th.CapacityDrop = d.CapacityDrop
	}
	if th.Baseline <= 0 {
		th.Baseline = d.Baseline
	}
	var out []Regression
	for _, now := range tonight {
		var before []HistoryEntry
		for _, e := range history {
			if e.Scenario == now.Scenario && e.Target == now.Target && e.Date < now.Date && e.Status == Complete {
				before = append(before, e)
			}
		}
		if len(before) == 0 {
			continue
		}
		sort.SliceStable(before, func(i, j int) bool { return before[i].Date < before[j].Date })
		if len(before) > th.Baseline {
			before = before[len(before)-th.Baseline:]
		}
		eps := make([]string, 0, len(now.P95))
		for ep := range now.P95 {
			eps = append(eps, ep)
		}
		sort.Strings(eps)
		for _, ep := range eps {
			var vals []float64
			for _, e := range before {
				if v, ok := e.P95[ep]; ok {
					vals = append(vals, float64(v)/float64(time.Millisecond))
				}
			}
			if len(vals) == 0 {
				continue
			}
			base := median(vals)
			cur := float64(now.P95[ep]) / float64(time.Millisecond)
			floor := float64(th.P95Floor) / float64(time.Millisecond)
			if base > 0 && cur > base*(1+th.P95Growth/100) && cur-base >= floor {
				metric := "http." + ep + ".p95"
				if ep == "all" {
					metric = "http.p95"
				}
				out = append(out, Regression{Target: now.Target, Metric: metric, Baseline: base, Now: cur, Nights: len(vals),
					Text: fmt.Sprintf("%s: %s %s ms → %s ms (+%.0f%%, more than +%.0f%% over the median of %s)",
						now.Target, metric, msFloat(base), msFloat(cur), 100*(cur-base)/base, th.P95Growth, Plural(len(vals), "earlier night", "earlier nights"))})
			}
		}
		if now.Capacity > 0 {
			var vals []float64
			for _, e := range before {
				if e.Capacity > 0 {
					vals = append(vals, e.Capacity)
				}
			}
			if len(vals) > 0 {
				base := median(vals)
				if now.Capacity < base*(1-th.CapacityDrop/100) {
					out = append(out, Regression{Target: now.Target, Metric: "capacity", Baseline: base, Now: now.Capacity, Nights: len(vals),
						Text: fmt.Sprintf("%s: capacity %s req/s → %s req/s (−%.0f%%, more than −%.0f%% against the median of %d earlier nights)",
							now.Target, rateNumber(base), rateNumber(now.Capacity), 100*(base-now.Capacity)/base, th.CapacityDrop, len(vals))})
				}
			}
		}
		if now.WSLoss != nil && *now.WSLoss > 0 {
			clean, n := true, 0
			for _, e := range before {
				if e.WSLoss != nil {
					n++
					clean = clean && *e.WSLoss == 0
				}
			}
			if n > 0 && clean {
				out = append(out, Regression{Target: now.Target, Metric: "ws.loss", Baseline: 0, Now: *now.WSLoss, Nights: n,
					Text: fmt.Sprintf("%s: ws.loss %s where the %d earlier nights lost no event", now.Target, pctString(*now.WSLoss), n)})
			}
		}
	}
	return out
}

func msFloat(f float64) string { return ms(record.Millis(f * float64(time.Millisecond))) }

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
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

// KindNightly is Nightly.Kind.
const KindNightly = "nightly"

// TrendNights is how many nights the nightly report's trend shows.
const TrendNights = 30

// Nightly is one night's report: the comparison of the targets, their
// capacity searches when asked for, the regressions against earlier
// nights, and the trend.
type Nightly struct {
	Schema      int           `json:"schema"`
	Kind        string        `json:"kind"` // always "nightly"
	Date        string        `json:"date"`
	Comparison  *Comparison   `json:"comparison"`
	Saturations []*Saturation `json:"saturations,omitempty"`
	Regressions []Regression  `json:"regressions"`
	Thresholds  Thresholds    `json:"thresholds"`
	// Trend holds the history lines of the last TrendNights nights,
	// tonight's included.
	Trend []HistoryEntry `json:"trend"`
	// Pass is true when every gate held, every capacity search passed and
	// nothing regressed.
	Pass bool `json:"pass"`
}

// Saturation returns the night's capacity search of the target named
// target, nil when none ran.
func (n *Nightly) Saturation(target string) *Saturation {
	var found *Saturation
	for _, s := range n.Saturations {
		if s.Target.Name == target {
			found = s
		}
	}
	return found
}

// Verdict is the nightly report's last line.
func (n *Nightly) Verdict() string {
	var parts []string
	if n.Comparison != nil && !n.Comparison.Pass {
		parts = append(parts, "a gate failed")
	}
	for _, s := range n.Saturations {
		if !s.Pass {
			parts = append(parts, "capacity of "+s.Target.Name+" below today's traffic or not found")
		}
	}
	if len(n.Regressions) > 0 {
		parts = append(parts, Plural(len(n.Regressions), "regression", "regressions")+" against earlier nights")
	}
	if len(parts) == 0 {
		if n.firstNight() {
			return fmt.Sprintf("nightly %s: PASS — every gate holds; the first night, so no baseline to compare with yet", n.Date)
		}
		return fmt.Sprintf("nightly %s: PASS — every gate holds, nothing regressed", n.Date)
	}
	return fmt.Sprintf("nightly %s: FAIL — %s", n.Date, strings.Join(parts, "; "))
}

// TrendTable lists the trend: a row per night, a column per target, the
// p95 of all endpoints, and the capacity when searched.
func (n *Nightly) TrendTable() Table {
	ix := indexTrend(n.Trend)
	dates, targets := ix.dates, ix.targets
	t := Table{Title: fmt.Sprintf("Trend (last %d nights)", TrendNights), Header: []string{"night"}}
	for _, tg := range targets {
		t.Header = append(t.Header, tg+" p95 ms", tg+" capacity /s", tg+" gates")
	}
	for _, d := range dates {
		row := []string{d}
		for _, tg := range targets {
			e, ok := ix.entry(d, tg)
			if !ok {
				row = append(row, "—", "—", "—")
				continue
			}
			p95 := "—"
			if v, ok := e.P95["all"]; ok {
				p95 = ms(v)
			}
			capacity := "—"
			if e.Capacity > 0 {
				capacity = rateNumber(e.Capacity)
			}
			g := "PASS"
			if !e.Pass {
				g = "FAIL"
				if len(e.Failed) > 0 {
					g += " " + strings.Join(e.Failed, ", ")
				}
			}
			row = append(row, p95, capacity, g)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Headline is the first line of the nightly report.
func (n *Nightly) Headline() string {
	name := ""
	var targets []TargetInfo
	if n.Comparison != nil && len(n.Comparison.Results) > 0 {
		name = n.Comparison.Results[0].Scenario.Name
		for _, r := range n.Comparison.Results {
			targets = append(targets, r.Target)
		}
	}
	return fmt.Sprintf("loadcheck nightly %s: %s", n.Date, name) + tlsHeadline(targets...)
}

// baselineNights is the number of earlier nights in the trend.
func (n *Nightly) baselineNights() int {
	seen := map[string]bool{}
	for _, e := range n.Trend {
		if e.Date != n.Date {
			seen[e.Date] = true
		}
	}
	return len(seen)
}

// firstNight reports whether the trend holds no night before this one:
// then there is nothing to regress against.
func (n *Nightly) firstNight() bool { return n.baselineNights() == 0 }

func (n *Nightly) regressionLines() []string {
	switch {
	case len(n.Regressions) > 0:
	case n.firstNight():
		return []string{"first night: no earlier night to compare with; tonight's figures start the baseline"}
	default:
		return []string{"no regression against " + Plural(n.baselineNights(), "earlier night", "earlier nights")}
	}
	var out []string
	for _, r := range n.Regressions {
		out = append(out, "REGRESSION "+r.Text)
	}
	return out
}

// WriteText writes the nightly report for a terminal.
func (n *Nightly) WriteText(w io.Writer) error {
	return n.writeText(w, 0)
}

// writeText writes the nightly report for a terminal width columns wide
// (0: no limit); its comparison follows the terminal's width.
func (n *Nightly) writeText(w io.Writer, width int) error {
	if _, err := fmt.Fprintf(w, "%s\n\n", n.Headline()); err != nil {
		return err
	}
	if n.Comparison != nil {
		if err := n.Comparison.writeText(w, width, n.Saturations); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	for _, s := range n.Saturations {
		if err := s.WriteText(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if err := WriteTable(w, []Table{n.TrendTable()}); err != nil {
		return err
	}
	for _, l := range n.regressionLines() {
		fmt.Fprintln(w, l)
	}
	_, err := fmt.Fprintln(w, n.Verdict())
	return err
}

// WriteMarkdown writes the nightly report as Markdown.
func (n *Nightly) WriteMarkdown(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "# %s\n\n**%s**\n\n", n.Headline(), n.Verdict()); err != nil {
		return err
	}
	if _, err := fmt.Fprint(w, "## Regressions\n\n"); err != nil {
		return err
	}
	for _, l := range n.regressionLines() {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintln(w)
	if n.Comparison != nil {
		if err := n.Comparison.writeMarkdown(w, n.Saturations); err != nil {
			return err
		}
	}
	for _, s := range n.Saturations {
		if err := s.WriteMarkdown(w); err != nil {
			return err
		}
	}
	return WriteMarkdownTables(w, []Table{n.TrendTable()})
}

// trendIndex is a trend's nights and targets in order of first appearance,
// with each night's entry per target.
type trendIndex struct {
	dates, targets []string
	by             map[[2]string]HistoryEntry
}

func indexTrend(trend []HistoryEntry) trendIndex {
	ix := trendIndex{by: map[[2]string]HistoryEntry{}}
	for _, e := range trend {
		if !slices.Contains(ix.dates, e.Date) {
			ix.dates = append(ix.dates, e.Date)
		}
		if !slices.Contains(ix.targets, e.Target) {
			ix.targets = append(ix.targets, e.Target)
		}
		ix.by[[2]string{e.Date, e.Target}] = e
	}
	return ix
}

func (ix trendIndex) entry(date, target string) (HistoryEntry, bool) {
	e, ok := ix.by[[2]string{date, target}]
	return e, ok
}
