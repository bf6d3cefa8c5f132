package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/result"
)

// An outline is a document as the text renderers draw it: headline,
// tables, notes and verdict. It is built once per kind of document
// (viewsOf) and drawn by one renderer per format (writeTextOutline for
// a terminal, writeMarkdownOutline for Markdown), so a new kind of
// document writes no text or Markdown of its own, and a new text format
// draws every kind of document.
type outline struct {
	Headline string
	// Lead are the lines right under the headline: the load applied.
	Lead []string
	// Top marks a report that holds others (a night): in Markdown its
	// headline is the page's title, with its verdict and notes right under
	// it; the others are sections with the verdict last.
	Top bool
	// Parts are documents inside this one (a night's comparison and
	// capacity searches), drawn before Tables.
	Parts  []outline
	Tables []table.Table
	// Narrow, when set, replaces Tables on a terminal too narrow for them
	// (a block per target instead of a column per target).
	Narrow []table.Table
	// Notes are lines under a title (a night's regressions): after the
	// tables on a terminal, a section under the verdict in Markdown.
	NotesTitle string
	Notes      []string
	Verdict    []string
	// VerdictList draws the verdict in Markdown as a list of bold lines
	// (a line per target) rather than one bold paragraph.
	VerdictList bool
	// Final marks a document drawn only on its own, at the end of its page
	// (a run): in Markdown no blank line follows its verdict.
	Final bool
}

func resultOutline(r *result.Result) outline {
	return outline{Headline: Headline(r), Lead: leadOf(r.Scenario), Tables: Tables(r), Verdict: []string{Verdict(r)}, Final: true}
}

func saturationOutline(s *result.Saturation) outline {
	return outline{Headline: saturationHeadline(s), Tables: SaturationTables(s), Verdict: []string{SaturationSummary(s)}}
}

func comparisonOutline(c *result.Comparison) outline { return comparisonOutlineWith(c, nil) }

// comparisonOutlineWith is the comparison's outline with the capacity searches
// sats of the same targets in the recommendation.
func comparisonOutlineWith(c *result.Comparison, sats []*result.Saturation) outline {
	return outline{Headline: comparisonHeadline(c), Lead: comparisonLead(c), Tables: comparisonTables(c), Narrow: comparisonBlockTables(c), Verdict: verdictsWith(c, sats), VerdictList: true}
}

// leadOf is the lead of a report on a run of s: its load.
func leadOf(s result.ScenarioInfo) []string {
	if l := LoadLine(s); l != "" {
		return []string{l}
	}
	return nil
}

// comparisonLead is the load the comparison's runs applied: one line when they all
// applied the same, else a line per target.
func comparisonLead(c *result.Comparison) []string {
	var lines []string
	same := true
	for i, r := range c.Results {
		l := LoadLine(r.Scenario)
		if l == "" {
			continue
		}
		if i > 0 && l != LoadLine(c.Results[0].Scenario) {
			same = false
		}
		lines = append(lines, comparisonColumns(c)[i]+": "+l)
	}
	if same && len(lines) > 0 {
		return leadOf(c.Results[0].Scenario)
	}
	return lines
}

func nightlyOutline(n *result.Nightly) outline {
	o := outline{Headline: nightlyHeadline(n), Top: true, Tables: []table.Table{trendTable(n)}, NotesTitle: "Regressions", Notes: nightlyRegressionLines(n), Verdict: []string{nightlyVerdict(n)}}
	if n.Comparison != nil {
		o.Parts = append(o.Parts, comparisonOutlineWith(n.Comparison, n.Saturations))
	}
	for _, s := range n.Saturations {
		o.Parts = append(o.Parts, saturationOutline(s))
	}
	return o
}

// writeTextOutline draws o for a terminal width columns wide (0: no
// limit): Tables when they fit, else Narrow when o has it, else Tables
// fitted (table.Fit); prose wraps at width.
func writeTextOutline(w io.Writer, o outline, width int) error {
	if err := writeLines(w, "%s\n", table.Wrap(o.Headline, width, "  ")); err != nil {
		return err
	}
	for _, l := range o.Lead {
		if err := writeLines(w, "%s\n", table.Wrap(l, width, "  ")); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	for _, p := range o.Parts {
		if err := writeTextOutline(w, p, width); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	var wide bytes.Buffer
	if err := table.WriteText(&wide, o.Tables, width); err != nil {
		return err
	}
	switch {
	case width <= 0 || table.Width(wide.String()) <= width:
		if _, err := w.Write(wide.Bytes()); err != nil {
			return err
		}
	case o.Narrow != nil:
		if err := table.WriteText(w, table.Fit(o.Narrow, width), width); err != nil {
			return err
		}
	default:
		if err := table.WriteText(w, table.Fit(o.Tables, width), width); err != nil {
			return err
		}
	}
	for _, l := range append(o.Notes[:len(o.Notes):len(o.Notes)], o.Verdict...) {
		if err := writeLines(w, "%s\n", table.Wrap(l, width, "  ")); err != nil {
			return err
		}
	}
	return nil
}

// writeMarkdownOutline draws o as Markdown.
func writeMarkdownOutline(w io.Writer, o outline) error {
	if o.Top {
		if _, err := fmt.Fprintf(w, "# %s\n\n", o.Headline); err != nil {
			return err
		}
		if err := writeLines(w, "**%s**\n\n", o.Verdict); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "## %s\n\n", o.NotesTitle); err != nil {
			return err
		}
		if err := writeLines(w, "- %s\n", o.Notes); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	} else if _, err := fmt.Fprintf(w, "## %s\n\n", o.Headline); err != nil {
		return err
	}
	if len(o.Lead) > 0 {
		if err := writeLines(w, "%s\n", append(o.Lead[:len(o.Lead):len(o.Lead)], "")); err != nil {
			return err
		}
	}
	for _, p := range o.Parts {
		if err := writeMarkdownOutline(w, p); err != nil {
			return err
		}
	}
	if err := table.WriteMarkdown(w, o.Tables); err != nil {
		return err
	}
	switch {
	case o.Top:
		return nil
	case o.VerdictList:
		if err := writeLines(w, "- **%s**\n", boldLines(o.Verdict)); err != nil {
			return err
		}
	case o.Final:
		return writeLines(w, "**%s**\n", boldLines(o.Verdict))
	default:
		if err := writeLines(w, "**%s**\n", boldLines(o.Verdict)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// boldLines splits verdicts at their line breaks, so that each line is
// bold on its own: Markdown does not carry bold across lines.
func boldLines(verdicts []string) []string {
	var out []string
	for _, v := range verdicts {
		out = append(out, strings.Split(v, "\n")...)
	}
	return out
}

// writeLines writes each line through format.
func writeLines(w io.Writer, format string, lines []string) error {
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, format, l); err != nil {
			return err
		}
	}
	return nil
}
