package report

import (
	"bytes"
	"html"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

func msv(f float64) record.DurationMs { return record.DurationMs(f * float64(time.Millisecond)) }

// fixture is a fixed result: a 2-worker target losing half its broadcasts.
func fixture(t *testing.T) *result.Result {
	t.Helper()
	search := record.EndpointSummary{
		Name: "zeus-search", Requests: 1200, Errors: 3, Rate: 10, Achieved: 9.95, Late: 0, InflightMean: 4.2,
		Latency:      record.Percentiles{P50: msv(412), P90: msv(870), P95: msv(1020), P99: msv(1480), Max: msv(2210), Mean: msv(500)},
		Service:      record.Percentiles{P50: msv(410), P90: msv(860), P95: msv(1010), P99: msv(1470), Max: msv(2200), Mean: msv(498)},
		Codes:        map[string]uint64{"200": 1197, "503": 3},
		ErrorKinds:   []record.ErrorCount{{Kind: "http 5xx", Count: 3, Example: "503 Service Unavailable"}},
		ErrorLatency: record.Percentiles{P50: msv(1.1), P95: msv(1.4), Max: msv(1.5)},
	}
	home := record.EndpointSummary{
		Name: "homepage", Requests: 1800, Rate: 15, Achieved: 15, InflightMean: 0.1,
		Latency: record.Percentiles{P50: msv(2.1), P90: msv(3.4), P95: msv(4.8), P99: msv(9.9), Max: msv(31), Mean: msv(2.4)},
		Service: record.Percentiles{P50: msv(2.1), P90: msv(3.4), P95: msv(4.8), P99: msv(9.9), Max: msv(31), Mean: msv(2.4)},
		Codes:   map[string]uint64{"200": 1800},
	}
	total := record.EndpointSummary{
		Name: "all", Requests: 3000, Errors: 3, Rate: 25, Achieved: 24.95, AfterPhase: 2, InflightMean: 4.3,
		ErrorLatency: record.Percentiles{P50: msv(1.1), P95: msv(1.4), Max: msv(1.5)},
		Latency:      record.Percentiles{P50: msv(3), P90: msv(700), P95: msv(900), P99: msv(1400), Max: msv(2210)},
		Service:      record.Percentiles{P50: msv(3), P90: msv(700), P95: msv(900), P99: msv(1400), Max: msv(2200)},
	}
	r := &result.Result{
		Schema: result.Schema, RunID: "20261123T100000Z-abcd1234",
		Scenario: result.ScenarioInfo{Name: "prelaunch", File: "scenarios/prelaunch.yaml", Duration: 2 * time.Minute, Warmup: 10 * time.Second,
			Load: []string{"to 20/s over 1m0s", "hold 1m0s"}, PeakRate: 20, WrittenPeakRate: 20, WarmupRate: 20,
			Timeout: 30 * time.Second, KeepAlive: true, MaxWorkers: 512, Clients: 100},
		Sources: &clientaddr.Description{Mode: "spread", Broadcaster: "127.1.0.1", Boards: "127.1.1.1–127.1.6.1 (6 /24s)",
			SSE: "127.1.7.1–127.1.9.1 (3 /24s)", HTTP: "127.1.10.1–127.1.109.1 (100 /24s)"},
		Target:    result.TargetInfo{Name: "uvicorn, 2 workers", BaseURL: "http://127.0.0.1:41234", Started: true, ReadyTime: 1800 * time.Millisecond},
		Start:     time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		Elapsed:   2 * time.Minute,
		Status:    result.Complete,
		Generator: result.Generator{Scheduled: 3000, Sent: 3000, MaxWorkers: 512, InflightMax: 17},
		HTTP:      record.Summary{Endpoints: []record.EndpointSummary{search, home}, Total: total, InflightMax: 17, Elapsed: 2 * time.Minute},
		WebSocket: &probe.WSSummary{Boards: 6, Connected: 6, Sent: 240, Acked: 240, Expected: 1440, Delivered: 724, Missing: 716, Loss: 49.72,
			Delivery: record.Percentiles{P50: msv(1.2), P95: msv(3.1), P99: msv(5.5)},
			PerBoard: []probe.Board{
				{ID: 0, From: "127.1.1.1", Expected: 240, Delivered: 121, Ratio: 0.504, Worker: "101"},
				{ID: 1, From: "127.1.2.1", Expected: 240, Delivered: 119, Ratio: 0.496, Worker: "102"},
				{ID: 2, From: "127.1.3.1", Expected: 240, Delivered: 121, Ratio: 0.504, Worker: "101"},
				{ID: 3, From: "127.1.4.1", Expected: 240, Delivered: 121, Ratio: 0.504, Worker: "101"},
				{ID: 4, From: "127.1.5.1", Expected: 240, Delivered: 121, Ratio: 0.504, Worker: "102"},
				{ID: 5, From: "127.1.6.1", Expected: 240, Delivered: 121, Ratio: 0.504, Worker: "102"},
			}},
		SSE: &probe.SSESummary{Clients: 3, Connected: 3, Events: 360, FirstEvent: record.Percentiles{P50: msv(520)}, GapMax: msv(1004)},
		Resources: &resource.Summary{Source: "process tree of pid 100", Cores: 2, SustainedWindow: 30 * time.Second,
			Start:        time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
			CPUSustained: 38.5, CPUTotal: 61.2, RSSTotal: 160 << 20, RSSMaxProcess: 70 << 20,
			Processes: []resource.Process{
				{PID: 100, Name: "python3 -m uvicorn app:app --workers 2", Role: "master", CPUMean: 0.4, CPUSustained: 0.6, RSSPeak: 20 << 20},
				{PID: 101, Name: "python3 -c from multiprocessing.spawn ...", Role: "worker", CPUMean: 30.1, CPUSustained: 38.5, RSSPeak: 70 << 20},
				{PID: 102, Name: "python3 -c from multiprocessing.spawn ...", Role: "worker", CPUMean: 30.7, CPUSustained: 37.9, RSSPeak: 70 << 20},
			},
			Timeline: []resource.Sample{
				{T: time.Second, CPU: 61, RSS: 160 << 20, PerProcess: []float64{0.4, 30.5, 30.1}},
				{T: 2 * time.Second, CPU: 61, RSS: 160 << 20, PerProcess: []float64{0.4, 29.5, 30.9}},
			}},
	}
	var gates []gate.Gate
	for _, s := range []string{"http.zeus-search.p95 < 2s", "http.errors < 1%", "ws.loss == 0%", "cpu.sustained < 60%"} {
		g, err := metric.ParseGate(s)
		if err != nil {
			t.Fatal(err)
		}
		gates = append(gates, g)
	}
	r.Gates, r.Pass = gate.EvalAll(gates, r)
	return r
}

// overload is a fixed result of a target past its capacity: three fast
// 503s to every slow success, requests the generator never sent, and
// responses beyond the histogram's ceiling.
func overload(t *testing.T) *result.Result {
	t.Helper()
	clip := record.DurationMs(time.Minute)
	ep := record.EndpointSummary{
		Name: "search", Requests: 400, Errors: 300, Rate: 80, Achieved: 18.4, AfterPhase: 12, InflightMean: 61.5,
		Latency:      record.Percentiles{P50: msv(500), P90: msv(2400), P95: msv(31000), P99: clip, Max: clip, Mean: msv(4100), Ceiling: clip},
		Service:      record.Percentiles{P50: msv(480), P90: msv(2100), P95: msv(9000), P99: msv(30100), Max: msv(30100), Mean: msv(1900)},
		ErrorLatency: record.Percentiles{P50: msv(2.2), P95: msv(4.1), Max: msv(30000), Mean: msv(3)},
		Codes:        map[string]uint64{"200": 100, "503": 290, "0": 10},
		ErrorKinds: []record.ErrorCount{{Kind: "http 5xx", Count: 290, Example: "503 Service Unavailable"},
			{Kind: "timeout", Count: 10, Example: `Get "http://127.0.0.1:41234/search": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`}},
		OutOfRange: 3,
	}
	total := ep
	total.Name = "all"
	r := &result.Result{
		Schema: result.Schema, RunID: "20261123T110000Z-overload",
		Scenario: result.ScenarioInfo{Name: "overload", File: "scenarios/overload.yaml", Duration: 5 * time.Second, Warmup: time.Second,
			Load: []string{"at 100/s", "hold 5s"}, PeakRate: 100, WrittenPeakRate: 100, WarmupRate: 100, Timeout: 30 * time.Second, MaxWorkers: 64},
		Target:    result.TargetInfo{Name: "uvicorn, 1 worker", BaseURL: "http://127.0.0.1:41234"},
		Start:     time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC),
		Elapsed:   5 * time.Second,
		Status:    result.Complete,
		Generator: result.Generator{Scheduled: 500, Sent: 400, MaxWorkers: 64, InflightMax: 64},
		HTTP:      record.Summary{Endpoints: []record.EndpointSummary{ep}, Total: total, InflightMax: 64, Elapsed: 5 * time.Second},
		Resources: &resource.Summary{Source: "prometheus http://127.0.0.1:41234/metrics", Cores: 2, Every: time.Second,
			SustainedWindow: 30 * time.Second, Span: 5 * time.Second, CPUSustained: 97, CPUTotal: 97, RSSTotal: 80 << 20, RSSMaxProcess: 80 << 20,
			Samples: 7, FailedSamples: 2,
			Errors:    []resource.SampleError{{Kind: resource.KindScrape, Count: 2, Example: "http://127.0.0.1:41234/metrics: 503 Service Unavailable"}},
			Processes: []resource.Process{{Name: `process{worker="a"}`, CPUMean: 97, CPUSustained: 97, RSSPeak: 80 << 20}},
			Timeline:  []resource.Sample{{T: time.Second, CPU: 97, RSS: 80 << 20}}},
	}
	var gates []gate.Gate
	for _, s := range []string{"http.p99 < 2s", "http.errors < 1%", "http.unsent < 1%", "http.rate >= 20/s", "cpu.sustained < 60%"} {
		g, err := metric.ParseGate(s)
		if err != nil {
			t.Fatal(err)
		}
		gates = append(gates, g)
	}
	r.Gates, r.Pass = gate.EvalAll(gates, r)
	return r
}

