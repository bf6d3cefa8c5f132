package verdict

import (
	"testing"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// outcome is a gate on name that passed or failed with a value.
func outcome(name string, pass bool) gate.Outcome {
	return gate.Outcome{Gate: name + " < 1", Metric: name, Op: "<", Observed: &gate.Value{V: 1}, Pass: pass}
}

func run(status result.Status, gates ...gate.Outcome) *result.Result {
	r := &result.Result{Status: status, Gates: gates, Elapsed: 1, Pass: status == result.Complete}
	for _, o := range gates {
		r.Pass = r.Pass && o.Pass
	}
	return r
}

func TestScalingOf(t *testing.T) {
	below := run(result.Complete, outcome("cpu.sustained", true))
	below.Scenario = result.ScenarioInfo{PeakRate: 5, WrittenPeakRate: 10}
	never := run(result.Interrupted, outcome("http.p95", false))
	never.Elapsed = 0
	for _, tc := range []struct {
		name string
		r    *result.Result
		want Decision
	}{
		{"no scaling gate", run(result.Complete, outcome("http.errors", false)), NoDecision},
		{"every gate holds", run(result.Complete, outcome("cpu.sustained", true), outcome("http.zeus-search.p95", true)), Stay},
		{"a p95 fails", run(result.Complete, outcome("cpu.sustained", true), outcome("http.zeus-search.p95", false)), Scale},
		{"cpu fails on an aborted run", run(result.Aborted, outcome("cpu.sustained", false)), Scale},
		{"another gate fails", run(result.Complete, outcome("http.p95", true), outcome("ws.loss", false)), Undecided},
		{"interrupted", run(result.Interrupted, outcome("http.p95", true)), Undecided},
		{"checkpoint", run(result.Incomplete, outcome("http.p95", true)), Undecided},
		{"below the scenario's peak", below, Undecided},
		{"nothing measured", never, Undecided},
	} {
		if got := ScalingOf(tc.r).Decision; got != tc.want {
			t.Errorf("%s: decision %v, want %v", tc.name, got, tc.want)
		}
	}
	s := ScalingOf(run(result.Complete, outcome("cpu.sustained", true), outcome("http.p95", false), outcome("ws.loss", false)))
	if len(s.Holds) != 1 || len(s.Fails) != 1 || len(s.Others) != 1 || !s.CPUGated {
		t.Errorf("ScalingOf: holds %d, fails %d, others %d, cpu gated %v; want 1, 1, 1, true", len(s.Holds), len(s.Fails), len(s.Others), s.CPUGated)
	}
}

// configuration is a passing run of a target with procs serving processes
// (and one helper) and rss bytes in all; 0 leaves either unknown.
func configuration(name string, procs int, rss uint64) *result.Result {
	r := run(result.Complete, outcome("http.p95", true))
	r.Target = result.TargetInfo{Name: name}
	if procs > 0 {
		r.Resources = &resource.Summary{RSSTotal: rss, Processes: []resource.Process{{Role: "helper"}}}
		for range procs {
			r.Resources.Processes = append(r.Resources.Processes, resource.Process{Role: "worker"})
		}
	}
	return r
}

func TestRecommend(t *testing.T) {
	failing := configuration("failing", 1, 10)
	failing.Pass, failing.Gates[0].Pass = false, false
	c := result.NewComparison([]*result.Result{
		configuration("four", 4, 200), failing, configuration("unknown", 0, 0),
		configuration("one-big", 1, 90), configuration("one", 1, 50),
	})
	search := &result.Saturation{Target: result.TargetInfo{Name: "one"}, Capacity: 30}
	rec := Recommend(c, []*result.Saturation{search})
	var order []string
	for _, k := range rec.Passing {
		order = append(order, c.Results[k.Result].Target.Name)
	}
	want := []string{"one", "one-big", "four", "unknown"}
	if len(order) != len(want) {
		t.Fatalf("passing %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("passing %v, want %v: fewest processes, then least memory, unknown last", order, want)
		}
	}
	if best := rec.Passing[0]; best.Processes != 1 || best.RSS != 50 || best.Search != search {
		t.Errorf("best %+v: want 1 process (the helper not counted), 50 bytes and its capacity search", best)
	}
	if rec.BelowPeak != -1 {
		t.Errorf("BelowPeak %d, want -1", rec.BelowPeak)
	}

	below := configuration("below", 1, 10)
	below.Scenario = result.ScenarioInfo{PeakRate: 1, WrittenPeakRate: 2}
	rec = Recommend(result.NewComparison([]*result.Result{failing, below}), nil)
	if len(rec.Passing) != 0 || rec.BelowPeak != 1 {
		t.Errorf("a passing run below the scenario's peak: passing %d, BelowPeak %d; want none and 1", len(rec.Passing), rec.BelowPeak)
	}
}
