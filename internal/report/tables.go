package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
)

// Table is a rendered-format-neutral table: every renderer prints the same
// cells. Header cells state their unit.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string // footnotes, warnings
}

// ms formats a latency in milliseconds with sensible precision.
func ms(m record.Millis) string {
	f := float64(m) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

func pctString(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "%" }

func count[T ~int | ~int64 | ~uint64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

func bytesString(b uint64) string { return gate.Value{V: float64(b), Kind: gate.Bytes}.String() }

// Tables returns the tables of a single run, in the order they print.
func Tables(r *Result) []Table {
	var ts []Table
	ts = append(ts, httpTable(r))
	if t, ok := errorTable(r); ok {
		ts = append(ts, t)
	}
	if r.WebSocket != nil {
		ts = append(ts, wsTable(r))
	}
	if r.SSE != nil {
		ts = append(ts, sseTable(r))
	}
	if r.Resources != nil {
		ts = append(ts, resourceTable(r))
	}
	if len(r.Gates) > 0 {
		ts = append(ts, gateTable(r))
	}
	return ts
}

func httpTable(r *Result) Table {
	t := Table{
		Title:  "HTTP",
		Header: []string{"endpoint", "requests", "rate /s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms", "errors"},
	}
	row := func(e record.EndpointSummary) []string {
		return []string{e.Name, count(e.Requests), strconv.FormatFloat(e.Rate, 'f', 1, 64),
			ms(e.Latency.P50), ms(e.Latency.P90), ms(e.Latency.P95), ms(e.Latency.P99), ms(e.Latency.Max),
			pctString(e.ErrorRate())}
	}
	for _, e := range r.HTTP.Endpoints {
		t.Rows = append(t.Rows, row(e))
	}
	if len(r.HTTP.Endpoints) > 1 {
		t.Rows = append(t.Rows, row(r.HTTP.Total))
	}
	t.Notes = append(t.Notes, "latency from the intended send time (corrected for coordinated omission), errors included")
	for _, e := range append(r.HTTP.Endpoints, r.HTTP.Total) {
		if e.Requests == 0 || e.Name == "all" && len(r.HTTP.Endpoints) > 1 {
			continue
		}
		c, s := e.Latency.P95, e.Service.P95
		if s > 0 && float64(c) > 1.2*float64(s) && c-s > record.Millis(record.LateAfter) {
			t.Notes = append(t.Notes, fmt.Sprintf("%s: p95 %s ms from the intended send, %s ms from the actual send — requests waited in loadcheck before they were sent", e.Name, ms(c), ms(s)))
		}
	}
	if tot := r.HTTP.Total; tot.Late > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("warning: %s of %s requests (%s) were sent more than %s late: loadcheck itself fell behind (max_workers %d)",
			count(tot.Late), count(tot.Requests), pctString(tot.LateRate()), record.LateAfter, r.Generator.MaxWorkers))
	}
	if g := r.Generator; g.Scheduled > g.Sent+g.Scheduled/100 && r.Status == Complete {
		t.Notes = append(t.Notes, fmt.Sprintf("warning: %s requests were scheduled but never sent: every worker was busy", count(g.Scheduled-g.Sent)))
	}
	t.Notes = append(t.Notes, fmt.Sprintf("in flight: mean %.1f, peak %d", r.HTTP.Total.InflightMean, r.HTTP.InflightMax))
	if n := clientsNote(r); n != "" {
		t.Notes = append(t.Notes, n)
	}
	return t
}

func errorTable(r *Result) (Table, bool) {
	t := Table{Title: "Errors", Header: []string{"endpoint", "kind", "count", "example"}}
	for _, e := range r.HTTP.Endpoints {
		for _, k := range e.ErrorKinds {
			ex := k.Example
			if len(ex) > 80 {
				ex = ex[:77] + "..."
			}
			t.Rows = append(t.Rows, []string{e.Name, k.Kind, count(k.Count), ex})
		}
	}
	return t, len(t.Rows) > 0
}

