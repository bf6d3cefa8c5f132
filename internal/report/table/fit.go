package table

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Fit lays ts out for a terminal width columns wide (0: no limit).
// A table wider than that first gets its headers of several words on two
// lines; one still too wide is split into tables of the columns that fit,
// each repeating the first column (the row's name) and titled
// "(continued)", its notes under the last. No cell is cut.
func Fit(ts []Table, width int) []Table {
	if width <= 0 {
		return ts
	}
	var out []Table
	for _, t := range ts {
		if renderedWidth(t) <= width {
			out = append(out, t)
			continue
		}
		t = twoLineHeaders(t)
		if renderedWidth(t) <= width {
			out = append(out, t)
			continue
		}
		out = append(out, splitColumns(t, width)...)
	}
	return out
}

// renderedWidth is the width of t drawn for a terminal.
func renderedWidth(t Table) int {
	var b bytes.Buffer
	if err := write(&b, []Table{{Header: t.Header, Rows: t.Rows}}, false, 0); err != nil {
		return 0
	}
	return Width(b.String())
}

// twoLineHeaders is t with each header of several words broken where its
// two lines are most even: "delivery p50 ms" becomes "delivery\np50 ms".
func twoLineHeaders(t Table) Table {
	h := make([]string, len(t.Header))
	for i, s := range t.Header {
		h[i] = s
		best := utf8.RuneCountInString(s)
		for j := 0; j < len(s); j++ {
			if s[j] != ' ' {
				continue
			}
			if w := max(utf8.RuneCountInString(s[:j]), utf8.RuneCountInString(s[j+1:])); w < best {
				best, h[i] = w, s[:j]+"\n"+s[j+1:]
			}
		}
	}
	t.Header = h
	return t
}

// splitColumns splits t into tables no wider than width where it can:
// the first column and as many of the next as fit, then the first column
// again and the rest.
func splitColumns(t Table, width int) []Table {
	var out []Table
	rest := make([]int, 0, len(t.Header))
	for c := 1; c < len(t.Header); c++ {
		rest = append(rest, c)
	}
	for len(rest) > 0 {
		n := 1
		for n < len(rest) && renderedWidth(columns(t, rest[:n+1])) <= width {
			n++
		}
		part := columns(t, rest[:n])
		part.Title = t.Title
		if len(out) > 0 {
			part.Title = t.Title + " (continued)"
		}
		out = append(out, part)
		rest = rest[n:]
	}
	out[len(out)-1].Notes = t.Notes
	return out
}

// columns is t with its first column and the columns cs, without notes.
func columns(t Table, cs []int) Table {
	pick := func(r []string) []string {
		p := []string{cellAt(r, 0)}
		for _, c := range cs {
			p = append(p, cellAt(r, c))
		}
		return p
	}
	p := Table{Title: t.Title, Header: pick(t.Header)}
	for _, r := range t.Rows {
		p.Rows = append(p.Rows, pick(r))
	}
	return p
}

func cellAt(r []string, c int) string {
	if c < len(r) {
		return r[c]
	}
	return ""
}

// Wrap breaks s into lines of at most width columns at spaces (0: no
// limit); lines after the first begin with indent. A word longer than a
// line stays whole. Lines already in s are kept.
func Wrap(s string, width int, indent string) []string {
	if width <= 0 {
		return strings.Split(s, "\n")
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		first := para[:len(para)-len(strings.TrimLeft(para, " "))]
		line, lead := "", first
		for _, word := range strings.Fields(para) {
			switch {
			case line == "":
				line = lead + word
				lead = indent
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
				line += " " + word
			default:
				out = append(out, line)
				line = indent + word
			}
		}
		out = append(out, line)
	}
	return out
}

// Width is the width in columns of the widest table line of text drawn by
// WriteText: prose lines (notes, verdicts) wrap in a terminal, tables
// must not.
func Width(text string) int {
	w := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "┌") || strings.HasPrefix(l, "│") || strings.HasPrefix(l, "├") || strings.HasPrefix(l, "└") {
			w = max(w, utf8.RuneCountInString(l))
		}
	}
	return w
}
