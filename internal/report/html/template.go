package html

import (
	"html/template"
	"strconv"
	"strings"
)

// pageTemplate draws a Page: inline CSS, no script, and a
// Content-Security-Policy that allows nothing from the network.
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
