package metric

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/record"
)

// figures is a Run whose every figure is distinct, so a reader that
// reads the wrong one shows.
type figures struct {
	http      record.Summary
	scheduled uint64
	unsent    float64
	observed  map[string]Figures
	ready     time.Duration
	started   bool
}

func (f *figures) HTTPFigures() *record.Summary        { return &f.http }
func (f *figures) ScheduleFigures() (uint64, float64)  { return f.scheduled, f.unsent }
func (f *figures) ReadyFigures() (time.Duration, bool) { return f.ready, f.started }
func (f *figures) Observed(kind string) Figures {
	return f.observed[kind]
}

// perInstance are an observer's figures of one instance (a downstream),
// by metric name.
type perInstance struct {
	instance string
	figures  observed
}

func (p perInstance) Figure(name, instance string) (gate.Value, bool) {
	if instance != p.instance {
		return gate.Value{}, false
	}
	return p.figures.Figure(name, "")
}

// observed are an observer's figures by metric name. The observers' own
// readers are held to the catalogue in package report (TestObservedMetrics).
type observed map[string]gate.Value

func (o observed) Figure(name, _ string) (gate.Value, bool) {
	v, ok := o[name]
	return v, ok
}

func ms(n float64) record.DurationMs { return record.DurationMs(n * float64(time.Millisecond)) }

func percentiles(base float64) record.Percentiles {
	return record.Percentiles{P50: ms(base + 1), P90: ms(base + 2), P95: ms(base + 3), P99: ms(base + 4), Max: ms(base + 5)}
}

func pctValue(f float64) gate.Value { return gate.Value{V: f, Kind: gate.Percent} }
func msValue(n float64) gate.Value  { return gate.Value{V: n / 1000, Kind: gate.Duration} }

func measuredRun() *figures {
	search := record.EndpointSummary{Name: "search", Requests: 100, Errors: 4, Late: 0, Achieved: 9.5, Latency: percentiles(100)}
	return &figures{
		http: record.Summary{
			Total: record.EndpointSummary{Requests: 200, Errors: 10, Late: 20, Achieved: 19, Latency: percentiles(0)},
			Endpoints: []record.EndpointSummary{search,
				{Name: "idle", Requests: 0}},
			InflightMax: 7,
		},
		scheduled: 250, unsent: 20,
		observed: map[string]Figures{
			ObservedWebSocket: observed{"ws.loss": pctValue(8.3), "ws.dup": pctValue(1.5), "ws.delivery.p95": msValue(43), "ws.connected": {V: 6, Kind: gate.Count}},
			ObservedSSE:       observed{"sse.gap.max": msValue(900), "sse.connected": {V: 3, Kind: gate.Count}},
			ObservedResources: observed{"cpu.sustained": pctValue(97), "cpu.total": pctValue(61),
				"rss.total": {V: 300 << 20, Kind: gate.Bytes}, "rss.max_process": {V: 120 << 20, Kind: gate.Bytes}},
			ObservedDownstreams: perInstance{"search", observed{
				"downstream.<downstream>.calls": {V: 380, Kind: gate.Count}, "downstream.<downstream>.rate": {V: 38, Kind: gate.Rate},
				"downstream.<downstream>.conns": {V: 4, Kind: gate.Count}, "downstream.<downstream>.conns.max_process": {V: 2, Kind: gate.Count}}},
		},
		ready: 1500 * time.Millisecond, started: true,
	}
}

