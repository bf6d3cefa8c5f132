package capacity

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/target"
)

// files writes a scenario and targets into a temporary folder and loads
// them.
func load(t *testing.T, scenarioYAML string, targets ...string) (*scenario.Scenario, []*scenario.Target) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(scenarioYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var tgs []*scenario.Target
	for _, name := range targets {
		tp := filepath.Join(dir, name+".yaml")
		os.WriteFile(tp, []byte("name: "+name+"\nbase_url: http://127.0.0.1:1\n"), 0o644)
		tg, err := scenario.LoadTarget(tp)
		if err != nil {
			t.Fatal(err)
		}
		tgs = append(tgs, tg)
	}
	return sc, tgs
}

const modelScenario = `name: model
duration: 5s
http:
  load: {rate: 10/s}
  endpoints: [{name: search, path: /s}]
production: {rate: 40/min}
gates: ["http.p95 < 500ms", "http.errors < 1%"]
abort: {when: ["http.errors > 20%"]}
`

// model is a target whose truth is known: an M/D/1-like queue with a
// capacity, p95 = service / (1 − load); errors past abortAt.
type model struct {
	mu       sync.Mutex
	capacity map[string]float64 // req/s per target name
	service  time.Duration
	abortAt  float64 // rate at which the run aborts; 0 never
	// hidesQueue keeps p95 at the service time past the capacity, as a
	// step too short for its queue to reach the latency gate does.
	hidesQueue bool
	runs       []run.Options
	onRun      func(n int) // called before run n (1-based) returns
}

func (m *model) execute(ctx context.Context, o run.Options) (*result.Result, error) {
	m.mu.Lock()
	m.runs = append(m.runs, o)
	n := len(m.runs)
	m.mu.Unlock()
	if m.onRun != nil {
		m.onRun(n)
	}
	if o.Target.Name == "broken" {
		return nil, target.ErrStart
	}
	rate := PeakRate(o.Scenario)
	c := m.capacity[o.Target.Name]
	p95 := 60 * time.Second
	switch {
	case m.hidesQueue:
		p95 = m.service
	case rate < c:
		p95 = time.Duration(float64(m.service) / (1 - rate/c))
	}
	ep := record.EndpointSummary{Name: "search", Requests: uint64(rate * o.Scenario.Duration.Seconds()), Rate: rate, Achieved: math.Min(rate, c),
		Latency: record.Percentiles{P95: record.DurationMs(p95)}}
	res := &result.Result{
		Schema: result.Schema, RunID: o.RunID, Status: result.Complete, Elapsed: o.Scenario.Duration,
		Scenario: result.ScenarioInfo{Name: o.Scenario.Name, Duration: o.Scenario.Duration, Warmup: o.Scenario.Warmup},
		Target:   result.TargetInfo{Name: o.Target.Name},
		HTTP:     record.Summary{Endpoints: []record.EndpointSummary{ep}, Total: ep},
	}
	res.HTTP.Total.Name = "all"
	if m.abortAt > 0 && rate >= m.abortAt {
		res.Status, res.Reason = result.Aborted, `abort condition "http.errors > 20%" held (http.errors 35.0%)`
	}
	res.Gates, res.Pass = gate.EvalAll(o.Scenario.Gates, res)
	if res.Status == result.Aborted {
		res.Pass = false
	}
	if ctx.Err() != nil {
		res.Status, res.Pass = result.Interrupted, false
		return res, run.ErrInterrupted
	}
	return res, nil
}

func (m *model) rates() []float64 {
	var out []float64
	for _, o := range m.runs {
		out = append(out, PeakRate(o.Scenario))
	}
	return out
}

