package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/verdict"
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
func ms(m record.DurationMs) string {
	return unit.MillisNumber(float64(m) / float64(time.Millisecond))
}

// latencyCell formats v, one of p's figures, in milliseconds, or as a
// lower bound ("> 60 s") when it was clipped at the histogram's ceiling.
func latencyCell(p record.Percentiles, v record.DurationMs) string {
	if p.Clipped(v) {
		return "> " + strconv.FormatFloat(p.Ceiling.Duration().Seconds(), 'f', -1, 64) + " s"
	}
	return ms(v)
}

// countOf is n, with thousands separated, and its noun: "1,800 requests".
func countOf[T ~int | ~int64 | ~uint64](n T, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(n) + " " + many
}

// orDash is cell when a figure was measured, else "–": a figure never
// measured is not shown as 0.
func orDash(measured bool, cell string) string {
	if !measured {
		return "–"
	}
	return cell
}

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
func Tables(r *result.Result) []table.Table {
	var ts []table.Table
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
	if len(r.Downstreams) > 0 {
		ts = append(ts, downstreamTable(r))
	}
	if len(r.Shards) > 0 {
		ts = append(ts, shardTable(r))
	}
	if len(r.Gates) > 0 {
		ts = append(ts, gateTable(r))
	}
	return ts
}

func rate1(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// shardTable shows the shards a merged result came from, so a shard
// that fell behind (late requests, unsent ones, a late start) shows.
func shardTable(r *result.Result) table.Table {
	t := table.Table{
		Title:  fmt.Sprintf("Shards: merged from %d", len(r.Shards)),
		Header: []string{"shard", "host", "status", "scheduled", "sent", "late", "late %", "run"},
	}
	for _, s := range r.Shards {
		late := 0.0
		if s.Sent > 0 {
			late = 100 * float64(s.Late) / float64(s.Sent)
		}
		host := s.Host
		if host == "" {
			host = "–"
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%d/%d", s.Index, len(r.Shards)), host, string(s.Status),
			count(s.Scheduled), count(s.Sent), count(s.Late), unit.FormatShare(late), s.RunID})
		if s.StartedLate > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("warning: shard %d began %s after the common start time", s.Index, s.StartedLate.Round(100*time.Millisecond)))
		}
	}
	t.Notes = append(t.Notes, "latency percentiles are of every shard's requests (HDR histograms merged); the in-flight peak is the sum of the shards' peaks")
	t.Notes = append(t.Notes, r.Merged...)
	return t
}

func httpTable(r *result.Result) table.Table {
	t := table.Table{
		Title:  "HTTP",
		Header: []string{"endpoint", "requests", "sent /s", "achieved /s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms", "errors"},
	}
	row := func(e record.EndpointSummary) []string {
		if e.Requests == 0 {
			// No request, no latency: a dash, not a measured 0.00 ms.
			return []string{e.Name, "0", rate1(e.Rate), rate1(e.Achieved), "–", "–", "–", "–", "–", "–"}
		}
		if e.Successes() == 0 {
			// Every request failed: there is no latency to show, and a
			// 0.00 ms would read as a fast service.
			return []string{e.Name, count(e.Requests), rate1(e.Rate), rate1(e.Achieved), table.NoSuccess, "–", "–", "–", "–", unit.FormatShare(e.ErrorRate())}
		}
		l := e.Latency
		return []string{e.Name, count(e.Requests), rate1(e.Rate), rate1(e.Achieved),
			latencyCell(l, l.P50), latencyCell(l, l.P90), latencyCell(l, l.P95), latencyCell(l, l.P99), latencyCell(l, l.Max),
			unit.FormatShare(e.ErrorRate())}
	}
	for _, e := range r.HTTP.Endpoints {
		t.Rows = append(t.Rows, row(e))
	}
	if len(r.HTTP.Endpoints) > 1 {
		t.Rows = append(t.Rows, row(r.HTTP.Total))
	}
	t.Notes = append(t.Notes, throughputNote(r), percentileNote(r.HTTP.Total))
	for _, e := range append(r.HTTP.Endpoints[:len(r.HTTP.Endpoints):len(r.HTTP.Endpoints)], r.HTTP.Total) {
		if e.Requests > 0 && e.Successes() == 0 && (e.Name != r.HTTP.Total.Name || len(r.HTTP.Endpoints) > 1) {
			t.Notes = append(t.Notes, fmt.Sprintf("%s: %s, so no latency: its %s failed (see Errors)", e.Name, table.NoSuccess, countOf(e.Requests, "request", "requests")))
		}
	}
	for _, e := range r.HTTP.Endpoints {
		if e.Successes() == 0 {
			continue
		}
		c, s := e.Latency.P95, e.Service.P95
		if s > 0 && float64(c) > 1.2*float64(s) && c-s > record.DurationMs(record.LateAfter) {
			t.Notes = append(t.Notes, fmt.Sprintf("%s: p95 %s ms from the intended send, %s ms from the actual send — requests waited in loadcheck before they were sent", e.Name, ms(c), ms(s)))
		}
	}
	if tot := r.HTTP.Total; tot.Late > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("warning: %s of %s requests (%s) were sent more than %s late: loadcheck itself fell behind (%s)",
			count(tot.Late), count(tot.Requests), unit.FormatShare(tot.LateRate()), record.LateAfter, lateCause(r)))
	}
	if g := r.Generator; g.Unsent() > g.Scheduled/100 {
		t.Notes = append(t.Notes, fmt.Sprintf("warning: %s requests (%s) were scheduled but never sent: every worker was busy (max_workers %d); they are in no latency figure (gate them with http.unsent)",
			count(g.Unsent()), unit.FormatShare(g.UnsentRate()), g.MaxWorkers))
	}
	if tot := r.HTTP.Total; tot.Latency.Ceiling > 0 || tot.ErrorLatency.Ceiling > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%s responses took longer than the histogram's ceiling: figures shown as \"> N s\" are lower bounds", count(tot.OutOfRange)))
	}
	t.Notes = append(t.Notes, fmt.Sprintf("in flight: mean %.1f, peak %d", r.HTTP.Total.InflightMean, r.HTTP.InflightMax))
	if n := clientsNote(r); n != "" {
		t.Notes = append(t.Notes, n)
	}
	return t
}

