package verdict

import (
	"cmp"
	"slices"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// Recommendation is the outcome of the recommendation rule over a
// comparison.
type Recommendation struct {
	// Passing are the configurations that pass every gate on a complete
	// run at the scenario's load, the recommended one first.
	Passing []Candidate
	// BelowPeak is the index (in the comparison's results) of a passing
	// run left out because its load peaked below the scenario's; -1 when
	// there is none.
	BelowPeak int
}

// Candidate is a configuration that passes every gate, with what it
// costs.
type Candidate struct {
	// Result is its index in the comparison's results.
	Result int
	// Processes is the number of its processes that serve (ProcessCount),
	// 0 when unknown; RSS its rss.total in bytes, 0 when unknown.
	Processes int
	RSS       float64
	// Search is its capacity search among those Recommend was given, nil
	// when there is none.
	Search *result.Saturation
}

// Recommend is the recommendation rule, not a score: among the targets
// that pass every gate, the fewest serving processes, then the least
// rss.total (an unknown cost ranks last). sats are capacity searches of
// the same targets (as nightly runs them), matched by target name and
// file.
func Recommend(c *result.Comparison, sats []*result.Saturation) Recommendation {
	rec := Recommendation{BelowPeak: -1}
	for i, r := range c.Results {
		if !r.Pass || r.Status != result.Complete || len(r.Gates) == 0 {
			continue
		}
		if BelowPeak(r.Scenario) {
			rec.BelowPeak = i
			continue
		}
		k := Candidate{Result: i, Search: searchOf(sats, r.Target)}
		k.Processes, _ = ProcessCount(r)
		if v, ok := r.Metric(metric.RSSTotal); ok && v.V > 0 {
			k.RSS = v.V
		}
		rec.Passing = append(rec.Passing, k)
	}
	slices.SortStableFunc(rec.Passing, func(a, b Candidate) int {
		return cmp.Or(compareKnown(float64(a.Processes), float64(b.Processes)), compareKnown(a.RSS, b.RSS))
	})
	return rec
}

// compareKnown orders costs, 0 (unknown) after every known one.
func compareKnown(a, b float64) int {
	switch {
	case a == b:
		return 0
	case a == 0:
		return 1
	case b == 0:
		return -1
	}
	return cmp.Compare(a, b)
}

// ProcessCount is the number of processes that serve in r's target, for
// ranking configurations: helpers (multiprocessing's resource tracker),
// launchers (a shell, env) and a database the target starts for itself
// (PostgreSQL's postmaster and backends: every configuration has one) do
// not count. ok is false without a resource source.
func ProcessCount(r *result.Result) (n int, ok bool) {
	if r.Resources == nil || len(r.Resources.Processes) == 0 {
		return 0, false
	}
	for _, p := range r.Resources.Processes {
		if p.Role != "" && p.Role != "helper" && p.Role != "postgres" {
			n++
		}
	}
	if n == 0 {
		// No role known (a source without roles): every row serves.
		n = len(r.Resources.Processes)
	}
	return n, true
}

// searchOf is the capacity search of target t among sats, nil when there
// is none.
func searchOf(sats []*result.Saturation, t result.TargetInfo) *result.Saturation {
	for _, s := range sats {
		if s != nil && s.Target.Name == t.Name && s.Target.File == t.File {
			return s
		}
	}
	return nil
}