func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func TestSaturateFindsModelCapacity(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	m := &model{capacity: map[string]float64{"one": 50}, service: 20 * time.Millisecond}
	var log bytes.Buffer
	s, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{
		Options: Options{Execute: m.execute, Now: fixedClock(), Log: &log}, Start: 10, Hold: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	// p95 < 500ms ⇔ load < 96%: the truth is 48 req/s.
	if diff := cmp.Diff([]float64{10, 20, 40, 80, 60, 50, 45, 47.5}, m.rates()); diff != "" {
		t.Errorf("rates tried (-want +got):\n%s", diff)
	}
	if s.Capacity != 47.5 || s.LimitRate != 50 {
		t.Errorf("capacity %v limited at %v, want 47.5 and 50", s.Capacity, s.LimitRate)
	}
	if len(s.Limit) != 1 || !strings.HasPrefix(s.Limit[0], "http.p95 ") || !strings.HasSuffix(s.Limit[0], "fails http.p95 < 500ms") {
		t.Errorf("Limit = %q, want the p95 gate", s.Limit)
	}
	want := "capacity 47.5 req/s = 71× today's 40/min, limited by http.p95"
	if !strings.HasPrefix(report.SaturationSummary(s), want) {
		t.Errorf("Summary() = %q, want it to start %q", report.SaturationSummary(s), want)
	}
	if !s.Pass || s.Status != result.Complete {
		t.Errorf("Pass %v, status %s; want a passing, complete search", s.Pass, s.Status)
	}
	for _, o := range m.runs {
		if o.Scenario.Duration != 3*time.Second {
			t.Errorf("step measured %s, want the 3s hold", o.Scenario.Duration)
		}
	}
	if phases := []string{s.Steps[0].Phase, s.Steps[3].Phase, s.Steps[4].Phase}; !cmp.Equal(phases, []string{"ramp", "ramp", "bisect"}) {
		t.Errorf("phases %v", phases)
	}
	if !strings.Contains(log.String(), "saturate step 8: 47.5 req/s → PASS") {
		t.Errorf("log lacks the last step:\n%s", log.String())
	}
}

func TestSaturateBacksOff(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	m := &model{capacity: map[string]float64{"one": 30}, service: 20 * time.Millisecond}
	s, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{Options: Options{Execute: m.execute}, Start: 200})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{200, 100, 50, 25, 37.5, 31.2, 28.1, 29.6}, m.rates()); diff != "" {
		t.Errorf("rates tried (-want +got):\n%s", diff)
	}
	if s.Capacity != 28.1 {
		t.Errorf("capacity %v, want 28.1 (truth 28.8)", s.Capacity)
	}
}

// A step whose gates all hold but whose target completed less than 95 %
// of the offered rate fails, and the search and its report say why.
func TestSaturateFailsAStepThatFellBehind(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	m := &model{capacity: map[string]float64{"one": 50}, service: 20 * time.Millisecond, hidesQueue: true}
	s, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{Options: Options{Execute: m.execute}, Start: 10})
	if err != nil {
		t.Fatal(err)
	}
	// 50/50 kept up; 50/55 = 90.9 % did not, and 55 is within 10 % of 50.
	if diff := cmp.Diff([]float64{10, 20, 40, 80, 60, 50, 55}, m.rates()); diff != "" {
		t.Errorf("rates tried (-want +got):\n%s", diff)
	}
	if s.Capacity != 50 || s.LimitRate != 55 {
		t.Errorf("capacity %v limited at %v, want 50 and 55", s.Capacity, s.LimitRate)
	}
	want := "achieved 50.0/s of 55/s offered: the target fell behind"
	if diff := cmp.Diff([]string{want}, s.Limit); diff != "" {
		t.Errorf("limit (-want +got):\n%s", diff)
	}
	if sum := report.SaturationSummary(s); !strings.Contains(sum, "capacity 50 req/s = 75× today's 40/min, limited by "+want+" at 55 req/s") {
		t.Errorf("summary %q does not say the target fell behind", sum)
	}
	var tab bytes.Buffer
	for _, row := range report.SaturationTables(s)[0].Rows {
		tab.WriteString(strings.Join(row, " | ") + "\n")
	}
	if !strings.Contains(tab.String(), "| FAIL | achieved 50.0/s of 80/s offered: the target fell behind") {
		t.Errorf("steps table does not say why 80/s failed:\n%s", tab.String())
	}
}

