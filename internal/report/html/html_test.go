package html

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/loadcheck/loadcheck/internal/report/chart"
	"github.com/loadcheck/loadcheck/internal/report/table"
)

func TestCellClass(t *testing.T) {
	for _, tc := range []struct{ cell, want string }{
		{"PASS 1.02s", "pass"},
		{"FAIL 49.72%", "fail"},
		{"1,200", "num"},
		{"−46%", "num"},
		{"160.0MiB", "num"},
		{"~", "num"},
		{"—", "num"},
		{"zeus-search", ""},
		{"uvicorn, 2 workers", ""},
	} {
		if got := cellClass(tc.cell); got != tc.want {
			t.Errorf("cellClass(%q) = %q, want %q", tc.cell, got, tc.want)
		}
	}
}

// TestWrite: a page with a table, a chart and a collapsed section is one
// document with nothing to load, its text escaped, its chart an inline
// SVG element named for screen readers, and an empty chart left out.
func TestWrite(t *testing.T) {
	line := chart.Chart{Title: `p95 <"all">`, XLabel: "s", YLabel: "ms", Lines: []chart.Series{{Name: "p95", XY: plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 2}}}}}
	figs, err := Figures(line, chart.Chart{Title: "nothing to draw"})
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 1 {
		t.Fatalf("%d figures, want the one chart with data", len(figs))
	}
	p := Page{Title: "t", Heading: "run <1>", Pass: false, Verdict: []string{"FAIL: a gate failed"},
		Sections: []Section{{
			Title:   "Figures",
			Tables:  []table.Table{{Title: "HTTP", Header: []string{"endpoint", "p95 ms"}, Rows: [][]string{{"search", "1020"}}}},
			Figures: figs,
			Details: []Section{{Title: "each target", Lines: []string{"collapsed"}}},
		}}}
	var b bytes.Buffer
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<h1>run &lt;1&gt;</h1>",
		`<section class="verdict fail">`,
		`<td class="num">1020</td>`,
		`<svg role="img" aria-label="p95 &lt;&#34;all&#34;&gt;" `,
		"<details>\n<summary>each target</summary>",
		"default-src 'none'",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	for _, bad := range []string{"<script", "<?xml", "nothing to draw"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	svg := page[strings.Index(page, "<svg"):]
	svg = svg[:strings.Index(svg, "</svg>")+len("</svg>")]
	var v struct{ XMLName xml.Name }
	if err := xml.Unmarshal([]byte(svg), &v); err != nil || v.XMLName.Local != "svg" {
		t.Errorf("the figure is not a well-formed <svg> element: %v", err)
	}
}
