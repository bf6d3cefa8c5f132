// Package gate parses and evaluates gate expressions such as
// "http.zeus-search.p95 < 2s" or "ws.loss == 0%".
//
// A gate names a metric, an operator and a threshold that carries a unit.
// The package is a leaf of the pipeline: scenario validation uses Parse
// (which checks the metric's name and the threshold's unit) and Section
// before any traffic is sent, and the run evaluates the parsed gates with
// EvalAll against anything that implements Metrics (report.Result does).
package gate