func wsTable(r *Result) Table {
	w := r.WebSocket
	t := Table{
		Title:  "WebSocket broadcasts",
		Header: []string{"boards", "connected", "events sent", "expected", "delivered", "loss", "duplicates", "delivery p50 ms", "p95 ms", "p99 ms", "boards < 100%"},
	}
	below := 0
	for _, b := range w.PerBoard {
		if b.Expected > 0 && b.Delivered < b.Expected {
			below++
		}
	}
	t.Rows = append(t.Rows, []string{count(w.Boards), count(w.Connected), count(w.Acked), count(w.Expected), count(w.Delivered),
		pctString(w.Loss), count(w.Duplicates), ms(w.Delivery.P50), ms(w.Delivery.P95), ms(w.Delivery.P99), count(below)})
	if src := r.Sources; src != nil && src.Mode == "spread" && src.Broadcaster != "" {
		t.Notes = append(t.Notes, fmt.Sprintf("broadcasts posted from %s, boards from %s", src.Broadcaster, src.Boards))
	}
	if below > 0 {
		t.Notes = append(t.Notes, boardNotes(w)...)
	}
	if w.Reconnects > 0 || w.Disconnects > 0 || w.Disconnected > 0 {
		// The window the boards missed is stated, not hidden: how long they
		// were away and which deliveries that excused.
		t.Notes = append(t.Notes, fmt.Sprintf("%d reconnects, %d disconnects: boards were away %s in total while broadcasts ran; "+
			"%s (board, event) deliveries acknowledged meanwhile are not expected of them (%s arrived anyway)",
			w.Reconnects, w.Disconnects, w.Disconnected.Round(time.Millisecond), count(w.NotExpected), count(w.NotExpectedDelivered)))
	}
	if w.OutOfOrder > 0 || w.NoID > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d out of order, %d without an id", w.OutOfOrder, w.NoID))
	}
	return t
}

