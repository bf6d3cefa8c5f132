// Package report holds the result of a run — a versioned JSON document that
// can be re-read, merged and re-rendered — and its renderers.
//
// Renderers first build a table model (Tables), then print it as text for
// terminals (tablewriter), Markdown or HTML, so every format shows the same
// figures. Result implements gate.Metrics and metric.Run: gates are
// evaluated against the result exactly as it is saved, by the readers of
// the metric catalogue.
package report
