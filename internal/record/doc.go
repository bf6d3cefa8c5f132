// Package record aggregates measurements into bounded memory: HDR
// histograms of latency per endpoint (1 µs – 60 s, 3 significant digits),
// counters, and a per-second timeline. Nothing keeps one entry per request,
// so memory stays flat however long a run lasts.
//
// Each HTTP request is recorded twice: its service time, from the moment it
// was actually sent, and its response time from the moment the arrival
// schedule meant it to be sent (wrk2's coordinated-omission correction).
// When the generator or its worker pool falls behind, the queueing time
// still counts in the second figure, which the percentile gates use.
package record
