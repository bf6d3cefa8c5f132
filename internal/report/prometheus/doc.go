// Package prometheus writes runs, capacity searches and a night in the
// Prometheus text exposition format (with expfmt), for a Pushgateway or
// node_exporter's textfile collector: every gate metric under the
// catalogue's family name and in its base unit, each gate's pass, the
// capacity found and the regressions of a night; and the name of the
// textfile a night is written to.
//
// It is apart from package report because a scrape is figures and labels
// for machines, with none of report's wording: report hands it the runs
// with their labels, the searches and the night as plain values.
package prometheus