func TestOverloadGolden(t *testing.T) {
	r := overload(t)
	var txt, md bytes.Buffer
	if err := Render(&txt, r, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "run-overload.txt", txt.Bytes())
	if err := Render(&md, r, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "run-overload.md", md.Bytes())
	for _, want := range []string{"> 60 s", "achieved 18.4/s", "100 never sent", "300 failed requests (75.00%) outside them",
		"http.unsent", "> 60.00s", "cpu.sustained over 5 s only (window 30 s)", "2 of 7 samples failed"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

func TestWriteTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, fixture(t), FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "run.txt", b.Bytes())
}

func TestWriteMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	r := fixture(t)
	if err := table.WriteMarkdown(&b, Tables(r)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "run.md", b.Bytes())
}

// Every report states the load it applied in its first lines; a run
// whose stages --duration scaled says so and still decides (it reached
// the peak), one that --rate held below the scenario's peak decides
// nothing and says why.
func TestLoadStated(t *testing.T) {
	holding := func() *result.Result { // the fixture without its failed gate
		r := fixture(t)
		r.Gates = slices.DeleteFunc(r.Gates, func(o gate.Outcome) bool { return !o.Pass })
		r.Pass = true
		return r
	}
	scaled := holding()
	scaled.Scenario.Load = []string{"to 5/s over 3.333s", "to 20/s over 6.667s", "hold 5s"}
	scaled.Scenario.WarmupRate = 5
	scaled.Scenario.LoadChange = "stages written for 1m30s scaled to the 15s phase (each stage 0.17× as long, same rates)"
	below := holding()
	below.Scenario.Load = []string{"at 5/s", "hold 2m0s"}
	below.Scenario.PeakRate, below.Scenario.WarmupRate = 5, 5
	below.Scenario.LoadChange = "a constant 5/s replaces the stages as written (peak 20/s)"
	for _, tc := range []struct {
		name     string
		r        *result.Result
		first    string // the report's second line
		decision string
	}{
		{"run-scaled", scaled, "load: to 5/s over 3.333s, to 20/s over 6.667s, hold 5s — peak 20/s, after 10s warm-up at 5/s (not recorded); changed on the command line: stages written for 1m30s scaled",
			"decision: stay at one worker, tune it —"},
		{"run-below-peak", below, "load: at 5/s, hold 2m0s — peak 5/s, after 10s warm-up at 5/s (not recorded); changed on the command line: a constant 5/s replaces",
			"decision: none — the load peaked at 5/s, below the scenario's 20/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []string{FormatTable, FormatMarkdown} {
				var b bytes.Buffer
				if err := Render(&b, tc.r, f); err != nil {
					t.Fatal(err)
				}
				golden.Check(t, tc.name+map[string]string{FormatTable: ".txt", FormatMarkdown: ".md"}[f], b.Bytes())
				lines := strings.Split(b.String(), "\n")
				if len(lines) < 3 || !strings.Contains(lines[1]+lines[2], tc.first) {
					t.Errorf("%s: first lines %q, want the load %q", f, lines[:min(3, len(lines))], tc.first)
				}
				if !strings.Contains(b.String(), tc.decision) {
					t.Errorf("%s: no %q in\n%s", f, tc.decision, b.String())
				}
			}
			c := &result.Comparison{Results: []*result.Result{tc.r}}
			if rec := Recommendation(c, nil); tc.r == below && !strings.HasPrefix(rec, "recommended: none — the load peaked at 5/s") {
				t.Errorf("Recommendation of a run below the peak = %q, want none and why", rec)
			}
		})
	}
}

