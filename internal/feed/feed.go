package feed

import "regexp"

// Feed supplies per-request values for an endpoint's placeholders: one row
// per request, drawn in Order (see Draw), in proportion to Weights when the
// feed has a weight column.
type Feed struct {
	Columns []string
	Rows    [][]string
	// Weights holds each row's weight (finite, above 0), from the feed's
	// column named weight, which is not a placeholder column; nil when the
	// feed has none, and every row is drawn alike.
	Weights []float64
	Order   Order
	File    string // the CSV file the rows came from, "" for inline lists

	draw drawState // how Draw picks rows; set by Zip, ReadCSV and Shard
}

// Order is the order in which a feed's rows are drawn.
type Order string

// The orders a feed's rows can be drawn in (feed: {order: …}).
const (
	// Cycle draws the rows in the file's order, over and over; with
	// weights, in a fixed interleaved sequence in which each row's share
	// of every stretch of draws follows its weight.
	Cycle Order = "cycle"
	// Random draws rows at random (in proportion to their weights), from
	// a fixed seed: every run sends the same sequence, so runs compared
	// against each other send the same requests.
	Random Order = "random"
	// Once draws each row at most once, in the file's order; then the
	// feed has run out and its endpoint sends nothing more.
	Once Order = "once"
)

// Orders returns the orders a feed may name, the default first.
func Orders() []Order { return []Order{Cycle, Random, Once} }

// WeightColumn names the column that holds each row's weight rather than
// a placeholder's values.
const WeightColumn = "weight"

var columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidColumn says whether name can name a column: letters, digits and _,
// not starting with a digit, so that {{.name}} is a placeholder.
func ValidColumn(name string) bool { return columnName.MatchString(name) }

// newFeed returns the feed of rows under cols, drawn in order (Cycle for
// ""), each row in proportion to its weight (weights nil: alike).
func newFeed(cols []string, rows [][]string, weights []float64, order Order) *Feed {
	if order == "" {
		order = Cycle
	}
	return &Feed{Columns: cols, Rows: rows, Weights: weights, Order: order, draw: drawState{cum: cumulative(weights)}}
}