// lateCause says why requests went out late: every worker busy, or — with
// most workers idle — the machine running loadcheck (its CPU, its
// scheduler), which no max_workers would fix.
func lateCause(r *result.Result) string {
	g := r.Generator
	if g.MaxWorkers > 0 && g.InflightMax >= int64(g.MaxWorkers) {
		return fmt.Sprintf("all %d of max_workers were busy: raise http.max_workers", g.MaxWorkers)
	}
	return fmt.Sprintf("at most %d requests were in flight of max_workers %d, so the machine running loadcheck was short of CPU, not of workers: run it on a quieter machine or shard the load",
		g.InflightMax, g.MaxWorkers)
}

// throughputNote puts the achieved rate beside the offered and sent rates,
// with the rule for responses that completed after the measured phase.
func throughputNote(r *result.Result) string {
	tot, g := r.HTTP.Total, r.Generator
	offered := 0.0
	if r.Elapsed > 0 {
		offered = float64(g.Scheduled) / r.Elapsed.Seconds()
	}
	s := fmt.Sprintf("offered %s/s (%s scheduled, %s never sent), sent %s/s, achieved %s/s: successful responses completed within the measured phase",
		rate1(offered), count(g.Scheduled), count(g.Unsent()), rate1(tot.Rate), rate1(tot.Achieved))
	if tot.AfterPhase > 0 {
		s += fmt.Sprintf(" (%s completed after it ended: in the latency and error figures, not in achieved)", count(tot.AfterPhase))
	}
	return s
}

// percentileNote says what the percentiles are taken over and how many
// requests are outside them.
func percentileNote(tot record.EndpointSummary) string {
	s := metric.LatencyCovers + fmt.Sprintf(": percentiles over %s responses", count(tot.Successes()))
	if tot.Errors > 0 {
		s += fmt.Sprintf(", %s failed requests (%s) outside them, see Errors", count(tot.Errors), unit.FormatShare(tot.ErrorRate()))
	}
	return s
}

// errorTable lists the failed requests by endpoint and kind, with their
// share of the endpoint's requests, and the failures' own latency.
func errorTable(r *result.Result) (table.Table, bool) {
	t := table.Table{Title: "Errors", Header: []string{"endpoint", "kind", "count", "share", "example"}}
	for _, e := range r.HTTP.Endpoints {
		for _, k := range e.ErrorKinds {
			ex := k.Example
			if len(ex) > 80 {
				ex = ex[:77] + "..."
			}
			share := 0.0
			if e.Requests > 0 {
				share = 100 * float64(k.Count) / float64(e.Requests)
			}
			t.Rows = append(t.Rows, []string{e.Name, k.Kind, count(k.Count), unit.FormatShare(share), ex})
		}
		if e.Errors > 0 {
			l := e.ErrorLatency
			t.Notes = append(t.Notes, fmt.Sprintf("%s: %s failed (%s), their latency p50 %s ms, p95 %s ms, max %s ms",
				e.Name, count(e.Errors), unit.FormatShare(e.ErrorRate()), latencyCell(l, l.P50), latencyCell(l, l.P95), latencyCell(l, l.Max)))
		}
	}
	return t, len(t.Rows) > 0
}

