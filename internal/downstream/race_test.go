//go:build race

package downstream_test

// raceEnabled: the race detector slows every goroutine several times over,
// so the stub's millisecond latency bounds are checked by the race-free
// pass of `make test` instead.
const raceEnabled = true
