// Package gate parses and evaluates gate expressions such as
// "http.zeus-search.p95 < 2s" or "ws.loss == 0%".
//
// A gate names a metric, an operator and a threshold that carries a unit.
// The package is a leaf of the pipeline: scenario validation uses Parse and
// Check before any traffic is sent, and the run evaluates the parsed gates
// against anything that implements Metrics (report.Result does).
package gate