// A run interrupted in a long warm-up says so in its headline and
// verdict: where it stopped and after how long, no measured-phase CPU, no
// PASS, its gates not judged.
func TestInterruptedInWarmup(t *testing.T) {
	r := fixture(t)
	r.Status, r.Elapsed, r.Scenario.Warmup, r.WarmupRan = result.Interrupted, 0, time.Hour, 8*time.Second
	r.HTTP = record.Summary{Endpoints: []record.EndpointSummary{{Name: "zeus-search"}, {Name: "homepage"}}, Total: record.EndpointSummary{Name: "all"}}
	r.Generator = result.Generator{Warmup: 40, MaxWorkers: 512}
	r.WebSocket, r.SSE = nil, nil
	r.Gates, r.Pass = gate.EvalAll([]gate.Gate{mustGate(t, "cpu.sustained < 60%"), mustGate(t, "http.errors < 1%")}, r)
	r.Pass = false
	for _, f := range []string{FormatTable, FormatMarkdown} {
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "run-interrupted-warmup"+map[string]string{FormatTable: ".txt", FormatMarkdown: ".md"}[f], b.Bytes())
		out := b.String()
		for _, want := range []string{"interrupted in the warm-up, 8s of 1h0m0s: the measured phase never began", "not judged", "no gate judged"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: lacks %q", f, want)
			}
		}
		for _, bad := range []string{"PASS", "0s measured", "38.50%", "38.5%"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: says %q of a run that never reached its measured phase", f, bad)
			}
		}
	}
}