// keptUp blames loadcheck, not the target, when loadcheck could not send
// the offered rate.
func TestKeptUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		st         result.Step
		pass       bool
		fellBehind string
	}{
		{"kept up", result.Step{Rate: 120, Sent: 120, Achieved: 114.1, Pass: true, Status: result.Complete}, true, ""},
		{"target behind", result.Step{Rate: 120, Sent: 119.8, Achieved: 103.6, Pass: true, Status: result.Complete}, false,
			"achieved 103.6/s of 120/s offered: the target fell behind"},
		{"loadcheck behind", result.Step{Rate: 120, Sent: 90, Achieved: 90, Pass: true, Status: result.Complete}, false,
			"achieved 90.0/s of 120/s offered: loadcheck sent only 90.0/s"},
		{"interrupted is judged elsewhere", result.Step{Rate: 120, Sent: 60, Achieved: 60, Status: result.Interrupted}, false, ""},
	} {
		got := keptUp(tc.st)
		if got.Pass != tc.pass || got.FellBehind != tc.fellBehind {
			t.Errorf("%s: pass %v %q, want %v %q", tc.name, got.Pass, got.FellBehind, tc.pass, tc.fellBehind)
		}
	}
}

// An abort forbids going higher, not narrowing down: the search bisects
// below the aborted rate to within the precision.
func TestSaturateBisectsBelowAbort(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	m := &model{capacity: map[string]float64{"one": 500}, service: 20 * time.Millisecond, abortAt: 70}
	s, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{Options: Options{Execute: m.execute}, Start: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{10, 20, 40, 80, 60, 70, 65}, m.rates()); diff != "" {
		t.Errorf("rates tried (-want +got): nothing above an aborted rate, bisection below it\n%s", diff)
	}
	for _, r := range m.rates()[4:] {
		if r >= 80 {
			t.Errorf("rate %v tried after the abort at 80", r)
		}
	}
	if s.Capacity != 65 || s.LimitRate != 70 || (s.LimitRate-s.Capacity)/s.Capacity > s.Precision/100 {
		t.Errorf("capacity %v, limit %v: want 65 and 70, within %v%%", s.Capacity, s.LimitRate, s.Precision)
	}
	sum := report.SaturationSummary(s)
	if s.Status != result.Aborted || !strings.Contains(sum, "an abort condition fired at 70 req/s (after an abort no higher rate is tried)") ||
		!strings.Contains(sum, "capacity 65 req/s") || !strings.Contains(sum, `abort: abort condition "http.errors > 20%" held`) {
		t.Errorf("status %s, summary %q; want the abort at 70 named and capacity 65", s.Status, sum)
	}
}

// A search that reaches --max, or runs out of --max-steps, with every gate
// holding says the capacity is at least that: the search's ceiling.
func TestSaturateCeiling(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	for _, tc := range []struct {
		name string
		o    SaturateOptions
		want string
	}{
		{"max", SaturateOptions{Start: 2, Max: 8}, "capacity ≥ 8 req/s (the search's ceiling, --max 8/s: no gate failed) ≥ 12× today's 40/min"},
		{"max-steps", SaturateOptions{Start: 2, MaxSteps: 3}, "capacity ≥ 8 req/s (the search's ceiling, --max-steps 3: no gate failed)"},
		{"max-steps in the bisection", SaturateOptions{Start: 40, MaxSteps: 3}, "capacity 40 req/s = 60× today's 40/min, limited by http.p95"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &model{capacity: map[string]float64{"one": 50}, service: 20 * time.Millisecond}
			tc.o.Options = Options{Execute: m.execute}
			s, err := Saturate(context.Background(), sc, tgs[0], tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if sum := report.SaturationSummary(s); !strings.HasPrefix(sum, tc.want) || strings.Contains(sum, "no gate failed up to") {
				t.Errorf("Summary() = %q, want it to start %q", sum, tc.want)
			}
			if tc.name == "max-steps in the bisection" && !strings.Contains(report.SaturationSummary(s), "(--max-steps 3 ended the bisection before it narrowed to 10%)") {
				t.Errorf("Summary() = %q, want it to say --max-steps cut the bisection short", report.SaturationSummary(s))
			}
		})
	}
}

