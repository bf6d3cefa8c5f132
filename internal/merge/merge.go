// Package merge combines the results of the shards of one sharded run
// (loadcheck run --shard K/N) into the result one generator would have
// made, and judges the scenario's gates on it: a shard judges only its own
// share, which says nothing about the run. The HTTP figures and the
// generator's counts merge here; what the observers measured merges as
// each kind of observer says (run.MergeObserved), and the result notes how.
package merge

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
)

// Shard is one shard's result and the file it was read from, which errors
// name.
type Shard struct {
	File   string
	Result *result.Result
}

// Results merges the shards' results. It refuses results that are not
// shards, shards of different scenarios or runs, and a set with a shard
// missing or given twice, naming the shard and the files.
func Results(shards []Shard) (*result.Result, error) {
	if err := check(shards); err != nil {
		return nil, err
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].Result.Shard.Index < shards[j].Result.Shard.Index })
	first := shards[0].Result
	m := &result.Result{
		Schema:   result.Schema,
		RunID:    result.NewRunID(first.Shard.Start, first.Shard.Set),
		Scenario: first.Scenario,
		Target:   first.Target,
		Status:   result.Complete,
	}
	var parts []record.Summary
	results := make([]*result.Result, len(shards))
	for i, s := range shards {
		r := s.Result
		parts = append(parts, r.HTTP)
		addShard(m, r)
		results[i] = r
	}
	var err error
	if m.HTTP, err = record.Merge(parts); err != nil {
		return nil, err
	}
	m.Start, m.Elapsed = m.HTTP.Start, m.HTTP.Elapsed
	m.Generator.InflightMax = m.HTTP.InflightMax
	if m.Merged, err = run.MergeObserved(m, results); err != nil {
		return nil, err
	}
	gates, err := gatesOf(shards[0])
	if err != nil {
		return nil, err
	}
	m.Gates, m.Pass = gate.EvalAll(gates, m)
	if m.Status != result.Complete {
		m.Pass = false
	}
	return m, nil
}

// check refuses a set of results that does not make one sharded run.
func check(shards []Shard) error {
	if len(shards) == 0 {
		return fmt.Errorf("merge: no results")
	}
	byIndex := map[int]string{}
	var first Shard
	for i, s := range shards {
		r := s.Result
		if r.Shard == nil {
			return fmt.Errorf("%s: not a shard's result (it was run without --shard): there is nothing to merge it with", s.File)
		}
		if i == 0 {
			first = s
		}
		f := first.Result
		switch {
		case r.Scenario.Name != f.Scenario.Name:
			return fmt.Errorf("results of two scenarios: %s is scenario %q, %s is scenario %q — merge the shards of one run", first.File, f.Scenario.Name, s.File, r.Scenario.Name)
		case r.Shard.Count != f.Shard.Count || r.Shard.Set != f.Shard.Set:
			return fmt.Errorf("shards of two runs: %s is shard %d/%d of set %s, %s is shard %d/%d of set %s (different --start or shard count) — merge the shards of one run",
				first.File, f.Shard.Index, f.Shard.Count, f.Shard.Set, s.File, r.Shard.Index, r.Shard.Count, r.Shard.Set)
		}
		if prev, ok := byIndex[r.Shard.Index]; ok {
			return fmt.Errorf("shard %d/%d given twice: %s and %s", r.Shard.Index, r.Shard.Count, prev, s.File)
		}
		byIndex[r.Shard.Index] = s.File
	}
	n := first.Result.Shard.Count
	var missing []string
	for k := 1; k <= n; k++ {
		if _, ok := byIndex[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		}
	}
	if len(missing) > 0 {
		word := "shard"
		if len(missing) > 1 {
			word = "shards"
		}
		return fmt.Errorf("%s %s missing: the set has %d shards, %d given — pass every shard's result", word, strings.Join(missing, ", "), n, len(shards))
	}
	return nil
}

// addShard adds what a shard's generator did and how it ended.
func addShard(m *result.Result, r *result.Result) {
	g := &m.Generator
	g.Scheduled += r.Generator.Scheduled
	g.Sent += r.Generator.Sent
	g.Warmup += r.Generator.Warmup
	g.Canceled += r.Generator.Canceled
	g.Late += r.Generator.Late
	g.MaxWorkers = r.Generator.MaxWorkers
	sr := result.ShardRun{
		Index: r.Shard.Index, RunID: r.RunID, Status: r.Status,
		Scheduled: r.Generator.Scheduled, Sent: r.Generator.Sent, Late: r.Generator.Late,
		StartedLate: r.Shard.StartedLate,
	}
	if r.Host != nil {
		sr.Host = r.Host.Hostname
	}
	m.Shards = append(m.Shards, sr)
	if r.Status != result.Complete && m.Status == result.Complete {
		m.Status = r.Status
	}
	if r.Reason != "" {
		if m.Reason != "" {
			m.Reason += "; "
		}
		m.Reason += fmt.Sprintf("shard %d/%d: %s", r.Shard.Index, r.Shard.Count, r.Reason)
	}
}

// gatesOf reads the scenario's gates back from a shard's outcomes, which
// keep each gate as written.
func gatesOf(s Shard) ([]gate.Gate, error) {
	var gates []gate.Gate
	for _, o := range s.Result.Gates {
		g, err := metric.ParseGate(o.Gate)
		if err != nil {
			return nil, fmt.Errorf("%s: gate %v", s.File, err)
		}
		gates = append(gates, g)
	}
	return gates, nil
}
