package report

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// significant is the smallest relative change a comparison reports as a
// change; smaller ones print as "~" (within run-to-run noise).
const significant = 5.0

// significantPP is the same for shares (errors, loss), in percentage points.
const significantPP = 0.1

// comparisonLabels returns one label per result that names its target for machines
// (JUnit suites, Prometheus labels): the target name, with the run id
// added where two results share a name (two runs of one target).
func comparisonLabels(c *result.Comparison) []string {
	return comparisonDistinct(c, func(t result.TargetInfo) string { return t.Name })
}

// comparisonColumns returns one column label per result for people: the stem of the
// target file (titan-1w for targets/titan-1w.yaml), short enough that five
// targets fit a terminal, or the target's name when the result names no
// file; the run id is added where two results share a label. The legend
// table gives the full names.
func comparisonColumns(c *result.Comparison) []string {
	return comparisonDistinct(c, targetLabel)
}

// comparisonDistinct labels each result with label, adding the run id where two
// results share one.
func comparisonDistinct(c *result.Comparison, label func(result.TargetInfo) string) []string {
	short := make([]string, len(c.Results))
	seen := map[string]int{}
	for i, r := range c.Results {
		short[i] = label(r.Target)
		seen[short[i]]++
	}
	out := make([]string, len(c.Results))
	for i, r := range c.Results {
		out[i] = short[i]
		if seen[short[i]] > 1 || short[i] == "" {
			out[i] = strings.TrimSpace(short[i] + " " + r.RunID)
		}
	}
	return out
}