func wsTable(r *result.Result) table.Table {
	w := r.WebSocket
	t := table.Table{
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
		orDash(w.Expected > 0, unit.FormatShare(w.Loss)), count(w.Duplicates), orDash(w.Delivered > 0, latencyCell(w.Delivery, w.Delivery.P50)),
		orDash(w.Delivered > 0, latencyCell(w.Delivery, w.Delivery.P95)), orDash(w.Delivered > 0, latencyCell(w.Delivery, w.Delivery.P99)), count(below)})
	if src := r.Sources; src != nil && src.Mode == "spread" && src.Broadcaster != "" {
		t.Notes = append(t.Notes, fmt.Sprintf("broadcasts posted from %s, boards from %s", src.Broadcaster, src.Boards))
	}
	if w.ConnectedIn > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("boards connected in %s (%.0f/s)", w.ConnectedIn.Round(time.Millisecond), w.ConnectRate))
	}
	if w.UnansweredPings > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%s to idle boards unanswered within 10 s; the connections were kept", unit.Plural(int(w.UnansweredPings), "ping", "pings")))
	}
	if below > 0 {
		t.Notes = append(t.Notes, boardNotes(w)...)
	}
	if w.Reconnects > 0 || w.Disconnects > 0 || w.Disconnected > 0 {
		// The window the boards missed is stated, not hidden: how long they
		// were away and which deliveries that excused.
		t.Notes = append(t.Notes, fmt.Sprintf("%s, %s: boards were away %s in total while broadcasts ran; "+
			"%s (board, event) deliveries acknowledged meanwhile are not expected of them (%s arrived anyway)",
			unit.Plural(w.Reconnects, "reconnect", "reconnects"), unit.Plural(w.Disconnects, "disconnect", "disconnects"), w.Disconnected.Round(time.Millisecond), count(w.NotExpected), count(w.NotExpectedDelivered)))
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

func sseTable(r *result.Result) table.Table {
	s := r.SSE
	t := table.Table{
		Title:  "Server-sent events",
		Header: []string{"clients", "connected", "events", "first event p50 ms", "largest gap ms", "disconnects", "reconnects"},
		Rows: [][]string{{count(s.Clients), count(s.Connected), count(s.Events), orDash(s.Events > 0, latencyCell(s.FirstEvent, s.FirstEvent.P50)), orDash(s.Events > 1, ms(s.GapMax)),
			count(s.Disconnects), count(s.Reconnects)}},
	}
	if src := r.Sources; src != nil && src.Mode == "spread" && src.SSE != "" {
		t.Notes = append(t.Notes, "clients from "+src.SSE)
	}
	return t
}

func resourceTable(r *result.Result) table.Table {
	s := r.Resources
	t := table.Table{
		Title:  "Resources (" + s.Source + ")",
		Header: []string{"pid", "process", "role", "cpu mean", "cpu sustained", "rss peak"},
	}
	for _, p := range s.Processes {
		name := commandLabel(p.Name)
		if p.Exited != nil {
			name += fmt.Sprintf(" (exited after %s)", p.Exited.Round(time.Second))
		}
		pid := ""
		if p.PID > 0 {
			pid = strconv.Itoa(p.PID)
		}
		t.Rows = append(t.Rows, []string{pid, name, p.Role, cpuCell(r, p.CPUMean), cpuCell(r, p.CPUSustained), bytesString(p.RSSPeak)})
	}
	t.Rows = append(t.Rows, []string{"", "total", "", cpuCell(r, s.CPUTotal), cpuCell(r, s.CPUSustained), bytesString(s.RSSTotal)})
	if neverMeasured(r) {
		t.Notes = append(t.Notes, "the measured phase never began: no CPU figure (the warm-up's is not the scenario's load); rss peak is of the start-up and warm-up")
	}
	t.Notes = append(t.Notes, fmt.Sprintf("CPU in %% of one core (%s); sustained = highest %s rolling mean of the busiest process", unit.Plural(s.Cores, "core", "cores"), s.SustainedWindow))
	if s.Span > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("figures over the measured phase (%s sampled)", s.Span.Round(100*time.Millisecond)))
	}
	if w := result.CPUWindowNote(s); w != "" {
		t.Notes = append(t.Notes, "warning: "+w+": the measured phase is shorter than sustained_window, so it is the mean over the phase")
	}
	if n := spreadNote(Spread(r)); n != "" {
		t.Notes = append(t.Notes, n)
	}
	if s.FailedSamples > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("sampling: %d of %d samples failed or were partial", s.FailedSamples, s.Samples))
	}
	for _, e := range s.Errors {
		t.Notes = append(t.Notes, fmt.Sprintf("sampling: %d × %s (%s)", e.Count, e.Kind, e.Example))
	}
	return t
}