func mustGate(t *testing.T, s string) gate.Gate {
	t.Helper()
	g, err := metric.ParseGate(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Every document, in every format a person reads, says what latency
// covers in the one sentence metric.LatencyCovers (successes only), and
// none says that errors are included.
func TestLatencySentenceEverywhere(t *testing.T) {
	docs := map[string]result.Document{"run": fixture(t), "compare": comparison(t), "saturate": saturation(t), "nightly": nightly(t)}
	for name, doc := range docs {
		for _, f := range []string{FormatTable, FormatMarkdown, FormatHTML} {
			var b bytes.Buffer
			if err := Render(&b, doc, f); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if f == FormatHTML {
				out = html.UnescapeString(out)
			}
			if !strings.Contains(out, metric.LatencyCovers) {
				t.Errorf("%s as %s does not say what latency covers (%q)", name, f, metric.LatencyCovers)
			}
			if strings.Contains(out, "errors included") {
				t.Errorf("%s as %s says latency includes errors", name, f)
			}
		}
	}
	var b bytes.Buffer
	if err := Render(&b, fixture(t), FormatPrometheus); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "# HELP") && strings.Contains(l, "latency") && !strings.Contains(l, metric.LatencyCovers) {
			t.Errorf("Prometheus help without the sentence: %s", l)
		}
	}
}

// A figure that was not measured is never shown as 0: an endpoint whose
// every request failed (a service answering only 404s) has no latency,
// boards that received nothing no delivery latency, SSE clients without
// an event no first-event time.
func TestNoSuccessNoFigure(t *testing.T) {
	r := fixture(t)
	home := &r.HTTP.Endpoints[1]
	home.Errors, home.Achieved, home.Latency, home.Service = home.Requests, 0, record.Percentiles{}, record.Percentiles{}
	home.Codes = map[string]uint64{"404": home.Requests}
	home.ErrorKinds = []record.ErrorCount{{Kind: "http 4xx", Count: home.Requests, Example: "404 Not Found"}}
	home.ErrorLatency = record.Percentiles{P50: msv(0.8), P95: msv(1.2), Max: msv(3)}
	r.HTTP.Total.Errors += home.Requests
	r.WebSocket.Delivered, r.WebSocket.Loss, r.WebSocket.Delivery = 0, 100, record.Percentiles{}
	r.SSE.Events, r.SSE.FirstEvent, r.SSE.GapMax = 0, record.Percentiles{}, 0
	for _, f := range []string{FormatTable, FormatMarkdown} {
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "run-no-success"+map[string]string{FormatTable: ".txt", FormatMarkdown: ".md"}[f], b.Bytes())
		for _, l := range strings.Split(b.String(), "\n") {
			if (strings.Contains(l, "| homepage ") || strings.Contains(l, "│ homepage ")) && strings.Contains(l, "15.0") {
				if strings.Contains(l, "0.00 ") || !strings.Contains(l, "no successes") {
					t.Errorf("%s: homepage row shows a latency for no success: %s", f, l)
				}
			}
		}
		for _, want := range []string{"homepage: no successes, so no latency: its 1,800 requests failed", "│       3 │         3 │      0 │                  – │              – │"} {
			if f == FormatTable && !strings.Contains(b.String(), want) {
				t.Errorf("%s report lacks %q", f, want)
			}
		}
	}
}