// TestRead checks every metric's reader against a run with distinct
// figures, and what is not measured: a part the run did not have, no
// successful response, an endpoint without requests.
func TestRead(t *testing.T) {
	t.Parallel()
	dur := func(msec float64) gate.Value { return gate.Value{V: msec / 1000, Kind: gate.Duration} }
	pct := func(f float64) gate.Value { return gate.Value{V: f, Kind: gate.Percent} }
	count := func(n float64) gate.Value { return gate.Value{V: n, Kind: gate.Count} }
	bytes := func(n float64) gate.Value { return gate.Value{V: n, Kind: gate.Bytes} }
	want := map[string]gate.Value{
		"http.p50": dur(1), "http.p90": dur(2), "http.p95": dur(3), "http.p99": dur(4), "http.max": dur(5),
		"http.rate": {V: 19, Kind: gate.Rate}, "http.errors": pct(5), "http.late": pct(10), "http.unsent": pct(20),
		"http.inflight.max": count(7),
		"http.search.p50":   dur(101), "http.search.p90": dur(102), "http.search.p95": dur(103),
		"http.search.p99": dur(104), "http.search.max": dur(105),
		"http.search.rate": {V: 9.5, Kind: gate.Rate}, "http.search.errors": pct(4),
		"ws.loss": pct(8.3), "ws.dup": pct(1.5), "ws.delivery.p95": dur(43), "ws.connected": count(6),
		"sse.gap.max": dur(900), "sse.connected": count(3),
		"cpu.sustained": pct(97), "cpu.total": pct(61),
		"rss.total": bytes(300 << 20), "rss.max_process": bytes(120 << 20),
		"target.ready_time": dur(1500),
		// per_request: 380 calls over the 190 successful responses.
		"downstream.search.calls": count(380), "downstream.search.rate": {V: 38, Kind: gate.Rate},
		"downstream.search.per_request": count(2), "downstream.search.conns": count(4),
		"downstream.search.conns.max_process": count(2),
	}
	run := measuredRun()
	for _, m := range All() {
		if (m.Read == nil) == (m.Observer == "") {
			t.Errorf("%s has a reader and an observer, or neither: want one", m.Name)
			continue
		}
		name := m.For("search")
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expected value in this test: add one", name)
			continue
		}
		got, measured := Read(run, name)
		if !measured || got.Kind != m.Kind || got.Kind != w.Kind || abs(got.V-w.V) > 1e-9 {
			t.Errorf("Read(%s) = %+v, %v; want %+v, true", name, got, measured, w)
		}
	}

	empty := &figures{}
	for _, m := range All() {
		if name := m.For("search"); name != "http.inflight.max" {
			if v, ok := Read(empty, name); ok {
				t.Errorf("Read(%s) of a run that measured nothing = %+v, want not measured", name, v)
			}
		}
	}
	for _, name := range []string{"http.idle.p95", "http.nosuch.p95", "http.nosuch.rate", "no.such", "downstream.nosuch.rate", "downstream.nosuch.per_request"} {
		if v, ok := Read(run, name); ok {
			t.Errorf("Read(%s) = %+v, want not measured", name, v)
		}
	}
	// With requests due, rate and errors are measured even when none
	// completed: 0/s is the finding.
	if v, ok := Read(run, "http.idle.rate"); !ok || v.V != 0 {
		t.Errorf("Read(http.idle.rate) with requests due = %+v, %v; want 0/s, measured", v, ok)
	}
	empty.scheduled = 10
	if v, ok := Read(empty, "http.rate"); !ok || v.V != 0 {
		t.Errorf("Read(http.rate) with 10 due and none done = %+v, %v; want 0/s, measured", v, ok)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, endpoint string
		needs          Needs
		wantErr        string
	}{
		{name: "http.zeus-search.p95", endpoint: "zeus-search", needs: NeedsHTTP},
		{name: "http.p95", needs: NeedsHTTP},
		{name: "http.inflight.max", needs: NeedsHTTP},
		{name: "http.a.b.p99", endpoint: "a.b", needs: NeedsHTTP},
		{name: "ws.loss", needs: NeedsWebSocket},
		{name: "sse.gap.max", needs: NeedsSSE},
		{name: "cpu.sustained", needs: NeedsTarget},
		{name: "target.ready_time", needs: NeedsTarget},
		{name: "downstream.postgres.rate", endpoint: "postgres", needs: NeedsDownstream},
		{name: "downstream.cache.conns.max_process", endpoint: "cache", needs: NeedsDownstream},
		{name: "downstream.postgres.qps", wantErr: `metric "downstream.postgres.qps": unknown downstream figure "qps": want calls, rate, per_request, conns or conns.max_process`},
		{name: "downstream.rate", wantErr: `metric "downstream.rate": want downstream.NAME.calls`},
		{name: "cpu.busy", wantErr: `unknown metric "cpu.busy": want http.<endpoint>.p95 or one of`},
		{name: "http.search.p42", wantErr: `metric "http.search.p42": unknown statistic "p42": want p50, p90, p95, p99, max, rate or errors`},
	}
	for _, tc := range tests {
		m, ep, err := Lookup(tc.name)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Lookup(%q) error = %v, want one containing %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || ep != tc.endpoint || m.Needs != tc.needs || EndpointOf(tc.name)+DownstreamOf(tc.name) != tc.endpoint {
			t.Errorf("Lookup(%q) = %s, %q, %v; want endpoint %q, needs %s", tc.name, m.Name, ep, err, tc.endpoint, tc.needs)
		}
	}
}