func gateTable(r *result.Result) table.Table {
	t := table.Table{Title: "Gates", Header: []string{"gate", "observed", "result"}}
	if r.Status != result.Complete {
		t.Title = "Gates (partial: on the figures of a run that did not finish)"
	}
	for _, o := range r.Gates {
		obs := o.Reason
		if o.Observed != nil {
			obs = o.Observed.String()
		}
		res := "PASS"
		if !o.Pass {
			res = "FAIL"
		}
		switch {
		case neverMeasured(r):
			obs, res = "–", "not judged"
		case r.Status != result.Complete:
			res += " (partial)"
		}
		t.Rows = append(t.Rows, []string{o.Gate, obs, res})
	}
	if neverMeasured(r) {
		t.Notes = append(t.Notes, "the measured phase never began: there is nothing to judge")
	}
	return t
}

// cpuCell is a CPU figure of r's measured phase, "–" when it never began.
func cpuCell(r *result.Result, pct float64) string {
	return orDash(!neverMeasured(r), unit.FormatShare(pct))
}

// neverMeasured says whether r stopped before its measured phase began
// (in the start-up or the warm-up): then no figure of it measures the
// target under the scenario's load.
func neverMeasured(r *result.Result) bool { return r.Status != result.Complete && r.Elapsed == 0 }

// stopped says where in its phases a run that did not finish stopped and
// after how long: "in the warm-up, 8s of 1h0m0s: the measured phase never
// began", "12s into the 1m30s measured phase".
func stopped(r *result.Result) string {
	w := r.Scenario.Warmup
	switch {
	case neverMeasured(r) && w > 0:
		return fmt.Sprintf("in the warm-up, %s of %s: the measured phase never began", r.WarmupRan.Round(time.Second), w)
	case neverMeasured(r):
		return "before the measured phase began"
	}
	return fmt.Sprintf("%s into the %s measured phase", r.Elapsed.Round(time.Second), r.Scenario.Duration)
}

// limitAsWritten is o's threshold as the scenario wrote it ("2s" of
// "http.p95 < 2s"), so a report repeats the user's unit rather than
// reformatting it ("2.00s"); the formatted limit when the text has none.
func limitAsWritten(o gate.Outcome) string {
	if _, after, ok := strings.Cut(o.Gate, " "+string(o.Op)+" "); ok && strings.TrimSpace(after) != "" {
		return strings.TrimSpace(after)
	}
	return o.Limit.String()
}

// statusWord is how a headline names a run's end.
func statusWord(s result.Status) string {
	if s == result.Incomplete {
		return "checkpoint (the run did not finish)"
	}
	return string(s)
}

// Verdict is the one-line summary of a run: its status, the gates, and the
// scaling decision when the scenario gates on CPU or a p95. A run that did
// not finish never reads PASS: its gates held so far, on partial figures.
func Verdict(r *result.Result) string {
	var failed []string
	for _, o := range r.Gates {
		if !o.Pass {
			failed = append(failed, result.Describe(o))
		}
	}
	var b strings.Builder
	switch {
	case r.Status == result.Incomplete:
		b.WriteString("INCOMPLETE: a checkpoint written " + stopped(r) + " by a run that did not finish (killed or crashed?) — partial figures; ")
	case r.Status == result.Interrupted:
		b.WriteString("INTERRUPTED " + stopped(r) + " — partial figures; ")
	case r.Status == result.Aborted:
		b.WriteString("ABORTED " + stopped(r) + ": " + r.Reason + "; ")
	case r.Status == result.Failed:
		b.WriteString("FAILED " + stopped(r) + ": " + r.Reason + "; ")
	case r.Reason != "":
		b.WriteString("warning: " + r.Reason + "\n")
	}
	if w := spreadWarning(r); w != "" {
		b.WriteString("warning: " + w + "\n")
	}
	if w := tlsWarning(r.Target); w != "" {
		b.WriteString("warning: " + w + "\n")
	}
	switch {
	case len(r.Gates) == 0:
		b.WriteString("no gates")
	case neverMeasured(r):
		b.WriteString("no gate judged: nothing was measured")
	case len(failed) == 0 && r.Status != result.Complete:
		b.WriteString("no gate failed on the partial figures (" + unit.Plural(len(r.Gates), "gate", "gates") + ") — not a pass: the run did not finish")
	case len(failed) == 0:
		b.WriteString("PASS: " + gatesHold(len(r.Gates)))
	default:
		fmt.Fprintf(&b, "FAIL: %d of %s failed: %s", len(failed), unit.Plural(len(r.Gates), "gate", "gates"), strings.Join(failed, "; "))
	}
	if d := Decision(r); d != "" {
		b.WriteString("\n" + d)
	}
	return b.String()
}