// targetLabel is the stem of the target's file, or its name without one.
func targetLabel(t result.TargetInfo) string {
	if t.File == "" {
		return t.Name
	}
	b := filepath.Base(t.File)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// comparisonLegend is the table of the labels that are not their target's full
// name; ok is false when every label is the name.
func comparisonLegend(c *result.Comparison, labels []string) (table.Table, bool) {
	t := table.Table{Title: "Targets", Header: []string{"column", "target"}}
	for i, r := range c.Results {
		if r.Target.Name != "" && r.Target.Name != labels[i] {
			t.Rows = append(t.Rows, []string{labels[i], r.Target.Name})
		}
	}
	return t, len(t.Rows) > 0
}

// compareRow is one metric of the side-by-side table.
type compareRow struct {
	metric string // a gate metric name: r.Metric(metric) gives the value
	label  string // metric name with its unit
	pp     bool   // deltas in percentage points rather than relative
}

// comparisonRows lists the metrics worth comparing, those the catalogue compares
// and at least one result measured, in the catalogue's order: per
// endpoint, all endpoints, websocket, SSE, CPU, memory, start-up.
func comparisonRows(c *result.Comparison) []compareRow {
	eps := result.EndpointNames(c.Results...)
	var cand []metric.Metric
	var names []string
	for _, e := range eps {
		for _, m := range metric.All() {
			if m.PerEndpoint() && m.Compare != metric.NotCompared {
				cand, names = append(cand, m), append(names, m.For(e))
			}
		}
	}
	for _, m := range metric.All() {
		if !m.PerEndpoint() && (m.Compare == metric.Compared || m.Compare == metric.ComparedNonZero ||
			m.Compare == metric.ComparedTotal && len(eps) > 1) {
			for _, name := range instanceNames(m, c.Results) {
				cand, names = append(cand, m), append(names, name)
			}
		}
	}
	var out []compareRow
	for i, m := range cand {
		if comparisonMeasured(c, names[i], m.Compare == metric.ComparedNonZero) {
			out = append(out, compareRow{names[i], names[i] + " (" + m.Unit + ")", m.DeltaPP})
		}
	}
	return out
}

// comparisonMeasured reports whether some result measured the metric name (above
// zero, if nonZero).
func comparisonMeasured(c *result.Comparison, name string, nonZero bool) bool {
	for _, r := range c.Results {
		if v, ok := r.Metric(name); ok && (!nonZero || v.V != 0) {
			return true
		}
	}
	return false
}

// cell formats a measured value in the row's unit, without the unit.
func cell(v gate.Value) string {
	if v.AtLeast {
		w := v
		w.AtLeast = false
		return "> " + cell(w)
	}
	switch v.Kind {
	case gate.Duration:
		return unit.MillisNumber(v.V * 1000)
	case gate.Percent:
		return strconv.FormatFloat(v.V, 'f', 2, 64)
	case gate.Rate:
		if v.V < 1 {
			return strconv.FormatFloat(v.V, 'f', 2, 64) // a downstream's 0.33/s
		}
		return strconv.FormatFloat(v.V, 'f', 1, 64)
	case gate.Bytes:
		return strconv.FormatFloat(v.V/(1<<20), 'f', 1, 64)
	}
	if v.V != float64(int64(v.V)) {
		return strconv.FormatFloat(v.V, 'f', 2, 64) // calls per request
	}
	return strconv.FormatFloat(v.V, 'f', -1, 64)
}

// delta formats the change from base to v: relative in % for most
// metrics, in percentage points for shares; "~" when below noise.
func delta(base, v float64, pp bool) string {
	if pp {
		d := v - base
		if math.Abs(d) < significantPP {
			return "~"
		}
		return signed(d, 1) + "pp"
	}
	if base == 0 {
		if v == 0 {
			return "~"
		}
		return "new"
	}
	d := 100 * (v - base) / base
	if math.Abs(d) < significant {
		return "~"
	}
	return signed(d, 0) + "%"
}

// signed formats f with a sign, using a real minus sign.
func signed(f float64, prec int) string {
	s := strconv.FormatFloat(math.Abs(f), 'f', prec, 64)
	if f < 0 {
		return "−" + s
	}
	return "+" + s
}

// comparisonTables returns the side-by-side tables: the legend of the column
// labels, the metrics (a column per target, each value after the first
// with its change against the first in brackets) and the gates (PASS/FAIL
// with the observed value, per target).
func comparisonTables(c *result.Comparison) []table.Table {
	labels := comparisonColumns(c)
	var ts []table.Table
	if lt, ok := comparisonLegend(c, labels); ok {
		ts = append(ts, lt)
	}
	mt := table.Table{Title: "Side by side", Header: append([]string{"metric"}, labels...)}
	for _, row := range comparisonRows(c) {
		cells := []string{row.label}
		for i := range c.Results {
			cells = append(cells, comparisonValueCell(c, row, i))
		}
		mt.Rows = append(mt.Rows, cells)
	}
	mt.Notes = comparisonNotes(c, labels)
	ts = append(ts, mt)
	if gt, ok := comparisonGateTable(c, labels); ok {
		ts = append(ts, gt)
	}
	return ts
}

// comparisonAnyTooFew says whether some change of the comparison stands on too few
// samples to be claimed.
func comparisonAnyTooFew(c *result.Comparison) bool {
	for _, row := range comparisonRows(c) {
		for i := 1; i < len(c.Results); i++ {
			if strings.HasSuffix(comparisonValueCell(c, row, i), "(too few)") {
				return true
			}
		}
	}
	return false
}

// comparisonValueCell is result i's value in row, followed after the first result
// by its change against the first in brackets: "1020 (−46%)".
func comparisonValueCell(c *result.Comparison, row compareRow, i int) string {
	v, ok := c.Results[i].Metric(row.metric)
	if !ok {
		return "—"
	}
	s := cell(v)
	if i == 0 {
		return s
	}
	if base, ok := c.Results[0].Metric(row.metric); ok {
		s += " (" + changeOf(c.Results[0], c.Results[i], row.metric, base.V, v.V, row.pp) + ")"
	}
	return s
}

// comparisonNotes are the footnotes of the side-by-side figures: how to read the
// changes, and the runs whose figures are partial or held back by
// loadcheck itself.
func comparisonNotes(c *result.Comparison, labels []string) []string {
	var out []string
	if len(c.Results) > 1 {
		out = append(out,
			fmt.Sprintf("(change) against %s: relative for times, rates, CPU and memory, in percentage points (pp) for errors and loss", labels[0]),
			fmt.Sprintf("~ within noise: under %.0f%% (%.1fpp) apart, under the samples' own spread (a percentile's rank moves by √ of the responses beyond it), or under CPU's resolution (one tick per sample, 1pp of a core at 1 s)", significant, significantPP))
		if comparisonAnyTooFew(c) {
			out = append(out, fmt.Sprintf("too few: fewer than %d responses beyond a percentile (p95 needs 100 successes, p99 500) or fewer than %d requests behind a share: no change is claimed", minBeyond, minShareSamples))
		}
	}
	out = append(out, metric.LatencyCovers)
	for i, r := range c.Results {
		if r.Status != result.Complete {
			out = append(out, fmt.Sprintf("%s: %s after %s — partial figures", labels[i], r.Status, r.Elapsed.Round(time.Second)))
		}
		if tot := r.HTTP.Total; tot.Late > 0 && tot.LateRate() >= 1 {
			out = append(out, fmt.Sprintf("%s: %s of requests were sent late: loadcheck itself fell behind", labels[i], unit.FormatShare(tot.LateRate())))
		}
	}
	return out
}

// comparisonBlockTables lays the comparison out for a terminal too narrow for a
// column per target: a block per target, its metrics in one column (with
// the change against the first target) and its gates below.
func comparisonBlockTables(c *result.Comparison) []table.Table {
	labels := comparisonColumns(c)
	rows := comparisonRows(c)
	var ts []table.Table
	for i, r := range c.Results {
		t := table.Table{Title: labels[i], Header: []string{"metric", "value"}}
		if r.Target.Name != "" && r.Target.Name != labels[i] {
			t.Title += " — " + r.Target.Name
		}
		if i > 0 {
			t.Header[1] = "value (vs " + labels[0] + ")"
		}
		for _, row := range rows {
			t.Rows = append(t.Rows, []string{row.label, comparisonValueCell(c, row, i)})
		}
		for _, o := range r.Gates {
			res, obs, _ := strings.Cut(outcomeCell(r, o.Gate), " ")
			t.Notes = append(t.Notes, res+" "+o.Gate+": "+obs)
		}
		t.Notes = append(t.Notes, targetNotes(r, labels[i])...)
		ts = append(ts, t)
	}
	if len(ts) > 0 {
		ts[len(ts)-1].Notes = append(ts[len(ts)-1].Notes, comparisonNotes(c, labels)...)
	}
	return ts
}

func comparisonGateTable(c *result.Comparison, labels []string) (table.Table, bool) {
	var gates []string
	seen := map[string]bool{}
	for _, r := range c.Results {
		for _, o := range r.Gates {
			if !seen[o.Gate] {
				seen[o.Gate] = true
				gates = append(gates, o.Gate)
			}
		}
	}
	if len(gates) == 0 {
		return table.Table{}, false
	}
	t := table.Table{Title: "Gates", Header: append([]string{"gate"}, labels...)}
	for _, g := range gates {
		row := []string{g}
		for _, r := range c.Results {
			row = append(row, outcomeCell(r, g))
		}
		t.Rows = append(t.Rows, row)
	}
	for i, r := range c.Results {
		t.Notes = append(t.Notes, targetNotes(r, labels[i])...)
	}
	return t, true
}

// targetNotes say why a target lost broadcasts, or measured one worker
// for two, each line starting with its label.
func targetNotes(r *result.Result, label string) []string {
	var out []string
	if w := r.WebSocket; w != nil && w.Loss > 0 {
		src := ""
		if r.Sources != nil && r.Sources.Broadcaster != "" {
			src = " (broadcasts posted from " + r.Sources.Broadcaster + ")"
		}
		for _, n := range boardNotes(w) {
			out = append(out, fmt.Sprintf("%s: %s%s", label, n, src))
		}
	}
	if w := spreadWarning(r); w != "" {
		out = append(out, fmt.Sprintf("%s: warning: %s", label, w))
	}
	return out
}

func outcomeCell(r *result.Result, g string) string {
	for _, o := range r.Gates {
		if o.Gate != g {
			continue
		}
		obs := o.Reason
		if o.Observed != nil {
			obs = o.Observed.String()
		}
		if o.Pass {
			return "PASS " + obs
		}
		return "FAIL " + obs
	}
	return "—"
}

// comparisonVerdicts returns one line per target: PASS or FAIL, how its gated
// metrics moved against the first target, and each failing gate with the
// measured value, e.g. "sim, 2 workers: FAIL — http.zeus-search.p95 −46%
// vs sim, 1 worker, but ws.loss 49.7% fails ws.loss == 0%". A last line
// recommends the cheapest target that passes (Recommendation).
func comparisonVerdicts(c *result.Comparison) []string {
	return verdictsWith(c, nil)
}

// verdictsWith are the Verdicts, with the capacities of sats in the
// recommendation.
func verdictsWith(c *result.Comparison, sats []*result.Saturation) []string {
	labels := comparisonColumns(c)
	var out []string
	for i, r := range c.Results {
		var b strings.Builder
		b.WriteString(labels[i] + ": ")
		switch r.Status {
		case result.Interrupted:
			b.WriteString("INTERRUPTED after " + r.Elapsed.Round(time.Second).String() + " — ")
		case result.Aborted:
			b.WriteString("ABORTED after " + r.Elapsed.Round(time.Second).String() + " (" + r.Reason + ") — ")
		case result.Failed:
			b.WriteString("FAILED (" + r.Reason + ") — ")
		}
		var moves []string
		if i > 0 {
			moves = comparisonMoves(c, 0, i)
		}
		var fails []string
		for _, o := range r.Gates {
			if !o.Pass {
				fails = append(fails, result.Describe(o))
			}
		}
		vs := ""
		if len(moves) > 0 {
			vs = strings.Join(moves, ", ") + " vs " + labels[0]
		}
		switch {
		case len(r.Gates) == 0:
			b.WriteString("no gates")
			if vs != "" {
				b.WriteString("; " + vs)
			}
		case len(fails) == 0 && r.Pass:
			b.WriteString("PASS — " + gatesHold(len(r.Gates)))
			if vs != "" {
				b.WriteString("; " + vs)
			}
		case len(fails) == 0:
			b.WriteString("FAIL — the run did not complete")
		case vs != "":
			b.WriteString("FAIL — " + vs + ", but " + strings.Join(fails, "; "))
		default:
			b.WriteString("FAIL — " + strings.Join(fails, "; "))
		}
		out = append(out, b.String())
	}
	if len(c.Results) > 1 {
		out = append(out, Recommendation(c, sats))
	}
	return out
}

// comparisonMoves lists the significant changes of result j's gated metrics against
// result i's, e.g. "http.zeus-search.p95 −46%", leaving out metrics of
// gates that failed.
func comparisonMoves(c *result.Comparison, i, j int) []string {
	a, b := c.Results[i], c.Results[j]
	var out []string
	seen := map[string]bool{}
	for _, o := range b.Gates {
		if !o.Pass {
			// Said again, with its value, among the failures.
			seen[o.Metric] = true
		}
	}
	for _, o := range b.Gates {
		if seen[o.Metric] {
			continue
		}
		seen[o.Metric] = true
		va, oka := a.Metric(o.Metric)
		vb, okb := b.Metric(o.Metric)
		if !oka || !okb {
			continue
		}
		m, _ := metric.Find(o.Metric)
		pp := m.DeltaPP
		d := changeOf(a, b, o.Metric, va.V, vb.V, pp)
		if d == "~" || d == "new" || d == "too few" {
			continue
		}
		out = append(out, o.Metric+" "+d)
	}
	return out
}

// comparisonHeadline is the first line of a comparison.
func comparisonHeadline(c *result.Comparison) string {
	name := ""
	if len(c.Results) > 0 {
		name = c.Results[0].Scenario.Name
	}
	var targets []result.TargetInfo
	for _, r := range c.Results {
		targets = append(targets, r.Target)
	}
	return fmt.Sprintf("loadcheck compare: %s against %s — %s", name, unit.Plural(len(c.Results), "target", "targets"), strings.Join(comparisonColumns(c), " · ")) + tlsHeadline(targets...)
}
