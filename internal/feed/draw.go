package feed

import (
	"fmt"
	"math/bits"
	"sort"
)

// drawState is what Feed.Draw needs beyond the rows.
type drawState struct {
	// cum[i] is the sum of Weights[:i+1]; nil without weights.
	cum []float64
	// This process makes the draws shard, shard+shards, shard+2·shards, …
	// of the whole feed's sequence; 0 and 1 for an unsharded feed.
	shard, shards uint64
}

// golden is 2⁶⁴/φ: draw g of a weighted cycle lands at frac(g/φ), the
// sequence that spreads any number of points most evenly over [0, 1), so
// every stretch of draws holds each row close to its share.
const golden = 0x9E3779B97F4A7C15

// Draw returns the row of this process's draw i (counted from 0), or false
// when an order-once feed has run out. A draw is a function of i alone,
// so Draw is safe for concurrent use and two runs draw alike. Draw i of
// shard K of N (see Shard) is draw K−1+i·N of the whole feed: the shards
// together draw exactly the sequence one process would.
func (f *Feed) Draw(i uint64) ([]string, bool) {
	n := uint64(len(f.Rows))
	if n == 0 {
		return nil, false
	}
	g := f.draw.shard + i*max(f.draw.shards, 1)
	switch f.Order {
	case Once:
		if g >= n {
			return nil, false
		}
		return f.Rows[g], true
	case Random:
		return f.Rows[f.pick(splitmix64(g))], true
	default:
		if f.draw.cum == nil {
			return f.Rows[g%n], true
		}
		return f.Rows[f.pick(g*golden)], true
	}
}

// Shard returns the feed as shard k of n (1 ≤ k ≤ n) draws it: draws
// k−1, k−1+n, k−1+2n, … of the whole feed. f is not changed.
func (f *Feed) Shard(k, n int) *Feed {
	if k < 1 || k > n {
		panic(fmt.Sprintf("feed: Feed.Shard(%d, %d): want 1 ≤ k ≤ n", k, n))
	}
	c := *f
	c.draw.shard, c.draw.shards = uint64(k-1), uint64(n)
	return &c
}

// pick maps x, spread evenly over the uint64s, to a row: each row alike,
// or in proportion to its weight.
func (f *Feed) pick(x uint64) int {
	cum := f.draw.cum
	if cum == nil {
		i, _ := bits.Mul64(x, uint64(len(f.Rows)))
		return int(i)
	}
	u := float64(x>>11) / (1 << 53) * cum[len(cum)-1]
	i := sort.Search(len(cum), func(j int) bool { return cum[j] > u })
	return min(i, len(cum)-1)
}

// splitmix64 is a bijective mixer of the uint64s (Steele, Lea and Flood's
// SplitMix64 finaliser): consecutive draws give unrelated values.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// cumulative returns the running sums of w.
func cumulative(w []float64) []float64 {
	if w == nil {
		return nil
	}
	cum := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		cum[i] = sum
	}
	return cum
}
