package run

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// The shards' shares of boards and clients add up to the scenario's, and
// no shard holds more than one item above another's.
func TestShareOfAddsUp(t *testing.T) {
	for _, total := range []int{0, 1, 2, 5, 7, 100, 10000} {
		for _, n := range []int{1, 2, 3, 4, 8} {
			sum, lo, hi := 0, total, 0
			for k := 1; k <= n; k++ {
				s := shareOf(total, &result.ShardInfo{Index: k, Count: n})
				sum += s
				lo, hi = min(lo, s), max(hi, s)
			}
			if sum != total || hi-lo > 1 {
				t.Errorf("%d items over %d shards: shares sum to %d, from %d to %d; want %d, at most one apart", total, n, sum, lo, hi, total)
			}
		}
	}
}

// Shards started apart agree on their set as long as the scenario and
// the start time are the same.
func TestShardSet(t *testing.T) {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	a, err := Shard(1, 4, "prelaunch", start)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Shard(3, 4, "prelaunch", start.In(time.FixedZone("CET", 3600)))
	c, _ := Shard(1, 4, "prelaunch", start.Add(time.Second))
	d, _ := Shard(1, 4, "smoke", start)
	if a.Set != b.Set || len(a.Set) != 8 {
		t.Errorf("sets %q and %q for one run, want equal, 8 hex digits", a.Set, b.Set)
	}
	if c.Set == a.Set || d.Set == a.Set {
		t.Errorf("another start (%q) or scenario (%q) gave the set %q of the first run", c.Set, d.Set, a.Set)
	}
}

// A shard's scenario draws its share of each feed's sequence: shard K of
// N makes draws K−1, K−1+N, … of the whole run's, and the original
// scenario is left as it was.
func TestShardOfFeeds(t *testing.T) {
	fd := &feed.Feed{Columns: []string{"v"}, Rows: [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}, Order: feed.Cycle}
	sc := &scenario.Scenario{HTTP: scenario.HTTP{Clients: 4, Endpoints: []scenario.Endpoint{{Name: "e", Path: "/{{.v}}", Feed: fd}}}}
	s := &result.ShardInfo{Index: 2, Count: 3}
	got := shardOf(sc, s).HTTP.Endpoints[0].Feed
	for i := range uint64(4) {
		row, _ := got.Draw(i)
		want, _ := fd.Draw(1 + 3*i)
		if row[0] != want[0] {
			t.Errorf("shard 2/3 draw %d = %s, want the run's draw %d, %s", i, row[0], 1+3*i, want[0])
		}
	}
	if sc.HTTP.Endpoints[0].Feed != fd {
		t.Error("shardOf changed the scenario it was given")
	}
}
