// Package table holds the table model every report format prints, and
// draws tables as text for a terminal (with tablewriter) and as Markdown;
// it fits a table to a terminal's width (headers on two lines, then
// columns split into continued tables, no cell cut) and wraps prose.
//
// It is apart from package report so that the formats agree on one model
// and one way of drawing it, with nothing of the documents' content: it
// knows cells and widths, not runs or gates. report builds the tables,
// html and the text outline draw them.
package table
