package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/verdict"
)

// withTimelines gives r five seconds of per-second figures, scaled by
// slow, so that charts have something to draw.
func withTimelines(r *result.Result, slow float64) *result.Result {
	for i := range r.HTTP.Endpoints {
		e := &r.HTTP.Endpoints[i]
		e.Timeline = nil
		for s := range 5 {
			f := slow * (1 + 0.1*float64(s%3))
			e.Timeline = append(e.Timeline, record.Second{T: s, Requests: uint64(10 + s), Errors: uint64(s % 2),
				P50: msv(float64(e.Latency.P50.Duration().Milliseconds()) * f),
				P95: msv(float64(e.Latency.P95.Duration().Milliseconds()) * f),
				P99: msv(float64(e.Latency.P99.Duration().Milliseconds()) * f)})
		}
	}
	r.HTTP.Total.Timeline = nil
	for s := range 5 {
		r.HTTP.Total.Timeline = append(r.HTTP.Total.Timeline, record.Second{T: s, Requests: uint64(25 + s), Errors: uint64(s % 2),
			P50: msv(3), P95: msv(900 * slow), P99: msv(1400 * slow)})
	}
	if res := r.Resources; res != nil {
		res.Timeline = nil
		for s := range 6 {
			var per []float64
			var tot float64
			for i := range res.Processes {
				v := res.Processes[i].CPUMean * (1 + 0.05*float64(s))
				per = append(per, v)
				tot += v
			}
			res.Timeline = append(res.Timeline, resource.Sample{T: time.Duration(s) * time.Second, CPU: tot, RSS: res.RSSTotal, PerProcess: per})
		}
	}
	return r
}

// oneWorker is the fixture's baseline: one worker, slower search, no loss.
func oneWorker(t *testing.T) *result.Result {
	t.Helper()
	r := fixture(t)
	r.RunID = "20261123T095500Z-0000aaaa"
	r.Start = r.Start.Add(-5 * time.Minute)
	r.Target = result.TargetInfo{Name: "uvicorn, 1 worker", BaseURL: "http://127.0.0.1:41000", Started: true, ReadyTime: 900 * time.Millisecond}
	s := &r.HTTP.Endpoints[0]
	s.Latency = record.Percentiles{P50: msv(800), P90: msv(1600), P95: msv(1900), P99: msv(2600), Max: msv(3100), Mean: msv(900)}
	s.Errors, s.ErrorKinds = 0, nil
	r.HTTP.Total.Errors = 0
	r.HTTP.Total.Latency.P95 = msv(1700)
	ws := *r.WebSocket
	ws.Delivered, ws.Missing, ws.Loss = ws.Expected, 0, 0
	ws.PerBoard = nil
	for i := range 6 {
		ws.PerBoard = append(ws.PerBoard, boardOK(i))
	}
	r.WebSocket = &ws
	res := *r.Resources
	res.CPUSustained, res.CPUTotal, res.RSSTotal = 71.5, 62, 90<<20
	res.Processes = []resource.Process{
		{PID: 200, Name: "python3 -m uvicorn app:app", Role: "master", CPUMean: 0.3, CPUSustained: 0.5, RSSPeak: 20 << 20},
		{PID: 201, Name: "python3 -c from multiprocessing.spawn ...", Role: "worker", CPUMean: 61.7, CPUSustained: 71.5, RSSPeak: 70 << 20},
	}
	r.Resources = &res
	regate(t, r)
	return r
}

func boardOK(id int) probe.Board {
	return probe.Board{ID: id, Expected: 240, Delivered: 240, Ratio: 1, Worker: "201"}
}

func regate(t *testing.T, r *result.Result) {
	t.Helper()
	var gates []gate.Gate
	for _, o := range r.Gates {
		g, err := metric.ParseGate(o.Gate)
		if err != nil {
			t.Fatal(err)
		}
		gates = append(gates, g)
	}
	r.Gates, r.Pass = gate.EvalAll(gates, r)
}

func comparison(t *testing.T) *result.Comparison {
	t.Helper()
	return result.NewComparison([]*result.Result{withTimelines(oneWorker(t), 1.6), withTimelines(fixture(t), 1)})
}

func TestComparisonVerdicts(t *testing.T) {
	c := comparison(t)
	got := comparisonVerdicts(c)
	want := []string{
		"uvicorn, 1 worker: FAIL — cpu.sustained 71.5% fails cpu.sustained < 60%",
		"uvicorn, 2 workers: FAIL — http.zeus-search.p95 −46%, http.errors +0.1pp, cpu.sustained −46% vs uvicorn, 1 worker, but ws.loss 49.7% fails ws.loss == 0%",
		"recommended: none — no target passes every gate",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Verdicts() (-want +got):\n%s", diff)
	}
	if c.Pass {
		t.Errorf("Pass = true with failing gates")
	}
}

