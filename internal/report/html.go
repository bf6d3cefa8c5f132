package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/loadcheck/loadcheck/internal/report/chart"
	"github.com/loadcheck/loadcheck/internal/report/html"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
)

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
	return html.Write(w, p)
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

func resultPage(r *result.Result) (html.Page, error) {
	figs, err := html.Figures(chart.Run(r)...)
	if err != nil {
		return html.Page{}, err
	}
	return html.Page{
		Title: "loadcheck: " + r.Scenario.Name + " — " + r.Target.Name, Heading: Headline(r), Meta: runMeta(r),
		Pass: r.Pass, Verdict: strings.Split(Verdict(r), "\n"),
		Sections: []html.Section{
			{Title: "Figures", Tables: Tables(r)},
			{Title: "Charts", Figures: figs},
		},
	}, nil
}

// comparisonSections are the comparison page's sections: the tables, the
// charts, and each target's own report, collapsed.
func comparisonSections(c *result.Comparison) ([]html.Section, error) {
	labels := comparisonColumns(c)
	figs, err := html.Figures(chart.Comparison(c, labels)...)
	if err != nil {
		return nil, err
	}
	secs := []html.Section{
		{Title: "Side by side", Tables: comparisonTables(c)},
		{Title: "Charts", Figures: figs},
	}
	each := html.Section{Title: "Each target"}
	for i, r := range c.Results {
		d := html.Section{Title: labels[i] + " — " + strings.ReplaceAll(Verdict(r), "\n", " · "), Lines: []string{Headline(r), runMeta(r)}, Tables: Tables(r)}
		if ch, ok := chart.CPU(r, labels[i]); ok {
			f, err := html.Figures(ch)
			if err != nil {
				return nil, err
			}
			d.Figures = f
		}
		each.Details = append(each.Details, d)
	}
	return append(secs, each), nil
}

func comparisonPage(c *result.Comparison) (html.Page, error) {
	secs, err := comparisonSections(c)
	if err != nil {
		return html.Page{}, err
	}
	meta := ""
	if len(c.Results) > 0 {
		meta = runMeta(c.Results[0])
	}
	return html.Page{Title: comparisonHeadline(c), Heading: comparisonHeadline(c), Meta: meta, Pass: c.Pass, Verdict: comparisonVerdicts(c), Sections: secs}, nil
}

func saturationSection(s *result.Saturation) (html.Section, error) {
	figs, err := html.Figures(chart.Saturation(s)...)
	if err != nil {
		return html.Section{}, err
	}
	return html.Section{Title: "Capacity of " + s.Target.Name, Lines: []string{SaturationSummary(s)}, Tables: SaturationTables(s), Figures: figs}, nil
}

func saturationPage(s *result.Saturation) (html.Page, error) {
	sec, err := saturationSection(s)
	if err != nil {
		return html.Page{}, err
	}
	meta := fmt.Sprintf("search %s · started %s · scenario %s", s.ID, s.Start.UTC().Format("2006-01-02 15:04:05 MST"), s.Scenario.Name)
	return html.Page{Title: saturationHeadline(s), Heading: saturationHeadline(s), Meta: meta, Pass: s.Pass, Verdict: []string{SaturationSummary(s)}, Sections: []html.Section{sec}}, nil
}

func nightlyPage(n *result.Nightly) (html.Page, error) {
	verdict := append([]string{nightlyVerdict(n)}, nightlyRegressionLines(n)...)
	figs, err := html.Figures(chart.Trend(n)...)
	if err != nil {
		return html.Page{}, err
	}
	secs := []html.Section{{Title: "Trend", Tables: []table.Table{trendTable(n)}, Figures: figs,
		Lines: []string{fmt.Sprintf("regression: any endpoint's p95 more than %.0f%% (and %s) above, or capacity more than %.0f%% below, the median of the last %d earlier nights; or broadcast loss where there was none",
			n.Thresholds.P95Growth, n.Thresholds.P95Floor, n.Thresholds.CapacityDrop, n.Thresholds.Baseline)}}}
	meta := "night " + n.Date
	if n.Comparison != nil {
		cs, err := comparisonSections(n.Comparison)
		if err != nil {
			return html.Page{}, err
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
			return html.Page{}, err
		}
		secs = append(secs, sec)
	}
	return html.Page{Title: nightlyHeadline(n), Heading: nightlyHeadline(n), Meta: meta, Pass: n.Pass, Verdict: verdict, Sections: secs}, nil
}
