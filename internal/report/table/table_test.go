package table

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/olekukonko/tablewriter/tw"
)

// wide is a table of a name column and twelve columns of figures.
func wide() Table {
	t := Table{Title: "wide", Header: []string{"metric"}, Notes: []string{"a note"}}
	row := []string{"http.zeus-search.p95 (ms)"}
	for i := range 12 {
		t.Header = append(t.Header, "target number "+strings.Repeat("x", i))
		row = append(row, "1020 (−46%)")
	}
	t.Rows = [][]string{row, {"ws.loss (%)", "0.00", "49.72 (+49.7pp)"}}
	return t
}

// TestFitSplitsColumns: a table too wide for the terminal becomes tables
// that fit, each repeating the row names, with every cell kept and the
// notes under the last.
func TestFitSplitsColumns(t *testing.T) {
	const width = 80
	in := wide()
	parts := Fit([]Table{in}, width)
	if len(parts) < 2 {
		t.Fatalf("Fit gave %d tables for a table %d columns wide, want it split", len(parts), renderedWidth(in))
	}
	var header []string
	for i, p := range parts {
		var b bytes.Buffer
		if err := WriteText(&b, []Table{p}, width); err != nil {
			t.Fatal(err)
		}
		if w := Width(b.String()); w > width {
			t.Errorf("part %d is %d columns wide, want at most %d:\n%s", i, w, width, b.String())
		}
		if p.Rows[0][0] != in.Rows[0][0] || p.Rows[1][0] != in.Rows[1][0] {
			t.Errorf("part %d does not repeat the row names: %q", i, p.Rows)
		}
		if wantTitle := i > 0; strings.HasSuffix(p.Title, "(continued)") != wantTitle {
			t.Errorf("part %d titled %q", i, p.Title)
		}
		if wantNotes := i == len(parts)-1; (len(p.Notes) > 0) != wantNotes {
			t.Errorf("part %d has notes %q", i, p.Notes)
		}
		for _, h := range p.Header[1:] {
			header = append(header, strings.ReplaceAll(h, "\n", " "))
		}
	}
	if diff := cmp.Diff(in.Header[1:], header); diff != "" {
		t.Errorf("columns lost or reordered by the split (-want +got):\n%s", diff)
	}
	if got := Fit([]Table{in}, 0); len(got) != 1 {
		t.Errorf("Fit with no width limit gave %d tables, want the table as it is", len(got))
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"  one two three four", 10, []string{"  one two", "    three", "    four"}},
		{"averyveryverylongword x", 8, []string{"averyveryverylongword", "    x"}},
		{"kept\nlines", 0, []string{"kept", "lines"}},
	} {
		if diff := cmp.Diff(tc.want, Wrap(tc.in, tc.width, "    ")); diff != "" {
			t.Errorf("Wrap(%q, %d) (-want +got):\n%s", tc.in, tc.width, diff)
		}
	}
}

// TestFiguresAlignRight: a column of figures, with their units, deltas
// and stand-ins, is right-aligned; a column with a word in it is not.
func TestFiguresAlignRight(t *testing.T) {
	tb := Table{Header: []string{"name", "value"}, Rows: [][]string{
		{"a", "1,200"}, {"b", "49.72%"}, {"c", "64.6 (+12%)"}, {"d", "–"}, {"e", NoSuccess}, {"f", "60 s"},
	}}
	if diff := cmp.Diff([]tw.Align{tw.AlignLeft, tw.AlignRight}, alignments(tb)); diff != "" {
		t.Errorf("alignments (-want +got):\n%s", diff)
	}
}