// The decision follows every gate and the run's status: it says "stay"
// only for a complete run whose every gate holds.
func TestDecisionFollowsGates(t *testing.T) {
	tests := []struct {
		name   string
		gates  []string
		modify func(r *result.Result)
		want   []string
	}{
		{"every gate holds", []string{"http.zeus-search.p95 < 2s", "http.errors < 1%", "cpu.sustained < 60%"}, nil,
			[]string{"PASS: all 3 gates hold", "decision: stay at one worker, tune it — http.zeus-search.p95 1.02s < 2s, cpu.sustained 38.5% < 60%"}},
		{"ws.loss fails", []string{"http.zeus-search.p95 < 2s", "ws.loss == 0%", "cpu.sustained < 60%"}, nil,
			[]string{"decision: none — ws.loss 49.7% fails ws.loss == 0%"}},
		{"http.errors fails", []string{"http.errors < 0.05%", "cpu.sustained < 60%"}, nil,
			[]string{"FAIL: 1 of 2 gates failed", "decision: none — http.errors 0.1% fails http.errors < 0.05%"}},
		{"aborted", []string{"cpu.sustained < 60%"}, func(r *result.Result) {
			r.Status, r.Reason = result.Aborted, `abort condition "http.errors > 20%" held (http.errors 35.0%)`
		}, []string{"ABORTED 2m0s into the 2m0s measured phase", `decision: none — the run was aborted 2m0s into the 2m0s measured phase (abort condition "http.errors > 20%" held (http.errors 35.0%))`}},
		{"interrupted", []string{"cpu.sustained < 60%"}, func(r *result.Result) {
			r.Status, r.Elapsed = result.Interrupted, 6*time.Second
		}, []string{"INTERRUPTED 6s into the 2m0s measured phase", `decision: none — the run was interrupted 6s into the 2m0s measured phase`, "not a pass"}},
		{"checkpoint of a killed run", []string{"cpu.sustained < 60%"}, func(r *result.Result) {
			r.Status, r.Elapsed = result.Incomplete, 10*time.Second
		}, []string{"INCOMPLETE: a checkpoint written 10s into the 2m0s measured phase by a run that did not finish",
			`decision: none — the run did not finish (a checkpoint 10s into the 2m0s measured phase)`}},
		{"interrupted in a long warm-up", []string{"cpu.sustained < 60%"}, func(r *result.Result) {
			r.Status, r.Elapsed, r.Scenario.Warmup, r.WarmupRan = result.Interrupted, 0, time.Hour, 8*time.Second
		}, []string{"INTERRUPTED in the warm-up, 8s of 1h0m0s: the measured phase never began", "no gate judged: nothing was measured"}},
		{"cpu fails", []string{"cpu.sustained < 30%", "http.errors < 0.05%"}, nil,
			[]string{"decision: scale — cpu.sustained 38.5% fails < 30%; also: http.errors 0.1% fails http.errors < 0.05%"}},
		{"no scaling gate", []string{"http.errors < 1%"}, nil, []string{"PASS: the one gate holds"}},
		{"window not filled", []string{"cpu.sustained < 60%"}, func(r *result.Result) {
			r.Resources.Span, r.Resources.Every = 5*time.Second, time.Second
		}, []string{"decision: stay at one worker, tune it — cpu.sustained 38.5% < 60% (cpu.sustained over 5 s only (window 30 s))"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture(t)
			if tc.modify != nil {
				tc.modify(r)
			}
			var gates []gate.Gate
			for _, s := range tc.gates {
				g, err := metric.ParseGate(s)
				if err != nil {
					t.Fatal(err)
				}
				gates = append(gates, g)
			}
			r.Gates, r.Pass = gate.EvalAll(gates, r)
			v := Verdict(r)
			for _, want := range tc.want {
				if !strings.Contains(v, want) {
					t.Errorf("Verdict() = %q, want it to contain %q", v, want)
				}
			}
			if strings.Contains(v, "PASS:") && r.Status != result.Complete {
				t.Errorf("Verdict() = %q: PASS on a run that did not finish", v)
			}
			if stay := strings.Contains(v, "decision: stay"); stay != (tc.name == "every gate holds" || tc.name == "window not filled") {
				t.Errorf("Verdict() = %q: says stay %v", v, stay)
			}
			if tc.name == "no scaling gate" && strings.Contains(v, "decision") {
				t.Errorf("Verdict() = %q, want no decision without a scaling gate", v)
			}
		})
	}
}

