// Package feed holds the values an endpoint's {{.column}} placeholders
// are filled from: columns and rows, read from a CSV file or zipped from
// lists, with an optional weight per row, and the draw of one row per
// request — in the file's order, at random from a fixed seed, or each row
// once — that shards of one run split between them exactly.
//
// It is apart from package scenario because a draw is arithmetic on row
// numbers, used while the load runs (package load draws, package run
// shards), while scenario only decides what a file's feed says and names
// the line of what is wrong with it.
package feed
