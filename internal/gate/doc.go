// Package gate parses and evaluates gate expressions such as
// "http.zeus-search.p95 < 2s" or "ws.loss == 0%".
//
// A gate names a metric, an operator and a threshold that carries a unit.
// The package knows no metric names: Parse asks a KindFunc for the kind
// of the metric (package metric's catalogue supplies it; scenario
// validation calls it through metric.ParseGate before any traffic is
// sent), and EvalAll evaluates the parsed gates against anything that
// implements Metrics (metric.Of of a result or of a live snapshot of a
// run).
package gate
