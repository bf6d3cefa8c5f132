package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// MaxShards bounds --shard K/N: beyond it a shard's share of a scenario's
// boards and rate is too small to be worth a process, and a typo (1/1000000)
// is caught.
const MaxShards = 1000

// Shard returns the ShardInfo of shard k of n of scenario name started at
// start, or an error naming the flag when k/n is out of range. Shards of
// one run get the same Set however far apart they were started.
func Shard(k, n int, name string, start time.Time) (*result.ShardInfo, error) {
	switch {
	case n < 1 || n > MaxShards:
		return nil, fmt.Errorf("--shard %d/%d: want N from 1 to %d", k, n, MaxShards)
	case k < 1 || k > n:
		return nil, fmt.Errorf("--shard %d/%d: want K from 1 to N (%d)", k, n, n)
	case start.IsZero():
		return nil, fmt.Errorf("--shard %d/%d: the shards need a common start time — pass --start 2026-12-01T15:04:05Z (or set LOADCHECK_START) with the same value for every shard", k, n)
	}
	sum := sha256.Sum256([]byte(name + "\x00" + start.UTC().Format(time.RFC3339Nano)))
	return &result.ShardInfo{Index: k, Count: n, Set: hex.EncodeToString(sum[:4]), Start: start}, nil
}

// shareOf returns how many of total items (boards, SSE clients) shard
// s holds: items i with i mod N = K-1, so item i of shard K is item
// i·N+K-1 of the run.
func shareOf(total int, s *result.ShardInfo) int {
	if s == nil {
		return total
	}
	k := s.Index - 1
	if total <= k {
		return 0
	}
	return (total - k + s.Count - 1) / s.Count
}

// waitStart waits until start, when set, and returns how late the caller
// already was (0 when on time).
func waitStart(ctx context.Context, start time.Time) (time.Duration, error) {
	if start.IsZero() {
		return 0, nil
	}
	wait := time.Until(start)
	if wait <= 0 {
		return -wait, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return 0, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// shardOf returns the scenario as shard s runs it: its share of the
// HTTP clients (at least one), of each feed's draws (feed.Feed.Shard),
// and of each kind of observer's clients (observerKind.share). The
// schedule is shared out by the pacer (load.Pacer.Shard).
func shardOf(sc *scenario.Scenario, s *result.ShardInfo) *scenario.Scenario {
	if s == nil {
		return sc
	}
	c := *sc
	c.HTTP.Clients = max(shareOf(sc.HTTP.Clients, s), 1)
	// Each feed draws its share of the whole run's sequence.
	c.HTTP.Endpoints = slices.Clone(sc.HTTP.Endpoints)
	for i, e := range c.HTTP.Endpoints {
		if e.Feed != nil {
			c.HTTP.Endpoints[i].Feed = e.Feed.Shard(s.Index, s.Count)
		}
	}
	for _, k := range observerKinds {
		if k.share != nil {
			k.share(&c, s)
		}
	}
	return &c
}
