//go:build race

package load

// raceEnabled: the race detector slows every goroutine several times over,
// so millisecond latency bounds are checked by the race-free pass of
// `make test` instead.
const raceEnabled = true
