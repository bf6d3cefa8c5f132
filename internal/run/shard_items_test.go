package run

import (
	"testing"

	"github.com/loadcheck/loadcheck/internal/result"
)

// Shard K of N holds items i·N+K-1 of the run (the numbering
// probe.MergeWS and probe.MergeSSE give boards and SSE clients back): over
// the shards, those are every item of the run once, and none past its end.
// A share given to the wrong shard keeps the totals right and numbers a
// board past the end (board 8 of 7).
func TestShareOfNamesEachItemOnce(t *testing.T) {
	t.Parallel()
	for _, total := range []int{0, 1, 2, 3, 5, 7, 9, 100, 1001} {
		for _, n := range []int{1, 2, 3, 4, 8, 10} {
			held := make([]int, total)
			for k := 1; k <= n; k++ {
				share := shareOf(total, &result.ShardInfo{Index: k, Count: n})
				for i := range share {
					id := i*n + k - 1
					if id >= total {
						t.Fatalf("%d items over %d shards: shard %d holds %d, so item %d, past the end", total, n, k, share, id)
					}
					held[id]++
				}
			}
			for id, c := range held {
				if c != 1 {
					t.Errorf("%d items over %d shards: item %d is held by %d shards, want 1", total, n, id, c)
				}
			}
		}
	}
	if got := shareOf(7, nil); got != 7 {
		t.Errorf("an unsharded run holds %d of 7 items, want all", got)
	}
}
