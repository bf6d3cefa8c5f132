package table

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteText draws ts for a terminal with tablewriter; their notes wrap at
// width columns (0: no limit). The tables themselves never wrap: Fit
// makes them narrower.
func WriteText(w io.Writer, ts []Table, width int) error {
	return write(w, ts, false, width)
}

// WriteMarkdown draws ts as Markdown: a heading per table, its notes as a
// list.
func WriteMarkdown(w io.Writer, ts []Table) error {
	return write(w, ts, true, 0)
}

// write draws ts as Markdown or for a terminal, whose notes wrap at
// width columns (0: no limit).
func write(w io.Writer, ts []Table, md bool, width int) error {
	for _, t := range ts {
		var err error
		if md {
			_, err = fmt.Fprintf(w, "### %s\n\n", t.Title)
		} else {
			_, err = fmt.Fprintf(w, "%s\n", t.Title)
		}
		if err != nil {
			return err
		}
		opts := []tablewriter.Option{
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
			tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		}
		opts = append(opts, tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: alignments(t)}))
		if md {
			opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
		}
		tb := tablewriter.NewTable(w, opts...)
		tb.Header(toAny(t.Header)...)
		for _, r := range t.Rows {
			if err := tb.Append(toAny(r)...); err != nil {
				return err
			}
		}
		if err := tb.Render(); err != nil {
			return err
		}
		for _, n := range t.Notes {
			if md {
				n = "- " + n
			} else {
				n = strings.Join(Wrap("  "+n, width, "    "), "\n")
			}
			if _, err := fmt.Fprintln(w, n); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return nil
}

// alignments right-aligns the columns whose every cell is a figure, so
// digits line up; text columns stay left-aligned.
func alignments(t Table) []tw.Align {
	a := make([]tw.Align, len(t.Header))
	for c := range a {
		a[c] = tw.AlignRight
		for _, r := range t.Rows {
			if c < len(r) && !figure(r[c]) {
				a[c] = tw.AlignLeft
				break
			}
		}
	}
	return a
}

// figure reports whether a cell is a number, possibly with a sign, a unit
// or a delta ("1,200", "49.72%", "160.0MiB", "+10%", "~", "64.6 (+12%)").
func figure(s string) bool {
	if s == "" || s == "~" || s == "–" || s == "—" || s == "-" || s == NoSuccess {
		return true
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-−.,%/×~ ()", r):
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == 'µ':
		default:
			return false
		}
	}
	first := []rune(s)[0]
	return digits > 0 && (first >= '0' && first <= '9' || strings.ContainsRune("+-−~", first))
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}
