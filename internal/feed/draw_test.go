package feed_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/feed"
)

// feedOf is the feed of the CSV text, drawn in order.
func feedOf(t *testing.T, csv, order string) *feed.Feed {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := feed.ReadCSV(path, feed.Order(order))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// zipfCSV is a feed of n values whose weights fall as 1/rank, as search
// terms do, and the weights.
func zipfCSV(n int) (string, []float64) {
	var b strings.Builder
	b.WriteString("v,weight\n")
	w := make([]float64, n)
	for i := range n {
		w[i] = math.Round(1000 / float64(i+1))
		fmt.Fprintf(&b, "term%d,%g\n", i, w[i])
	}
	return b.String(), w
}

// counts draws n rows and counts each value's draws by its row index.
func counts(t *testing.T, f *feed.Feed, n int) []int {
	t.Helper()
	c := make([]int, len(f.Rows))
	for i := range uint64(n) {
		row, ok := f.Draw(i)
		if !ok {
			t.Fatalf("Draw(%d) ran out of a %s feed", i, f.Order)
		}
		var k int
		fmt.Sscanf(row[0], "term%d", &k)
		c[k]++
	}
	return c
}

// A weighted random feed draws rows in proportion to their weights: the
// chi-square statistic of 100,000 draws of 20 zipf-weighted rows is
// below the 0.1 % critical value for 19 degrees of freedom (43.82). The
// seed is fixed, so the test is deterministic; uniform draws (the weights
// ignored) give a statistic in the tens of thousands.
func TestFeedWeightedRandomChiSquare(t *testing.T) {
	t.Parallel()
	csv, w := zipfCSV(20)
	f := feedOf(t, csv, "random")
	const n = 100_000
	got := counts(t, f, n)
	total := 0.0
	for _, x := range w {
		total += x
	}
	chi := 0.0
	for i, x := range w {
		want := n * x / total
		chi += (float64(got[i]) - want) * (float64(got[i]) - want) / want
	}
	if chi > 43.82 {
		t.Errorf("chi-square of 100,000 weighted draws = %.1f, want < 43.82 (df 19, p 0.001); counts %v for weights %v", chi, got, w)
	}
}

// A weighted cycle keeps every row at its share in any prefix of the
// sequence, not just over a whole period: after 1,000 and 10,000 draws
// each row is within 3 draws of weight/total of them.
func TestFeedWeightedCycleShares(t *testing.T) {
	t.Parallel()
	csv, w := zipfCSV(20)
	f := feedOf(t, csv, "cycle")
	total := 0.0
	for _, x := range w {
		total += x
	}
	for _, n := range []int{1_000, 10_000} {
		got := counts(t, f, n)
		for i, x := range w {
			if want := float64(n) * x / total; math.Abs(float64(got[i])-want) > 3 {
				t.Errorf("after %d draws: row %d drawn %d times, want %.1f ± 3", n, i, got[i], want)
			}
		}
	}
}

// Without weights a cycle is the file's order, over and over.
func TestFeedCycleInOrder(t *testing.T) {
	t.Parallel()
	f := feedOf(t, "v\na\nb\nc\n", "cycle")
	var got []string
	for i := range uint64(7) {
		row, _ := f.Draw(i)
		got = append(got, row[0])
	}
	if want := []string{"a", "b", "c", "a", "b", "c", "a"}; !slices.Equal(got, want) {
		t.Errorf("draws %v, want %v", got, want)
	}
}

// order: once draws each row at most once, then reports that it has run
// out, in one process and across shards.
func TestFeedOnceNeverRepeats(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("v\n")
	const rows = 101
	for i := range rows {
		fmt.Fprintf(&b, "v%d\n", i)
	}
	f := feedOf(t, b.String(), "once")
	for _, shards := range []int{1, 4} {
		seen := map[string]bool{}
		for k := 1; k <= shards; k++ {
			s := f
			if shards > 1 {
				s = f.Shard(k, shards)
			}
			for i := uint64(0); ; i++ {
				row, ok := s.Draw(i)
				if !ok {
					break
				}
				if seen[row[0]] {
					t.Fatalf("%d shards: %s drawn twice", shards, row[0])
				}
				seen[row[0]] = true
			}
		}
		if len(seen) != rows {
			t.Errorf("%d shards drew %d distinct rows before running out, want all %d", shards, len(seen), rows)
		}
	}
}

// Four shards of a cycling feed, each making its share of the draws, draw
// exactly the rows one process draws: shard K's draw i is the whole
// feed's draw K−1+4i, weighted or not.
func TestFeedShardsDrawTheWholeSequence(t *testing.T) {
	t.Parallel()
	weighted, _ := zipfCSV(20)
	for name, csv := range map[string]string{"plain": "v\nterm0\nterm1\nterm2\nterm3\nterm4\nterm5\nterm6\n", "weighted": weighted} {
		for _, order := range []string{"cycle", "random"} {
			f := feedOf(t, csv, order)
			const n, shards = 1003, 4
			var whole, union []string
			for i := range uint64(n) {
				row, _ := f.Draw(i)
				whole = append(whole, row[0])
			}
			union = make([]string, n)
			for k := 1; k <= shards; k++ {
				s := f.Shard(k, shards)
				for i := 0; k-1+i*shards < n; i++ {
					row, _ := s.Draw(uint64(i))
					union[k-1+i*shards] = row[0]
				}
			}
			if !slices.Equal(whole, union) {
				t.Errorf("%s %s: the shards' draws, interleaved, differ from one process's", name, order)
			}
		}
	}
}
