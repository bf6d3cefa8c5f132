package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/loadcheck/loadcheck/internal/report/html"
	"github.com/loadcheck/loadcheck/internal/report/prometheus"
	"github.com/loadcheck/loadcheck/internal/result"
)

// views are what a kind of document is made of, as the renderers read
// it: its outline, drawn by the text and Markdown renderers (layout.go);
// its contents, read by JUnit and Prometheus; its HTML page, with charts
// (html.go). Each renders in every Format.
type views struct {
	outline  func() outline
	contents func() contents
	page     func() (html.Page, error)
}

// viewsOf is the one place that names the kinds of document: no renderer
// switches on the kind, and a kind that misses a view does not compile.
func viewsOf(doc result.Document) views {
	switch d := doc.(type) {
	case *result.Result:
		return bind(d, resultOutline, resultContents, resultPage)
	case *result.Comparison:
		return bind(d, comparisonOutline, comparisonContents, comparisonPage)
	case *result.Saturation:
		return bind(d, saturationOutline, saturationContents, saturationPage)
	case *result.Nightly:
		return bind(d, nightlyOutline, nightlyContents, nightlyPage)
	}
	panic(fmt.Sprintf("report: %T is not a document", doc))
}

// bind gives d's views.
func bind[D result.Document](d D, o func(D) outline, c func(D) contents, p func(D) (html.Page, error)) views {
	return views{
		outline:  func() outline { return o(d) },
		contents: func() contents { return c(d) },
		page:     func() (html.Page, error) { return p(d) },
	}
}

// contents are a document taken apart into what the check formats (JUnit,
// Prometheus) report on: the runs, each with the label it is known by,
// the capacity searches, and the night that holds them.
type contents struct {
	runs     []labelledRun
	searches []*result.Saturation
	night    *result.Nightly // nil unless the document is a night
}

// labelledRun is a run with its label: its target's name, or in a
// comparison the full label of its column (Comparison.Labels).
type labelledRun struct {
	*result.Result
	label string
}

func resultContents(r *result.Result) contents {
	return contents{runs: []labelledRun{{r, r.Target.Name}}}
}

func comparisonContents(c *result.Comparison) contents {
	var out contents
	for i, l := range comparisonLabels(c) {
		out.runs = append(out.runs, labelledRun{c.Results[i], l})
	}
	return out
}

func saturationContents(s *result.Saturation) contents {
	return contents{searches: []*result.Saturation{s}}
}

func nightlyContents(n *result.Nightly) contents {
	var c contents
	if n.Comparison != nil {
		c = comparisonContents(n.Comparison)
	}
	c.searches, c.night = n.Saturations, n
	return c
}

// The output formats of Render.
const (
	FormatTable    = "table" // text tables for a terminal
	FormatMarkdown = "md"
	FormatHTML     = "html" // one self-contained page with SVG charts
	FormatJSON     = "json" // the document itself, re-readable
	FormatJUnit    = "junit"
	// FormatPrometheus is the Prometheus text exposition format, for a
	// Pushgateway or node_exporter's textfile collector.
	FormatPrometheus = "prometheus"
)

// Formats lists the formats Render accepts.
func Formats() []string {
	return []string{FormatTable, FormatMarkdown, FormatHTML, FormatJSON, FormatJUnit, FormatPrometheus}
}

// Render writes doc in format.
func Render(w io.Writer, doc result.Document, format string) error {
	switch format {
	case FormatJSON:
		return writeJSON(w, doc)
	case FormatHTML:
		return WriteHTML(w, doc)
	case FormatJUnit:
		return WriteJUnit(w, doc)
	case FormatPrometheus:
		return WritePrometheus(w, doc)
	case FormatMarkdown:
		return writeMarkdownOutline(w, viewsOf(doc).outline())
	case FormatTable:
		return RenderTerminal(w, doc, 0)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// RenderTerminal writes doc as text tables for a terminal width columns
// wide; 0 means no limit, as Render with FormatTable. A comparison wider
// than the terminal is laid out as a block per target instead.
func RenderTerminal(w io.Writer, doc result.Document, width int) error {
	return writeTextOutline(w, viewsOf(doc).outline(), width)
}

// WritePrometheus writes doc in the Prometheus text exposition format
// (package prometheus): its runs, labelled as the JUnit suites are, its
// capacity searches and its night.
func WritePrometheus(w io.Writer, doc result.Document) error {
	c := viewsOf(doc).contents()
	runs := make([]prometheus.Run, len(c.runs))
	for i, r := range c.runs {
		runs[i] = prometheus.Run{Result: r.Result, Label: r.label}
	}
	return prometheus.Write(w, runs, c.searches, c.night)
}

func writeJSON(w io.Writer, doc result.Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
