// Package load drives open-model HTTP load through vegeta, used as a
// library.
//
// A scenario's weighted endpoint mix becomes a vegeta Targeter, its stages a
// vegeta Pacer on the scenario's Schedule. Arrivals follow the schedule whatever the target does: a
// slow response never delays the next arrival (open model). The pacer can
// also invert its schedule — the time at which hit number n was meant to be
// sent — so every result is timed from its intended send as well as from its
// actual send, and the recorder can correct for coordinated omission.
//
// Results stream from vegeta's channel into a Recorder on one goroutine;
// nothing is kept per request.
package load