// gatesHold says that every one of n gates held: "all 4 gates hold", "the
// one gate holds".
func gatesHold(n int) string {
	if n == 1 {
		return "the one gate holds"
	}
	return fmt.Sprintf("all %d gates hold", n)
}

// Decision words the scaling decision of the run (verdict.ScalingOf)
// from the gates on the metrics it reads: "decision: stay at one worker,
// tune it — …", "decision: scale — …" or "decision: none — …" with why
// the run cannot decide. A scenario without a scaling gate gets no
// decision.
func Decision(r *result.Result) string {
	s := verdict.ScalingOf(r)
	if s.Decision == verdict.NoDecision {
		return ""
	}
	if s.NeverMeasured {
		return "decision: none — nothing was measured: the run was " + statusWord(r.Status) + " " + stopped(r)
	}
	var holds, fails, why []string
	for _, o := range s.Holds {
		holds = append(holds, fmt.Sprintf("%s %s %s %s", o.Metric, o.Observed, o.Op, limitAsWritten(o)))
	}
	for _, o := range s.Fails {
		fails = append(fails, fmt.Sprintf("%s %s fails %s %s", o.Metric, o.Observed, o.Op, limitAsWritten(o)))
	}
	switch r.Status {
	case result.Aborted:
		why = append(why, "the run was aborted "+stopped(r)+" ("+r.Reason+")")
	case result.Interrupted:
		why = append(why, "the run was interrupted "+stopped(r))
	case result.Failed:
		why = append(why, "the run failed "+stopped(r)+" ("+r.Reason+")")
	case result.Incomplete:
		why = append(why, "the run did not finish (a checkpoint "+stopped(r)+")")
	}
	if s.BelowPeak {
		why = append(why, belowPeak(r.Scenario))
	}
	for _, o := range s.Others {
		why = append(why, result.Describe(o))
	}
	caveat := ""
	if w := result.CPUWindowNote(r.Resources); w != "" && s.CPUGated {
		caveat = " (" + w + ")"
	}
	switch s.Decision {
	case verdict.Scale:
		d := "decision: scale — " + strings.Join(fails, ", ")
		if len(why) > 0 {
			d += "; also: " + strings.Join(why, "; ")
		}
		return d + caveat
	case verdict.Undecided:
		return "decision: none — " + strings.Join(why, "; ") +
			"; stay or scale is decided on a complete run whose every gate holds (scaling gates: " + strings.Join(holds, ", ") + ")" + caveat
	}
	return "decision: stay at one worker, tune it — " + strings.Join(holds, ", ") + caveat
}

// Headline is the first line of a report: what ran against what.
func Headline(r *result.Result) string {
	h := fmt.Sprintf("loadcheck: %s against %s (%s) — %s measured after %s warm-up, %s requests",
		r.Scenario.Name, r.Target.Name, r.Target.BaseURL, r.Elapsed.Round(100*time.Millisecond),
		r.Scenario.Warmup, count(r.HTTP.Total.Requests))
	if r.Status != result.Complete {
		h = fmt.Sprintf("loadcheck: %s against %s (%s) — %s %s, %s requests measured",
			r.Scenario.Name, r.Target.Name, r.Target.BaseURL, statusWord(r.Status), stopped(r), count(r.HTTP.Total.Requests))
	}
	switch {
	case r.Shard != nil:
		h += fmt.Sprintf(" — shard %d/%d of set %s: gates judged by loadcheck merge", r.Shard.Index, r.Shard.Count, r.Shard.Set)
	case len(r.Shards) > 0:
		h += fmt.Sprintf(" — merged from %d shards", len(r.Shards))
	}
	return h + tlsHeadline(r.Target)
}
