package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/report/chart"
	"github.com/loadcheck/loadcheck/internal/result"
)

// withDownstreams gives r a postgres database called rate times a second
// over 10 s through 2 workers' pools, and a stub of 3 calls a request.
func withDownstreams(r *result.Result, rate float64) *result.Result {
	ok := float64(r.HTTP.Total.Successes())
	r.Downstreams = []downstream.Summary{
		{Name: "postgres", Kind: "postgres", Source: downstream.SourceStatements, Calls: rate * 10, Seconds: 10, RatePerSec: rate,
			Top:    []downstream.Entry{{Key: "SELECT count(*) FROM jobs", Calls: rate * 10}},
			Conns:  &downstream.ConnSummary{Peak: 10, Mean: 9.5, MaxProcess: 5, Samples: 10, ByPID: map[int]downstream.ProcConns{201: {Peak: 5, Mean: 5}, 202: {Peak: 5, Mean: 4.5}}},
			Series: []downstream.Point{{}, {Seconds: 5, Calls: rate * 5}, {Seconds: 10, Calls: rate * 10}}},
		{Name: "embed", Kind: "stub", Source: downstream.SourceStub, Calls: 3 * ok, Seconds: r.Elapsed.Seconds(), RatePerSec: 3 * ok / r.Elapsed.Seconds(),
			Top: []downstream.Entry{{Key: "/v1/embeddings", Calls: 3 * ok}}, ByPID: map[int]float64{201: 3 * ok}},
	}
	return r
}

// TestDownstreamsRendered checks what a reader of each format sees of the
// downstreams: the section with source, calls, rate, per request, top
// entries and connections per process; the comparison row with its
// change; the Prometheus families labelled by downstream; the chart.
func TestDownstreamsRendered(t *testing.T) {
	t.Parallel()
	r := withDownstreams(fixture(t), 0.33)
	var text bytes.Buffer
	if err := Render(&text, r, FormatTable); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Downstreams", "postgres (pg_stat_statements)", "embed", "│ stub  ", "3.00",
		"postgres top: SELECT count(*) FROM jobs (3.3)", "postgres connections by process: pid 201 peak 5 mean 5.0, pid 202 peak 5 mean 4.5",
		"embed calls by process: pid 201"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the table report lacks %q:\n%s", want, text.String())
		}
	}
	c := result.NewComparison([]*result.Result{withDownstreams(oneWorker(t), 0.33), withDownstreams(fixture(t), 0.67)})
	var cmp bytes.Buffer
	if err := Render(&cmp, c, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	row := lineWith(cmp.String(), "downstream.postgres.rate")
	if !strings.Contains(row, "0.33") || !strings.Contains(row, "0.67") || !strings.Contains(row, "+103%") {
		t.Errorf("comparison row %q: want 0.33 → 0.67 and its change", row)
	}
	var prom bytes.Buffer
	if err := Render(&prom, r, FormatPrometheus); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`loadcheck_downstream_calls_per_second{scenario="prelaunch",target="uvicorn, 2 workers",downstream="postgres"} 0.33`,
		`loadcheck_downstream_connections_peak{scenario="prelaunch",target="uvicorn, 2 workers",downstream="postgres"} 10`,
		`loadcheck_downstream_calls_per_request{scenario="prelaunch",target="uvicorn, 2 workers",downstream="embed"} 3`} {
		if !strings.Contains(prom.String(), want) {
			t.Errorf("the Prometheus output lacks %s:\n%s", want, prom.String())
		}
	}
	var ch chart.Chart
	for _, c := range chart.Run(r) {
		if strings.HasPrefix(c.Title, "Downstream calls") {
			ch = c
		}
	}
	if len(ch.Lines) != 1 || ch.Lines[0].XY[1].Y < 0.329 || ch.Lines[0].XY[1].Y > 0.331 {
		t.Errorf("downstream chart %+v, want postgres at 0.33 calls/s", ch.Lines)
	}
}

func lineWith(s, sub string) string {
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// The history keeps a downstream's calls per request, which nightly's
// regressions compare night over night.
func TestHistoryKeepsPerRequest(t *testing.T) {
	t.Parallel()
	r := withDownstreams(fixture(t), 1)
	e := result.HistoryEntryOf("2026-12-04", r, nil)
	if v := e.PerRequest["embed"]; v < 2.999 || v > 3.001 {
		t.Errorf("history keeps embed per request %v, want 3", v)
	}
}
