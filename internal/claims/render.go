package claims

import (
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Title heads both renderings.
const Title = "The scaling analysis' claims, measured"

// VerdictText is a row's verdict as one phrase: "holds", "holds only when
// the caches have warmed …", "does not hold: …", "not measured: …".
func (r Row) VerdictText() string {
	switch {
	case r.Why == "":
		return r.Verdict.String()
	case r.Verdict == HoldsOnlyWhen:
		return r.Verdict.String() + " " + r.Why
	case r.Verdict == Holds:
		return r.Verdict.String() + " (" + r.Why + ")"
	}
	return r.Verdict.String() + ": " + r.Why
}

// RunsText names the runs a row was measured from: each folder with the
// start of its first run, "broadcasts (2026-12-06 12:36 UTC)", or "no
// runs" for a folder that is missing.
func (r Row) runsText(rs Runs) string {
	var s []string
	for _, id := range r.Runs {
		set := rs[id]
		switch {
		case set == nil:
			s = append(s, id+" (no runs)")
		case firstStart(set).IsZero():
			s = append(s, id)
		default:
			s = append(s, id+" ("+firstStart(set).UTC().Format("2006-01-02 15:04 MST")+")")
		}
	}
	return strings.Join(s, ", ")
}

func firstStart(set *RunSet) time.Time {
	var t []time.Time
	for _, r := range set.Results {
		t = append(t, r.Start)
	}
	for _, s := range set.Searches {
		t = append(t, s.Start)
	}
	if len(t) == 0 {
		return time.Time{}
	}
	sort.Slice(t, func(i, j int) bool { return t[i].Before(t[j]) })
	return t[0]
}

// Report is the claims table of one runs directory.
type Report struct {
	// Dir is the runs directory, as given (reports/claims/runs).
	Dir  string
	Runs Runs
	Rows []Row
}

// Read loads the runs under dir and judges every claim.
func Read(dir string) (*Report, error) {
	rs, err := Load(dir)
	if err != nil {
		return nil, err
	}
	return &Report{Dir: dir, Runs: rs, Rows: Judge(rs)}, nil
}

// mdCell escapes what would end a Markdown table cell or line.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// Markdown writes the table: claim, measured as, measurement, verdict;
// then the runs each claim was read from.
func (rep *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", Title)
	fmt.Fprintf(&b, "Read from the result JSON under `%s` (`make claims`); each verdict is the claim's rule in `internal/claims`.\n\n", filepath.ToSlash(rep.Dir))
	b.WriteString("| claim | measured as | measurement | verdict |\n|---|---|---|---|\n")
	for _, r := range rep.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | **%s** |\n", mdCell(r.Text), mdCell(r.MeasuredAs), mdCell(r.Measured), mdCell(r.VerdictText()))
	}
	b.WriteString("\nRuns (folder, first start):\n\n")
	for i, r := range rep.Rows {
		fmt.Fprintf(&b, "%d. %s\n", i+1, r.runsText(rep.Runs))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// HTML writes the same table as one self-contained page.
func (rep *Report) HTML(w io.Writer) error {
	type row struct {
		Row
		Class, Verdict, Runs string
	}
	var rows []row
	for _, r := range rep.Rows {
		rows = append(rows, row{r, strings.ReplaceAll(r.Verdict.String(), " ", "-"), r.VerdictText(), r.runsText(rep.Runs)})
	}
	return page.Execute(w, struct {
		Title, Dir string
		Rows       []row
	}{Title, filepath.ToSlash(rep.Dir), rows})
}

var page = template.Must(template.New("claims").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em;color:#1d1d1f}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #c8c8cc;padding:.45em .6em;vertical-align:top;text-align:left}
th{background:#f0f0f3}
td.verdict{font-weight:600;min-width:14em}
tr.holds td.verdict{background:#dff3e3}
tr.holds-only-when td.verdict{background:#fff3cd}
tr.does-not-hold td.verdict{background:#f8d7da}
tr.not-measured td.verdict{background:#e9e9ee;color:#555}
.runs{color:#555;font-size:90%}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Read from the result JSON under <code>{{.Dir}}</code> (<code>make claims</code>); each verdict is the claim's rule in <code>internal/claims</code>.</p>
<table>
<tr><th>claim</th><th>measured as</th><th>measurement</th><th>verdict</th></tr>
{{range .Rows}}<tr class="{{.Class}}"><td>{{.Text}}</td><td>{{.MeasuredAs}}</td><td>{{.Measured}}<div class="runs">runs: {{.Runs}}</div></td><td class="verdict">{{.Verdict}}</td></tr>
{{end}}</table>
</body></html>
`))
