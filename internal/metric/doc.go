// Package metric is the one catalogue of gate metrics: for each metric its
// name, kind, unit, the scenario section it needs, the function that reads
// it, its Prometheus name and whether a comparison shows it.
//
// Everything that names a metric asks the catalogue: scenario validation
// (does the scenario measure it?), gate parsing (its kind), the gates and
// the abort conditions (its value), the compare rows, the Prometheus
// output and the README's list, which a test keeps equal to it. Adding a
// metric is one entry in catalogue.go, one line of the README, and a case
// in the reader test.
//
// Readers take a Run, a small interface that a finished result
// (result.Result) and a live snapshot of a run under way (package run)
// both implement, so aborts read the same figures the gates do without a
// fake result. The package sits between gate, which stays a leaf that
// knows no metric names, and scenario and report, which use it; it
// imports only gate and record.
package metric