func TestComparisonLabelsDisambiguate(t *testing.T) {
	a, b := fixture(t), fixture(t)
	b.RunID = "20261124T100000Z-ffff0000"
	got := comparisonLabels(result.NewComparison([]*result.Result{a, b}))
	want := []string{"uvicorn, 2 workers 20261123T100000Z-abcd1234", "uvicorn, 2 workers 20261124T100000Z-ffff0000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Labels() of two runs of one target (-want +got):\n%s", diff)
	}
}

func TestDelta(t *testing.T) {
	tests := []struct {
		base, v float64
		pp      bool
		want    string
	}{
		{1900, 1020, false, "−46%"},
		{100, 103, false, "~"},
		{100, 150, false, "+50%"},
		{0, 0, false, "~"},
		{0, 5, false, "new"},
		{0, 49.72, true, "+49.7pp"},
		{0.1, 0.12, true, "~"},
	}
	for _, tc := range tests {
		if got := delta(tc.base, tc.v, tc.pp); got != tc.want {
			t.Errorf("delta(%v, %v, %v) = %q, want %q", tc.base, tc.v, tc.pp, got, tc.want)
		}
	}
}

func TestCompareGolden(t *testing.T) {
	c := comparison(t)
	var txt, md bytes.Buffer
	if err := Render(&txt, c, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "compare.txt", txt.Bytes())
	if err := Render(&md, c, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "compare.md", md.Bytes())
}

func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, comparison(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "compare.junit.xml", b.Bytes())

	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("junit does not parse: %v\n%s", err, b.String())
	}
	if doc.Tests != 8 || doc.Failures != 2 || len(doc.Suites) != 2 {
		t.Errorf("junit: %d tests, %d failures, %d suites; want 8, 2, 2", doc.Tests, doc.Failures, len(doc.Suites))
	}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if s.Name == "uvicorn, 2 workers" && c.Name == "ws.loss == 0%" {
				if c.Failure == nil || !strings.Contains(c.Failure.Text, "observed:  49.7%") || !strings.Contains(c.Failure.Text, "threshold: == 0.0%") {
					t.Errorf("ws.loss case of the 2-worker suite: %+v, want a failure with observed and threshold", c.Failure)
				}
			}
		}
	}
}

// saturation is a fixed capacity search: 1 worker, search gated at 2 s.
func saturation(t *testing.T) *result.Saturation {
	t.Helper()
	g, _ := metric.ParseGate("http.zeus-search.p95 < 2s")
	c, _ := metric.ParseGate("cpu.sustained < 60%")
	step := func(phase string, rate, p95s, cpu float64) result.Step {
		r := fixture(t)
		r.HTTP.Endpoints[0].Latency.P95 = msv(p95s * 1000)
		r.Resources.CPUSustained = cpu
		r.Gates, r.Pass = gate.EvalAll([]gate.Gate{g, c}, r)
		r.HTTP.Total.Rate = rate * 0.99
		r.HTTP.Total.Achieved = math.Min(rate*0.99, 36)
		r.HTTP.Total.Latency.P95 = msv(p95s * 900)
		r.RunID = "20261123T1000" + strings.ReplaceAll(phase[:2], "-", "") + "Z"
		return result.StepOf(phase, rate, r)
	}
	s := &result.Saturation{
		Schema: result.Schema, Kind: result.KindSaturation, ID: "20261123T100000Z-5a5a5a5a",
		Scenario: result.ScenarioInfo{Name: "prelaunch", File: "scenarios/prelaunch.yaml", Duration: 20 * time.Second, Warmup: 5 * time.Second},
		Target:   result.TargetInfo{Name: "uvicorn, 1 worker", File: "targets/titan-1w.yaml"},
		Start:    time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Hold: 20 * time.Second, Precision: 10,
		Gates: []string{g.Text, c.Text},
		Steps: []result.Step{
			step("ramp", 10, 0.9, 20), step("ramp", 20, 1.2, 38), step("ramp", 40, 3.4, 59),
			step("bisect", 30, 1.6, 49), step("bisect", 35, 2.3, 55), step("bisect", 32.5, 1.8, 52),
		},
		Capacity: 32.5, LimitRate: 35, Production: 40.0 / 60, ProductionText: "40/min", Status: result.Complete, Pass: true,
	}
	s.Limit = s.Steps[4].Failed()
	return s
}