// TestParseGate checks that a gate's threshold must have its metric's
// kind, as the catalogue says.
func TestParseGate(t *testing.T) {
	t.Parallel()
	if g, err := ParseGate("rss.max_process < 300MiB"); err != nil || g.Threshold.Kind != gate.Bytes {
		t.Errorf(`ParseGate("rss.max_process < 300MiB") = %+v, %v; want a bytes threshold`, g, err)
	}
	if _, err := ParseGate("http.search.errors < 2s"); err == nil || !strings.Contains(err.Error(), "want a percentage") {
		t.Errorf(`ParseGate("http.search.errors < 2s") error = %v, want "want a percentage"`, err)
	}
}

// TestREADMEList keeps the README's list of gate metrics equal to the
// catalogue, in its order: `http.p50|p90|…` is the totals, and
// `http.<endpoint>.<same>` the same statistics of one endpoint.
func TestREADMEList(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)Gate metrics: (.*?); operators`).FindSubmatch(b)
	if list == nil {
		t.Fatal(`README.md: no "Gate metrics: …; operators" paragraph`)
	}
	var got []string
	var totals []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(string(list[1]), -1) {
		name := m[1]
		switch {
		case strings.Contains(name, "|"):
			parts := strings.Split(name, "|")
			prefix := parts[0][:strings.LastIndexByte(parts[0], '.')+1]
			totals = append([]string{parts[0]}, prefixed(prefix, parts[1:])...)
			got = append(got, totals...)
		case name == "http."+Endpoint+".<same>":
			for _, tname := range totals {
				got = append(got, "http."+Endpoint+"."+tname[strings.LastIndexByte(tname, '.')+1:])
			}
		default:
			got = append(got, name)
		}
	}
	var want []string
	for _, m := range All() {
		want = append(want, m.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("README.md lists the gate metrics\n%s\nthe catalogue has\n%s", strings.Join(got, " "), strings.Join(want, " "))
	}
}

func prefixed(prefix string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = prefix + x
	}
	return out
}

// TestCatalogue checks the entries among themselves: one entry per name,
// a unit for every row a comparison shows, a Prometheus family for each.
func TestCatalogue(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, m := range All() {
		if seen[m.Name] {
			t.Errorf("%s is declared twice", m.Name)
		}
		seen[m.Name] = true
		if m.Compare != NotCompared && m.Unit == "" {
			t.Errorf("%s is compared but has no unit for its row", m.Name)
		}
		if m.Prom.Family == "" {
			t.Errorf("%s has no Prometheus name", m.Name)
		}
		if m.Needs == "" {
			t.Errorf("%s needs no section: say which (NeedsTarget for the target's own figures)", m.Name)
		}
	}
}

// TestObservedInAnotherKind checks that an observer answering a metric in
// another kind than the catalogue's is not read: its value would be
// compared with a threshold in another unit.
func TestObservedInAnotherKind(t *testing.T) {
	t.Parallel()
	run := &figures{observed: map[string]Figures{ObservedWebSocket: observed{"ws.loss": {V: 8, Kind: gate.Count}}}}
	if v, ok := Read(run, "ws.loss"); ok {
		t.Errorf("Read(ws.loss) answered as a count = %+v, want not measured", v)
	}
}
