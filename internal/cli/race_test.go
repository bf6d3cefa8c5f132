//go:build race

package cli

// raceEnabled: the race detector slows every goroutine several times over,
// so the shard test that compares millisecond percentiles runs in the
// race-free pass of `make test` instead.
const raceEnabled = true