func TestMetric(t *testing.T) {
	r := fixture(t)
	tests := []struct {
		name string
		want gate.Value
		ok   bool
	}{
		{"http.zeus-search.p95", gate.Value{V: 1.02, Kind: gate.Duration}, true},
		{"http.homepage.rate", gate.Value{V: 15, Kind: gate.Rate}, true},
		{"http.rate", gate.Value{V: 24.95, Kind: gate.Rate}, true},
		{"http.errors", gate.Value{V: 0.1, Kind: gate.Percent}, true},
		{"ws.loss", gate.Value{V: 49.72, Kind: gate.Percent}, true},
		{"cpu.sustained", gate.Value{V: 38.5, Kind: gate.Percent}, true},
		{"rss.total", gate.Value{V: 160 << 20, Kind: gate.Bytes}, true},
		{"target.ready_time", gate.Value{V: 1.8, Kind: gate.Duration}, true},
		{"http.nope.p95", gate.Value{}, false},
	}
	for _, tc := range tests {
		got, ok := r.Metric(tc.name)
		if ok != tc.ok || (ok && (got.Kind != tc.want.Kind || got.V-tc.want.V > 1e-9 || tc.want.V-got.V > 1e-9)) {
			t.Errorf("Metric(%q) = %+v, %v, want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	r.WebSocket = nil
	if _, ok := r.Metric("ws.loss"); ok {
		t.Errorf("Metric(ws.loss) without a websocket section: measured, want not")
	}
}

// TestTLSNotVerifiedIsLoud checks that a run whose certificate was not
// verified says so in its first line and under its verdict, in every
// format a person reads, and that a verified one says nothing.
func TestTLSNotVerifiedIsLoud(t *testing.T) {
	r := fixture(t)
	r.Target.TLS = "verified against the system's roots"
	if strings.Contains(Headline(r)+Verdict(r), "NOT VERIFIED") {
		t.Errorf("a verified run warns: %q / %q", Headline(r), Verdict(r))
	}
	r.Target.TLS = result.TLSNotVerified
	for _, f := range []string{FormatTable, FormatMarkdown, FormatHTML} {
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		first, _, _ := strings.Cut(page, "\n")
		if f == FormatHTML {
			page = html.UnescapeString(page)
			first = page[strings.Index(page, "<h1"):]
			first = first[:strings.Index(first, "</h1>")]
		}
		if !strings.Contains(first, "TLS CERTIFICATE NOT VERIFIED") {
			t.Errorf("%s: the first line lacks the warning: %q", f, first)
		}
		if !strings.Contains(page, "warning: the target's TLS certificate was NOT VERIFIED") {
			t.Errorf("%s: no warning under the verdict", f)
		}
	}
	// Compare, saturate and nightly name the unverified target first thing.
	c := comparison(t)
	c.Results[1].Target.TLS = result.TLSNotVerified
	s := saturation(t)
	s.Target.TLS = result.TLSNotVerified
	n := nightly(t)
	n.Comparison = c
	want := "TLS CERTIFICATE " + result.TLSNotVerified + " for uvicorn, 2 workers"
	for _, h := range []string{comparisonHeadline(c), nightlyHeadline(n)} {
		if !strings.HasSuffix(h, want) {
			t.Errorf("headline %q, want it to end %q", h, want)
		}
	}
	if h := saturationHeadline(s); !strings.HasSuffix(h, result.TLSNotVerified+" for uvicorn, 1 worker") {
		t.Errorf("saturate headline %q lacks the TLS warning", h)
	}
	if h := comparisonHeadline(comparison(t)); strings.Contains(h, "TLS") {
		t.Errorf("verified compare headline %q warns", h)
	}
}