func TestSaturationSummary(t *testing.T) {
	s := saturation(t)
	want := "capacity 32.5 req/s = 49× today's 40/min, limited by http.zeus-search.p95 2.30s fails http.zeus-search.p95 < 2s at 35 req/s"
	if got := SaturationSummary(s); got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := Render(&b, s, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "saturate.txt", b.Bytes())
}

// ceilingSaturation is a search that reached --max with every gate
// holding.
func ceilingSaturation(t *testing.T) *result.Saturation {
	s := saturation(t)
	s.Steps = s.Steps[:2]
	s.Capacity, s.Limit, s.LimitRate, s.AtLeast, s.StoppedBy = 20, nil, 0, true, "--max 20/s"
	return s
}

// A search that reached its ceiling with every gate holding reports the
// capacity as a lower bound; one that an abort stopped going higher says so.
func TestSaturationCeilingGolden(t *testing.T) {
	s := ceilingSaturation(t)
	var txt, md bytes.Buffer
	if err := Render(&txt, s, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "saturate-ceiling.txt", txt.Bytes())
	a := saturation(t)
	a.Steps[0].CPUWindow = "cpu.sustained over 20 s only (window 30 s)"
	a.Status, a.Reason = result.Aborted, "an abort condition fired at 35 req/s (after an abort no higher rate is tried)"
	a.Limit = append(a.Limit, `abort: abort condition "http.errors > 20%" held (http.errors 35.0%)`)
	if err := Render(&md, a, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "saturate-abort.md", md.Bytes())
	for _, want := range []string{"capacity ≥ 20 req/s (the search's ceiling, --max 20/s: no gate failed) ≥ 30× today's 40/min"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, txt.String())
		}
	}
}

// nightly is a fixed nightly report with a regression and 3 nights of trend.
func nightly(t *testing.T) *result.Nightly {
	t.Helper()
	c := comparison(t)
	var trend []result.HistoryEntry
	for i, d := range []string{"2026-11-21", "2026-11-22"} {
		for _, r := range c.Results {
			e := result.HistoryEntryOf(d, r, nil)
			for k, v := range e.P95 {
				e.P95[k] = record.DurationMs((v * record.DurationMs(10-i) / 12).Duration().Round(time.Millisecond))
			}
			e.Capacity = 40 - float64(i)
			trend = append(trend, e)
		}
	}
	var tonight []result.HistoryEntry
	for _, r := range c.Results {
		e := result.HistoryEntryOf("2026-11-23", r, nil)
		e.Capacity = 32.5
		tonight = append(tonight, e)
	}
	n := &result.Nightly{Schema: result.Schema, Kind: result.KindNightly, Date: "2026-11-23", Comparison: c, Saturations: []*result.Saturation{saturation(t)},
		Thresholds: result.DefaultThresholds(), Regressions: verdict.Regressions(trend, tonight, result.DefaultThresholds()),
		Trend: append(trend, tonight...)}
	n.Pass = false
	return n
}

var svgElement = regexp.MustCompile(`(?s)<svg role="img" aria-label="([^"]*)".*?</svg>`)

// normalizeHTML replaces each inline SVG by its name: the golden file then
// pins the page's structure and text, not the last digit of a coordinate.
func normalizeHTML(b []byte) []byte {
	return svgElement.ReplaceAll(b, []byte(`<svg aria-label="$1">…</svg>`))
}

func TestHTMLGolden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		doc     result.Document
		figures int
	}{
		{"run", withTimelines(fixture(t), 1), 6},
		{"run-overload", withTimelines(overload(t), 1), 3},
		{"compare", comparison(t), 8},
		{"saturate", saturation(t), 3},
		{"saturate-ceiling", ceilingSaturation(t), 3},
		{"nightly", nightly(t), 5 + 8 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteHTML(&b, tc.doc); err != nil {
				t.Fatal(err)
			}
			page := b.Bytes()
			for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "url("} {
				if i := bytes.Index(bytes.ReplaceAll(page, []byte(`xmlns="http://www.w3.org/2000/svg"`), nil), []byte(bad)); i >= 0 && !allowedURL(page, bad) {
					t.Errorf("page contains %q: it must work offline", bad)
				}
			}
			svgs := svgElement.FindAll(page, -1)
			if len(svgs) != tc.figures {
				t.Errorf("%d charts, want %d", len(svgs), tc.figures)
			}
			for _, s := range svgs {
				var v struct {
					XMLName xml.Name
				}
				if err := xml.Unmarshal(s, &v); err != nil || v.XMLName.Local != "svg" {
					t.Errorf("chart is not well-formed SVG: %v", err)
				}
				if bytes.Count(s, []byte("<path")) < 5 {
					t.Errorf("chart %.80s… draws almost nothing", s)
				}
			}
			golden.Check(t, tc.name+".html", normalizeHTML(page))
		})
	}
}

