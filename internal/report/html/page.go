package html

import (
	"html/template"
	"io"
	"strings"

	"github.com/loadcheck/loadcheck/internal/report/chart"
	"github.com/loadcheck/loadcheck/internal/report/table"
)

// The HTML report is one file that works offline: inline CSS, inline SVG
// charts, no script, and a Content-Security-Policy that forbids loading
// anything, so a page that tried would say so in the browser's console.

// Page is one HTML report: a headline, the verdict (green when Pass, red
// otherwise), then its sections.
type Page struct {
	Title    string // the browser tab's
	Heading  string
	Meta     string // the line under the heading: run id, start, scenario
	Pass     bool
	Verdict  []string
	Sections []Section
}

// Section is a part of a page under its title: lines of prose, then
// tables, then figures, then sections collapsed.
type Section struct {
	Title   string
	Lines   []string
	Tables  []table.Table
	Figures []Figure
	// Details are collapsed sections (<details>), open with a click and no
	// script.
	Details []Section
}

// Figure is a chart drawn as an inline <svg> element, with its caption.
type Figure struct {
	Caption string
	SVG     template.HTML
}

// Write writes p as one self-contained HTML page.
func Write(w io.Writer, p Page) error {
	return pageTemplate.Execute(w, p)
}

// Figures draws cs, leaving out the charts with nothing to draw, each
// captioned with its title.
func Figures(cs ...chart.Chart) ([]Figure, error) {
	var out []Figure
	for _, c := range cs {
		if c.Empty() {
			continue
		}
		svg, err := c.SVG()
		if err != nil {
			return nil, err
		}
		out = append(out, Figure{Caption: c.Title, SVG: inlineSVG(string(svg), c.Title)})
	}
	return out, nil
}

// inlineSVG turns a standalone SVG document into an element for an HTML
// page: no XML declaration or comment, an accessible name, and a size the
// page's CSS can scale.
func inlineSVG(doc, title string) template.HTML {
	if i := strings.Index(doc, "<svg"); i >= 0 {
		doc = doc[i:]
	}
	doc = strings.Replace(doc, "<svg ", `<svg role="img" aria-label="`+template.HTMLEscapeString(title)+`" `, 1)
	return template.HTML(strings.TrimSpace(doc))
}
