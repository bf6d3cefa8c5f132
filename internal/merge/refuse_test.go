package merge

import (
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// shardOfN is shard k of n, recorded as shard does.
func shardOfN(t *testing.T, k, n int) Shard {
	t.Helper()
	s := shard(t, k, 10, 20*time.Millisecond, result.Complete)
	s.Result.Shard.Count = n
	return s
}

// Results refuses a set that is not one sharded run, naming what is wrong
// and the files: another scenario, another run, a shard given twice, and
// every shard missing, the last one too.
func TestResultsRefusesWhatIsNotOneRun(t *testing.T) {
	t.Parallel()
	otherScenario := shardOfN(t, 2, 3)
	otherScenario.Result.Scenario.Name = "other"
	otherSet := shardOfN(t, 2, 3)
	otherSet.Result.Shard.Set = "ffffffff"
	otherCount := shardOfN(t, 2, 4)
	tests := []struct {
		name   string
		shards []Shard
		want   string
	}{
		{"none", nil, "merge: no results"},
		{"another scenario", []Shard{shardOfN(t, 1, 3), otherScenario, shardOfN(t, 3, 3)}, `results of two scenarios: s1.json is scenario "s", s2.json is scenario "other"`},
		{"another set", []Shard{shardOfN(t, 1, 3), otherSet, shardOfN(t, 3, 3)}, "shards of two runs: s1.json is shard 1/3 of set 0a1b2c3d, s2.json is shard 2/3 of set ffffffff"},
		{"another count", []Shard{shardOfN(t, 1, 3), otherCount, shardOfN(t, 3, 3)}, "shards of two runs: s1.json is shard 1/3 of set 0a1b2c3d, s2.json is shard 2/4"},
		{"twice", []Shard{shardOfN(t, 1, 3), shardOfN(t, 1, 3)}, "shard 1/3 given twice: s1.json and s1.json"},
		{"the last missing", []Shard{shardOfN(t, 1, 3), shardOfN(t, 2, 3)}, "shard 3/3 missing: the set has 3 shards, 2 given"},
		{"two missing", []Shard{shardOfN(t, 2, 3)}, "shards 1/3, 3/3 missing: the set has 3 shards, 1 given"},
	}
	for _, tc := range tests {
		if _, err := Results(tc.shards); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// The merged result names every shard's reason in order; its resources
// are the first shard's that sampled any; a run without websockets or SSE
// merges to none rather than to an empty account.
func TestResultsKeepsReasonsAndResources(t *testing.T) {
	t.Parallel()
	a, b, c := shardOfN(t, 1, 3), shardOfN(t, 2, 3), shardOfN(t, 3, 3)
	a.Result.Reason, c.Result.Reason = "stopped", "target died"
	res2, res3 := &resource.Summary{Samples: 2}, &resource.Summary{Samples: 3}
	b.Result.Resources, c.Result.Resources = res2, res3
	m, err := Results([]Shard{c, a, b})
	if err != nil {
		t.Fatal(err)
	}
	if want := "shard 1/3: stopped; shard 3/3: target died"; m.Reason != want {
		t.Errorf("reason %q, want %q", m.Reason, want)
	}
	if m.Resources != res2 {
		t.Errorf("resources %+v, want shard 2's, the first that sampled", m.Resources)
	}
	if m.WebSocket != nil || m.SSE != nil {
		t.Errorf("websocket %+v, SSE %+v: want none for shards that had none", m.WebSocket, m.SSE)
	}
}

// A websocket account that cannot be merged (a shard without its ledger)
// fails the merge instead of giving a wrong loss.
func TestResultsRefusesUnmergeableBoards(t *testing.T) {
	t.Parallel()
	a, b := shardOfN(t, 1, 2), shardOfN(t, 2, 2)
	a.Result.WebSocket, b.Result.WebSocket = &probe.WSSummary{}, &probe.WSSummary{}
	if _, err := Results([]Shard{a, b}); err == nil || !strings.Contains(err.Error(), "websocket: shard 1/2 has no ledger") {
		t.Errorf("error %v, want the shard without a ledger named", err)
	}
}
