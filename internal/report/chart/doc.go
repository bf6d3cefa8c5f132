// Package chart holds the charts of loadcheck's documents and draws them
// as SVG with gonum/plot: the model (Chart, its lines, bars, gate lines
// and pass/fail marks), its drawing (a gated percentile on top, a gate far
// above the data named in the legend instead of flattening it, room for
// the legend), and the charts of each kind of document (Run, CPU,
// Comparison, Saturation, Trend).
//
// It is apart from package report because a chart is figures and axes,
// not text: it needs the results but none of report's wording, and
// report's HTML page (package html) only inlines what it draws. Labels
// that report chooses, such as a comparison's column names, come in as
// parameters.
package chart
