package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Document is anything loadcheck reports: a *Result (one run), a
// *Comparison, a *Saturation or a *Nightly. Each renders in every Format.
// A kind of document says once what it is made of, in the three views the
// renderers read; no renderer switches on the kind, and a new kind that
// misses a view does not compile.
type Document interface {
	// outline is the document for the text renderers (layout.go).
	outline() outline
	// contents are its runs, capacity searches and night, for JUnit and
	// Prometheus.
	contents() contents
	// page is its HTML page, with charts (html.go).
	page() (htmlPage, error)
}

var (
	_ Document = (*Result)(nil)
	_ Document = (*Comparison)(nil)
	_ Document = (*Saturation)(nil)
	_ Document = (*Nightly)(nil)
)

// contents are a document taken apart into what the check formats (JUnit,
// Prometheus) report on: the runs, each with the label it is known by,
// the capacity searches, and the night that holds them.
type contents struct {
	runs     []labelledRun
	searches []*Saturation
	night    *Nightly // nil unless the document is a night
}

// labelledRun is a run with its label: its target's name, or in a
// comparison the full label of its column (Comparison.Labels).
type labelledRun struct {
	*Result
	label string
}

func (r *Result) contents() contents {
	return contents{runs: []labelledRun{{r, r.Target.Name}}}
}

func (c *Comparison) contents() contents {
	var out contents
	for i, l := range c.Labels() {
		out.runs = append(out.runs, labelledRun{c.Results[i], l})
	}
	return out
}

func (s *Saturation) contents() contents { return contents{searches: []*Saturation{s}} }

func (n *Nightly) contents() contents {
	var c contents
	if n.Comparison != nil {
		c = n.Comparison.contents()
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
)

// Formats lists the formats Render accepts.
func Formats() []string {
	return []string{FormatTable, FormatMarkdown, FormatHTML, FormatJSON, FormatJUnit, FormatPrometheus}
}

// Render writes doc in format.
func Render(w io.Writer, doc Document, format string) error {
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
		return writeMarkdownOutline(w, doc.outline())
	case FormatTable:
		return RenderTerminal(w, doc, 0)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// RenderTerminal writes doc as text tables for a terminal width columns
// wide; 0 means no limit, as Render with FormatTable. A comparison wider
// than the terminal is laid out as a block per target instead.
func RenderTerminal(w io.Writer, doc Document, width int) error {
	return writeTextOutline(w, doc.outline(), width)
}

func writeJSON(w io.Writer, doc Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// ReadDocument reads any document loadcheck writes as JSON: a run's result
// (no "kind"), a comparison, a capacity search or a nightly report.
func ReadDocument(path string) (Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema int    `json:"schema"`
		Kind   string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%s:%s", path, jsonError(b, err))
	}
	if !bytes.Contains(b, []byte(`"schema"`)) {
		return nil, fmt.Errorf("%s:1:1: no schema field: not a file loadcheck wrote — report reads the result JSON run, compare, saturate and nightly write (reports/runs/<run-id>.json)", path)
	}
	if head.Schema < 1 || head.Schema > Schema {
		return nil, fmt.Errorf("%s:%s: schema %d: this loadcheck reads schema 1 to %d — render it with the loadcheck that wrote it", path, fieldAt(b, "schema"), head.Schema, Schema)
	}
	if required[head.Kind] != nil {
		if err := checkShape(b, head.Kind); err != nil {
			return nil, fmt.Errorf("%s:%v", path, err)
		}
	}
	var doc Document
	switch head.Kind {
	case "":
		doc = &Result{}
	case KindComparison:
		doc = &Comparison{}
	case KindSaturation:
		doc = &Saturation{}
	case KindNightly:
		doc = &Nightly{}
	default:
		return nil, fmt.Errorf("%s:%s: unknown kind %q: want a result, %q, %q or %q — use a file loadcheck wrote", path, fieldAt(b, "kind"), head.Kind, KindComparison, KindSaturation, KindNightly)
	}
	if err := json.Unmarshal(b, doc); err != nil {
		return nil, fmt.Errorf("%s:%s", path, jsonError(b, err))
	}
	return doc, nil
}
