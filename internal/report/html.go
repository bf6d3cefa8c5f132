package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/report/chart"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
)

// The HTML report is one file that works offline: inline CSS, inline SVG
// charts, no script, and a Content-Security-Policy that forbids loading
// anything, so a page that tried would say so in the browser's console.

type htmlPage struct {
	Title    string
	Heading  string
	Meta     string
	Pass     bool
	Verdict  []string
	Sections []htmlSection
}

type htmlSection struct {
	Title   string
	Lines   []string
	Tables  []table.Table
	Figures []htmlFigure
	// Details are collapsed sections (<details>), open with a click and no
	// script.
	Details []htmlSection
}

type htmlFigure struct {
	Caption string
	SVG     template.HTML
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"cellClass": cellClass,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;background:#fff;line-height:1.45}
h1{font-size:1.35rem;margin:0 0 .25rem}
h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#666;font-size:.85rem;margin:0 0 1rem}
.verdict{border-left:6px solid;padding:.5rem 1rem;margin:1rem 0;border-radius:3px}
.verdict.pass{border-color:#1a7f37;background:#eaf6ec}
.verdict.fail{border-color:#c62828;background:#fdecea}
.verdict ul{margin:0;padding-left:1.1rem}
table{border-collapse:collapse;margin:.75rem 0 .25rem;font-size:.85rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid #d0d0d0;padding:.2rem .5rem;text-align:left;white-space:nowrap}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.pass{color:#1a7f37;font-weight:600}
td.fail{color:#c62828;font-weight:600}
.tablewrap{overflow-x:auto}
ul.notes{font-size:.8rem;color:#555;margin:.2rem 0 1rem;padding-left:1.1rem}
figure{margin:1rem 0}
figcaption{font-size:.8rem;color:#555}
svg{max-width:100%;height:auto;display:block}
details{margin:.5rem 0;border:1px solid #e0e0e0;border-radius:3px;padding:.3rem .8rem}
summary{cursor:pointer;font-weight:600}
footer{margin-top:3rem;color:#888;font-size:.75rem}
</style>
</head>
<body>
<header>
<h1>{{.Heading}}</h1>
{{if .Meta}}<p class="meta">{{.Meta}}</p>{{end}}
</header>
<section class="verdict {{if .Pass}}pass{{else}}fail{{end}}">
<ul>
{{range .Verdict}}<li>{{.}}</li>
{{end}}</ul>
</section>
{{range .Sections}}{{template "section" .}}{{end}}
<footer>loadcheck — self-contained report: no script, nothing loaded from the network.</footer>
</body>
</html>
{{define "section"}}<section>
<h2>{{.Title}}</h2>
{{template "body" .}}</section>
{{end}}
{{define "body"}}{{range .Lines}}<p>{{.}}</p>
{{end}}{{range .Tables}}<div class="tablewrap"><table>
<caption>{{.Title}}</caption>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td class="{{cellClass .}}">{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{end}}{{range .Figures}}<figure>
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{range .Details}}<details>
<summary>{{.Title}}</summary>
{{template "body" .}}</details>
{{end}}{{end}}
`))

// cellClass styles a table cell: PASS and FAIL in colour, numbers right
// aligned.
func cellClass(s string) string {
	switch {
	case strings.HasPrefix(s, "PASS"):
		return "pass"
	case strings.HasPrefix(s, "FAIL"):
		return "fail"
	}
	t := strings.TrimRight(strings.TrimLeft(s, "+−-"), "%/spMiBKG")
	t = strings.ReplaceAll(t, ",", "")
	if _, err := strconv.ParseFloat(t, 64); err == nil || s == "~" || s == "—" {
		return "num"
	}
	return ""
}

// WriteHTML writes doc as one self-contained HTML page with SVG charts:
// latency percentiles over time per endpoint, throughput and errors over
// time, CPU per process over time, per-board delivery ratio; for a
// capacity search the latency-versus-rate curve with the gate line; for a
// nightly report the trend over the last nights.
func WriteHTML(w io.Writer, doc result.Document) error {
	p, err := viewsOf(doc).page()
	if err != nil {
		return err
	}
	return pageTemplate.Execute(w, p)
}

func figures(cs ...chart.Chart) ([]htmlFigure, error) {
	var out []htmlFigure
	for _, c := range cs {
		if c.Empty() {
			continue
		}
		svg, err := c.SVG()
		if err != nil {
			return nil, err
		}
		out = append(out, htmlFigure{Caption: c.Title, SVG: inlineSVG(string(svg), c.Title)})
	}
	return out, nil
}

func runMeta(r *result.Result) string {
	m := fmt.Sprintf("run %s · started %s · scenario %s", r.RunID, r.Start.UTC().Format("2006-01-02 15:04:05 MST"), r.Scenario.Name)
	if r.Scenario.File != "" {
		m += " (" + r.Scenario.File + ")"
	}
	if l := LoadLine(r.Scenario); l != "" {
		m += " · " + l
	}
	return m
}

func resultPage(r *result.Result) (htmlPage, error) {
	figs, err := figures(chart.Run(r)...)
	if err != nil {
		return htmlPage{}, err
	}
	return htmlPage{
		Title: "loadcheck: " + r.Scenario.Name + " — " + r.Target.Name, Heading: Headline(r), Meta: runMeta(r),
		Pass: r.Pass, Verdict: strings.Split(Verdict(r), "\n"),
		Sections: []htmlSection{
			{Title: "Figures", Tables: Tables(r)},
			{Title: "Charts", Figures: figs},
		},
	}, nil
}

// comparisonSections are the comparison page's sections: the tables, the
// charts, and each target's own report, collapsed.
func comparisonSections(c *result.Comparison) ([]htmlSection, error) {
	labels := comparisonColumns(c)
	figs, err := figures(chart.Comparison(c, labels)...)
	if err != nil {
		return nil, err
	}
	secs := []htmlSection{
		{Title: "Side by side", Tables: comparisonTables(c)},
		{Title: "Charts", Figures: figs},
	}
	each := htmlSection{Title: "Each target"}
	for i, r := range c.Results {
		d := htmlSection{Title: labels[i] + " — " + strings.ReplaceAll(Verdict(r), "\n", " · "), Lines: []string{Headline(r), runMeta(r)}, Tables: Tables(r)}
		if ch, ok := chart.CPU(r, labels[i]); ok {
			f, err := figures(ch)
			if err != nil {
				return nil, err
			}
			d.Figures = f
		}
		each.Details = append(each.Details, d)
	}
	return append(secs, each), nil
}

func comparisonPage(c *result.Comparison) (htmlPage, error) {
	secs, err := comparisonSections(c)
	if err != nil {
		return htmlPage{}, err
	}
	meta := ""
	if len(c.Results) > 0 {
		meta = runMeta(c.Results[0])
	}
	return htmlPage{Title: comparisonHeadline(c), Heading: comparisonHeadline(c), Meta: meta, Pass: c.Pass, Verdict: comparisonVerdicts(c), Sections: secs}, nil
}

func saturationSection(s *result.Saturation) (htmlSection, error) {
	figs, err := figures(chart.Saturation(s)...)
	if err != nil {
		return htmlSection{}, err
	}
	return htmlSection{Title: "Capacity of " + s.Target.Name, Lines: []string{SaturationSummary(s)}, Tables: SaturationTables(s), Figures: figs}, nil
}

func saturationPage(s *result.Saturation) (htmlPage, error) {
	sec, err := saturationSection(s)
	if err != nil {
		return htmlPage{}, err
	}
	meta := fmt.Sprintf("search %s · started %s · scenario %s", s.ID, s.Start.UTC().Format("2006-01-02 15:04:05 MST"), s.Scenario.Name)
	return htmlPage{Title: saturationHeadline(s), Heading: saturationHeadline(s), Meta: meta, Pass: s.Pass, Verdict: []string{SaturationSummary(s)}, Sections: []htmlSection{sec}}, nil
}

func nightlyPage(n *result.Nightly) (htmlPage, error) {
	verdict := append([]string{nightlyVerdict(n)}, nightlyRegressionLines(n)...)
	figs, err := figures(chart.Trend(n)...)
	if err != nil {
		return htmlPage{}, err
	}
	secs := []htmlSection{{Title: "Trend", Tables: []table.Table{trendTable(n)}, Figures: figs,
		Lines: []string{fmt.Sprintf("regression: any endpoint's p95 more than %.0f%% (and %s) above, or capacity more than %.0f%% below, the median of the last %d earlier nights; or broadcast loss where there was none",
			n.Thresholds.P95Growth, n.Thresholds.P95Floor, n.Thresholds.CapacityDrop, n.Thresholds.Baseline)}}}
	meta := "night " + n.Date
	if n.Comparison != nil {
		cs, err := comparisonSections(n.Comparison)
		if err != nil {
			return htmlPage{}, err
		}
		cs[0].Lines = verdictsWith(n.Comparison, n.Saturations)
		secs = append(secs, cs...)
		if len(n.Comparison.Results) > 0 {
			meta += " · " + runMeta(n.Comparison.Results[0])
		}
	}
	for _, s := range n.Saturations {
		sec, err := saturationSection(s)
		if err != nil {
			return htmlPage{}, err
		}
		secs = append(secs, sec)
	}
	return htmlPage{Title: nightlyHeadline(n), Heading: nightlyHeadline(n), Meta: meta, Pass: n.Pass, Verdict: verdict, Sections: secs}, nil
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