func TestSaturateInterrupted(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &model{capacity: map[string]float64{"one": 50}, service: 20 * time.Millisecond, onRun: func(n int) {
		if n == 3 {
			cancel()
		}
	}}
	s, err := Saturate(ctx, sc, tgs[0], SaturateOptions{Options: Options{Execute: m.execute}, Start: 10})
	if !errors.Is(err, run.ErrInterrupted) {
		t.Errorf("err = %v, want run.ErrInterrupted", err)
	}
	if s == nil || s.Status != result.Interrupted || len(s.Steps) != 3 || s.Pass {
		t.Fatalf("saturation %+v, want 3 steps, interrupted, not passing", s)
	}
}

func TestSaturateDefaults(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "one")
	m := &model{capacity: map[string]float64{"one": 1000}, service: time.Millisecond}
	if _, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{Options: Options{Execute: m.execute}, Max: 20}); err != nil {
		t.Fatal(err)
	}
	// Start at the scenario's 10/s, hold 30 s (its 5 s is too short, and
	// the default 30 s sustained window must fill), stop at the ceiling.
	if diff := cmp.Diff([]float64{10, 20}, m.rates()); diff != "" {
		t.Errorf("rates (-want +got):\n%s", diff)
	}
	if d := m.runs[0].Scenario.Duration; d != 30*time.Second {
		t.Errorf("hold %s, want the 30s sustained window", d)
	}
	if _, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{Factor: 1, Precision: 120}); err == nil ||
		!strings.Contains(err.Error(), "factor 1") || !strings.Contains(err.Error(), "precision 120%") {
		t.Errorf("bad options: %v, want both problems named", err)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "fast", "slow")
	m := &model{capacity: map[string]float64{"fast": 100, "slow": 10.2}, service: 20 * time.Millisecond}
	var slept []time.Duration
	o := Options{Execute: m.execute, Settle: 5 * time.Second, Sleep: func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}
	c, err := Compare(context.Background(), sc, tgs, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Results) != 2 || c.Results[0].Target.Name != "fast" || c.Results[1].Target.Name != "slow" {
		t.Fatalf("results %v, want fast then slow", c.Results)
	}
	if c.Pass || !c.Results[0].Pass || c.Results[1].Pass {
		t.Errorf("pass: all %v, fast %v, slow %v; want only fast passing", c.Pass, c.Results[0].Pass, c.Results[1].Pass)
	}
	if diff := cmp.Diff([]time.Duration{5 * time.Second}, slept); diff != "" {
		t.Errorf("settle pauses (-want +got): one between two targets\n%s", diff)
	}

	// A target that does not start ends the compare with what ran.
	_, broken := load(t, modelScenario, "fast", "broken", "slow")
	m.runs = nil
	c, err = Compare(context.Background(), sc, broken, Options{Execute: m.execute})
	if !errors.Is(err, target.ErrStart) || c == nil || len(c.Results) != 1 || len(m.runs) != 2 {
		t.Errorf("compare with a broken target: %v, %d runs; want target.ErrStart after 2 runs, 1 result", err, len(m.runs))
	}
}

// nights runs nightly on sc and tgs date after date, keeping the history
// in memory as cli keeps it in history.jsonl.
type nights struct {
	sc      *scenario.Scenario
	tgs     []*scenario.Target
	o       NightlyOptions
	history []result.HistoryEntry
}

func (ns *nights) run(ctx context.Context, date string) (*result.Nightly, []result.HistoryEntry, error) {
	o := ns.o
	o.Date, o.History = date, ns.history
	n, record, err := Nightly(ctx, ns.sc, ns.tgs, o)
	ns.history = result.MergeHistory(ns.history, record)
	return n, record, err
}

