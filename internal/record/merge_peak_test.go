package record

import (
	"testing"
	"time"
)

// The README promises that what cannot be merged exactly is kept on the
// safe side: the merged in-flight peak is the sum of the shards' peaks
// (the peaks need not coincide, so their sum bounds the true peak; the
// highest of them would not). A shard that measured nothing adds nothing
// and does not move the window.
func TestMergeInflightPeakIsTheSum(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	parts := []Summary{
		{Start: t0, Elapsed: 10 * time.Second, InflightMax: 3},
		{Start: t0.Add(2 * time.Second), Elapsed: 10 * time.Second, InflightMax: 5},
		{Start: t0.Add(time.Second), Elapsed: 5 * time.Second, InflightMax: 7},
		{}, // a shard that never began
	}
	got, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if got.InflightMax != 15 {
		t.Errorf("merged in-flight peak = %d, want 15, the sum of 3, 5 and 7", got.InflightMax)
	}
	if !got.Start.Equal(t0) || got.Elapsed != 12*time.Second {
		t.Errorf("merged window %v + %v, want %v + 12s (earliest start to latest end)", got.Start, got.Elapsed, t0)
	}
}
