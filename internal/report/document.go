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
		switch d := doc.(type) {
		case *Result:
			return WriteMarkdown(w, d)
		case *Comparison:
			return d.WriteMarkdown(w)
		case *Saturation:
			return d.WriteMarkdown(w)
		case *Nightly:
			return d.WriteMarkdown(w)
		}
	case FormatTable:
		switch d := doc.(type) {
		case *Result:
			return WriteText(w, d)
		case *Comparison:
			return d.WriteText(w)
		case *Saturation:
			return d.WriteText(w)
		case *Nightly:
			return d.WriteText(w)
		}
	default:
		return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
	}
	return fmt.Errorf("render: unknown document %T", doc)
}

// WriteMarkdown writes the whole Markdown report of one run.
func WriteMarkdown(w io.Writer, r *Result) error {
	if _, err := fmt.Fprintf(w, "## %s\n\n", Headline(r)); err != nil {
		return err
	}
	if err := WriteMarkdownTables(w, Tables(r)); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "**%s**\n", Verdict(r))
	return err
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