func TestNightlyTwoNights(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "a", "b")
	m := &model{capacity: map[string]float64{"a": 100, "b": 100}, service: 20 * time.Millisecond}
	ns := &nights{sc: sc, tgs: tgs, o: NightlyOptions{
		Options: Options{Execute: m.execute, Now: fixedClock()}, Saturate: true,
		Search: SaturateOptions{Start: 20, Hold: time.Second},
	}}
	n1, r1, err := ns.run(context.Background(), "2026-11-21")
	if err != nil || !n1.Pass || len(n1.Regressions) != 0 || len(r1) != 2 {
		t.Fatalf("night 1: %v, pass %v, regressions %v, %d history lines", err, n1.Pass, n1.Regressions, len(r1))
	}
	if r1[0].Capacity == 0 || r1[1].Capacity == 0 {
		t.Errorf("night 1's history lines %+v: want the capacity of each target's search", r1)
	}
	// Night 2: b is slower and carries less.
	m.capacity["b"] = 12
	n2, _, err := ns.run(context.Background(), "2026-11-22")
	if err != nil {
		t.Fatal(err)
	}
	if n2.Pass || len(n2.Regressions) == 0 {
		t.Fatalf("night 2: pass %v, regressions %v; want b flagged", n2.Pass, n2.Regressions)
	}
	for _, r := range n2.Regressions {
		if r.Target != "b" {
			t.Errorf("regression of %s: %s; only b changed", r.Target, r.Text)
		}
	}
	var metrics []string
	for _, r := range n2.Regressions {
		metrics = append(metrics, r.Metric)
	}
	if !strings.Contains(strings.Join(metrics, " "), "capacity") || !strings.Contains(strings.Join(metrics, " "), "p95") {
		t.Errorf("regressions %v, want p95 and capacity", metrics)
	}
	if len(ns.history) != 4 {
		t.Errorf("history holds %d lines, want 2 nights × 2 targets", len(ns.history))
	}
	if len(n2.Trend) != 4 {
		t.Errorf("trend holds %d entries, want 4", len(n2.Trend))
	}

	// An interrupted night returns its report but nothing for the history;
	// its trend still shows what it measured.
	ctx, cancel := context.WithCancel(context.Background())
	m.onRun = func(int) { cancel() }
	ns.o.Saturate = false
	n3, r3, err := ns.run(ctx, "2026-11-23")
	if !errors.Is(err, run.ErrInterrupted) || n3 == nil || n3.Pass || r3 != nil {
		t.Errorf("interrupted night: %v, %+v, record %v; want run.ErrInterrupted, a failing report, no record", err, n3, r3)
	}
	if n3 != nil && len(n3.Trend) != 5 {
		t.Errorf("interrupted night's trend holds %d entries, want the 4 earlier and its 1", len(n3.Trend))
	}
	if len(ns.history) != 4 {
		t.Errorf("history holds %d lines after an interrupted night, want still 4", len(ns.history))
	}
}

// TestNightlySavesEachRun checks that each run's result is handed to Save
// as soon as the run ends, before the next one starts: a crash keeps every
// step measured.
func TestNightlySavesEachRun(t *testing.T) {
	t.Parallel()
	sc, tgs := load(t, modelScenario, "a", "b")
	m := &model{capacity: map[string]float64{"a": 100, "b": 100}, service: 20 * time.Millisecond}
	var mu sync.Mutex
	var saved []string // run ids, final results only
	save := func(r *result.Result) error {
		mu.Lock()
		defer mu.Unlock()
		if !slices.Contains(saved, r.RunID) {
			saved = append(saved, r.RunID)
		}
		return nil
	}
	var savedBefore []int // results saved as each run starts
	m.onRun = func(int) {
		mu.Lock()
		defer mu.Unlock()
		savedBefore = append(savedBefore, len(saved))
	}
	n, record, err := Nightly(context.Background(), sc, tgs, NightlyOptions{Options: Options{Execute: m.execute, Save: save}, Date: "2026-11-21"})
	if err != nil || n == nil || len(record) != 2 {
		t.Fatalf("night: %v, %d history lines", err, len(record))
	}
	if diff := cmp.Diff([]int{0, 1}, savedBefore); diff != "" {
		t.Errorf("results saved as each run starts (-want +got):\n%s", diff)
	}
	for i, r := range record {
		if i < len(saved) && r.RunID != saved[i] {
			t.Errorf("history line %d is run %s, saved run %s", i, r.RunID, saved[i])
		}
	}
}