// allowedURL reports whether every occurrence of s in page is an XML
// namespace (SVG needs them) or the base URL shown as text.
func allowedURL(page []byte, s string) bool {
	if s != "http://" {
		return false
	}
	for _, m := range regexp.MustCompile(`http://[^\s"<)]*`).FindAll(page, -1) {
		u := string(m)
		if !strings.HasPrefix(u, "http://www.w3.org/") && !strings.HasPrefix(u, "http://127.0.0.1") {
			return false
		}
	}
	return true
}

func TestHTMLDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteHTML(&a, nightly(t)); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&b, nightly(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two renderings of one document differ")
	}
}

func TestRenderEveryFormat(t *testing.T) {
	docs := map[string]result.Document{"run": fixture(t), "compare": comparison(t), "saturate": saturation(t), "nightly": nightly(t)}
	dir := t.TempDir()
	for name, doc := range docs {
		for _, f := range Formats() {
			var b bytes.Buffer
			if err := Render(&b, doc, f); err != nil || b.Len() == 0 {
				t.Errorf("Render(%s, %s): %d bytes, %v", name, f, b.Len(), err)
			}
		}
		// JSON reads back as the same kind of document.
		path := filepath.Join(dir, name+".json")
		if err := result.WriteFileAtomic(path, func(w io.Writer) error { return Render(w, doc, FormatJSON) }); err != nil {
			t.Fatal(err)
		}
		back, err := result.ReadDocument(path)
		if err != nil {
			t.Fatalf("ReadDocument(%s): %v", name, err)
		}
		// Millisecond fields keep microseconds: compare what is stored.
		var first, again bytes.Buffer
		Render(&first, doc, FormatJSON)
		Render(&again, back, FormatJSON)
		if diff := cmp.Diff(first.String(), again.String()); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
		if fmt.Sprintf("%T", back) != fmt.Sprintf("%T", doc) {
			t.Errorf("%s read back as %T, want %T", name, back, doc)
		}
	}
	if err := Render(io.Discard, fixture(t), "pdf"); err == nil {
		t.Errorf("Render(pdf) = nil, want an error naming the formats")
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema":1,"kind":"weather"}`), 0o644)
	if _, err := result.ReadDocument(bad); err == nil || !strings.Contains(err.Error(), "weather") {
		t.Errorf("ReadDocument(kind weather) = %v, want an error naming the kind", err)
	}
}

// TestNightlyTextGolden holds the nightly report on a terminal and in
// Markdown (report.md of the night's folder): its comparison and search
// drawn inside it, the trend, the regressions and the verdict.
func TestNightlyTextGolden(t *testing.T) {
	n := nightly(t)
	var txt, md bytes.Buffer
	if err := Render(&txt, n, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "nightly.txt", txt.Bytes())
	if err := Render(&md, n, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "nightly.md", md.Bytes())
}

// TestCompareNoise: compare claims a change only past the noise of its
// samples. CPU 1.00 % against 0.87 % of a core (samples in 1 % steps) is
// no change; a p95 of 3 requests is "too few"; neither leads a verdict,
// while a p95 halved over 1,200 responses is a finding.
func TestCompareNoise(t *testing.T) {
	a, b := fixture(t), fixture(t)
	a.Resources.CPUSustained, b.Resources.CPUSustained = 1.00, 0.87
	a.Resources.Every, b.Resources.Every = time.Second, time.Second
	few := &b.HTTP.Endpoints[1] // homepage: 3 requests, p95 −68 %
	few.Requests, few.Errors = 3, 0
	few.Latency.P95 = msv(4.8 * 0.32)
	b.HTTP.Endpoints[0].Latency.P95 = msv(510) // zeus-search: −50 % over 1,197 successes
	b.Target.Name, b.Target.File = "other", "targets/other.yaml"
	c := result.NewComparison([]*result.Result{a, b})
	var txt bytes.Buffer
	if err := Render(&txt, c, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "compare-noise.txt", txt.Bytes())
	out := txt.String()
	for _, want := range []string{"0.87 (~)", "1.54 (too few)", "510 (−50%)", "too few: fewer than 5 responses beyond a percentile"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q", want)
		}
	}
	v := strings.Join(verdictsWith(c, nil), "\n")
	if strings.Contains(v, "cpu.sustained") || strings.Contains(v, "homepage.p95") {
		t.Errorf("the verdict leads with noise: %s", v)
	}
	if !strings.Contains(v, "http.zeus-search.p95 −50%") {
		t.Errorf("the verdict lacks the real change: %s", v)
	}
}
