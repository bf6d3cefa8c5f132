//go:build race

package resource

// raceEnabled: the race detector multiplies the CPU time of every memory
// access, so a cost measured under it is the detector's.
const raceEnabled = true
