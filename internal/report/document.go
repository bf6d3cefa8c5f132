package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Document is anything loadcheck reports: a *Result (one run), a
// *Comparison, a *Saturation or a *Nightly. Each renders in every Format.
type Document interface {
	document()
}

func (*Result) document()     {}
func (*Comparison) document() {}
func (*Saturation) document() {}
func (*Nightly) document()    {}

var (
	_ Document = (*Result)(nil)
	_ Document = (*Comparison)(nil)
	_ Document = (*Saturation)(nil)
	_ Document = (*Nightly)(nil)
)

// contents are a document taken apart into what the check formats (JUnit,
// Prometheus) report on: the runs, each with the label it is known by,
// the capacity searches, and the night that holds them. contentsOf is
// the one place that knows how each kind of document is made up, so
// those renderers do not switch on the kind.
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

func contentsOf(doc Document) (contents, error) {
	var c contents
	switch d := doc.(type) {
	case *Result:
		c.runs = []labelledRun{{d, d.Target.Name}}
	case *Comparison:
		c.runs = d.labelledRuns()
	case *Saturation:
		c.searches = []*Saturation{d}
	case *Nightly:
		if d.Comparison != nil {
			c.runs = d.Comparison.labelledRuns()
		}
		c.searches, c.night = d.Saturations, d
	default:
		return c, fmt.Errorf("render: unknown document %T", doc)
	}
	return c, nil
}

func (c *Comparison) labelledRuns() []labelledRun {
	var out []labelledRun
	for i, l := range c.Labels() {
		out = append(out, labelledRun{c.Results[i], l})
	}
	return out
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
		o, err := outlineOf(doc)
		if err != nil {
			return err
		}
		return writeMarkdownOutline(w, o)
	case FormatTable:
		return RenderTerminal(w, doc, 0)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// RenderTerminal writes doc as text tables for a terminal width columns
// wide; 0 means no limit, as Render with FormatTable. A comparison wider
// than the terminal is laid out as a block per target instead.
func RenderTerminal(w io.Writer, doc Document, width int) error {
	o, err := outlineOf(doc)
	if err != nil {
		return err
	}
	return writeTextOutline(w, o, width)
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
		return nil, fmt.Errorf("%s: not a loadcheck report: %v", path, err)
	}
	if head.Schema < 1 || head.Schema > Schema {
		return nil, fmt.Errorf("%s: schema %d: this loadcheck reads schema 1 to %d", path, head.Schema, Schema)
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
		return nil, fmt.Errorf("%s: unknown kind %q: want a result, %q, %q or %q", path, head.Kind, KindComparison, KindSaturation, KindNightly)
	}
	if err := json.Unmarshal(b, doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return doc, nil
}