// boardNotes groups the boards by the worker that holds them, so a split
// between processes is visible, with the networks they came from: a proxy
// that hashes client addresses (nginx ip_hash) pins them by these.
func boardNotes(w *probe.WSSummary) []string {
	type agg struct {
		exp, del int64
		n        int
		from     []string
	}
	by := map[string]*agg{}
	for _, b := range w.PerBoard {
		k := b.Worker
		if k == "" {
			k = "?"
		}
		a := by[k]
		if a == nil {
			a = &agg{}
			by[k] = a
		}
		a.exp += b.Expected
		a.del += b.Delivered
		a.n++
		if b.From != "" {
			a.from = append(a.from, b.From)
		}
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var notes []string
	for _, k := range keys {
		a := by[k]
		ratio := 0.0
		if a.exp > 0 {
			ratio = 100 * float64(a.del) / float64(a.exp)
		}
		note := fmt.Sprintf("boards on worker %s: %d, received %.1f%% of expected events", k, a.n, ratio)
		if n := networks(a.from); n != "" {
			note += ", from " + n
		}
		notes = append(notes, note)
	}
	return notes
}

func sseTable(r *Result) Table {
	s := r.SSE
	t := Table{
		Title:  "Server-sent events",
		Header: []string{"clients", "connected", "events", "first event p50 ms", "largest gap ms", "disconnects", "reconnects"},
		Rows: [][]string{{count(s.Clients), count(s.Connected), count(s.Events), ms(s.FirstEvent.P50), ms(s.GapMax),
			count(s.Disconnects), count(s.Reconnects)}},
	}
	if src := r.Sources; src != nil && src.Mode == "spread" && src.SSE != "" {
		t.Notes = append(t.Notes, "clients from "+src.SSE)
	}
	return t
}

func resourceTable(r *Result) Table {
	s := r.Resources
	t := Table{
		Title:  "Resources (" + s.Source + ")",
		Header: []string{"pid", "process", "role", "cpu mean", "cpu sustained", "rss peak"},
	}
	for _, p := range s.Processes {
		name := p.Name
		if len(name) > 40 {
			name = name[:37] + "..."
		}
		if p.Exited != nil {
			name += fmt.Sprintf(" (exited after %s)", p.Exited.Round(time.Second))
		}
		pid := ""
		if p.PID > 0 {
			pid = strconv.Itoa(p.PID)
		}
		t.Rows = append(t.Rows, []string{pid, name, p.Role, pctString(p.CPUMean), pctString(p.CPUSustained), bytesString(p.RSSPeak)})
	}
	t.Rows = append(t.Rows, []string{"", "total", "", pctString(s.CPUTotal), pctString(s.CPUSustained), bytesString(s.RSSTotal)})
	t.Notes = append(t.Notes, fmt.Sprintf("CPU in %% of one core (%d cores); sustained = highest %s rolling mean of the busiest process", s.Cores, s.SustainedWindow))
	if n := spreadNote(Spread(r)); n != "" {
		t.Notes = append(t.Notes, n)
	}
	for _, e := range s.Errors {
		t.Notes = append(t.Notes, fmt.Sprintf("sampling: %d × %s (%s)", e.Count, e.Kind, e.Example))
	}
	return t
}

func gateTable(r *Result) Table {
	t := Table{Title: "Gates", Header: []string{"gate", "observed", "result"}}
	for _, o := range r.Gates {
		obs := o.Reason
		if o.Observed != nil {
			obs = o.Observed.String()
		}
		res := "PASS"
		if !o.Pass {
			res = "FAIL"
		}
		t.Rows = append(t.Rows, []string{o.Gate, obs, res})
	}
	return t
}

// Verdict is the one-line summary of a run: its status, the gates, and the
// scaling decision when the scenario gates on CPU or a p95.
func Verdict(r *Result) string {
	var failed []string
	for _, o := range r.Gates {
		if !o.Pass {
			failed = append(failed, describe(o))
		}
	}
	var b strings.Builder
	switch {
	case r.Status == Interrupted:
		b.WriteString("INTERRUPTED after " + r.Elapsed.Round(time.Second).String() + " — partial figures; ")
	case r.Status == Aborted:
		b.WriteString("ABORTED after " + r.Elapsed.Round(time.Second).String() + ": " + r.Reason + "; ")
	case r.Status == Failed:
		b.WriteString("FAILED: " + r.Reason + "; ")
	case r.Reason != "":
		b.WriteString("warning: " + r.Reason + "\n")
	}
	if w := spreadWarning(r); w != "" {
		b.WriteString("warning: " + w + "\n")
	}
	switch {
	case len(r.Gates) == 0:
		b.WriteString("no gates")
	case len(failed) == 0:
		fmt.Fprintf(&b, "PASS: all %d gates hold", len(r.Gates))
	default:
		fmt.Fprintf(&b, "FAIL: %d of %d gates failed: %s", len(failed), len(r.Gates), strings.Join(failed, "; "))
	}
	if d := Decision(r); d != "" {
		b.WriteString("\n" + d)
	}
	return b.String()
}

func describe(o gate.Outcome) string {
	if o.Observed == nil {
		return o.Metric + " " + o.Reason + " (" + o.Gate + ")"
	}
	return fmt.Sprintf("%s %s fails %s", o.Metric, o.Observed, o.Gate)
}

// Decision states the scaling rule in plain words, from the gates on
// cpu.sustained and on p95 latencies: scale only past a gate.
func Decision(r *Result) string {
	var holds, fails []string
	for _, o := range r.Gates {
		if o.Metric != "cpu.sustained" && !strings.HasSuffix(o.Metric, ".p95") {
			continue
		}
		if o.Observed == nil {
			continue
		}
		s := fmt.Sprintf("%s %s %s %s", o.Metric, o.Observed, o.Op, o.Limit)
		if o.Pass {
			holds = append(holds, s)
		} else {
			fails = append(fails, fmt.Sprintf("%s %s fails %s %s", o.Metric, o.Observed, o.Op, o.Limit))
		}
	}
	switch {
	case len(fails) > 0:
		return "decision: scale — " + strings.Join(fails, ", ")
	case len(holds) > 0:
		return "decision: stay at one worker, tune it — " + strings.Join(holds, ", ")
	}
	return ""
}

// Headline is the first line of a report: what ran against what.
func Headline(r *Result) string {
	return fmt.Sprintf("loadcheck: %s against %s (%s) — %s measured after %s warm-up, %s requests",
		r.Scenario.Name, r.Target.Name, r.Target.BaseURL, r.Elapsed.Round(100*time.Millisecond),
		r.Scenario.Warmup, count(r.HTTP.Total.Requests))
}
