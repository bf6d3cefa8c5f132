package table

// Table is a table in no format yet: every renderer prints the same
// cells. Header cells state their unit.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	Notes  []string // footnotes, warnings
}

// NoSuccess stands in a latency cell when no request succeeded: there is
// nothing to measure, and 0 would read as instant. Like "–", it stands
// where a figure would, so its column stays aligned as figures.
const NoSuccess = "no successes"
