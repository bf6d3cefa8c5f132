// Package report renders the documents of package result — a run, a
// comparison, a capacity search, a night — in every output format, and
// does nothing else: it reads no file and decides nothing a renderer
// would have to agree on.
//
// Renderers first build tables (package table), then print them as text
// for terminals, Markdown or HTML, so every format shows the same figures.
// viewsOf is the one place that names the kinds of document.
// Metric names, units and whether a change is given in percentage points
// come from the metric catalogue.
package report
