package yamlfile

import (
	"fmt"
	"strings"
)

// suggest returns ` — did you mean "x"?` for the name among valid that is
// closest to got, or a list of the valid names when none is close.
func suggest(got string, valid []string) string {
	best, bestD := "", len(got)
	for _, v := range valid {
		if d := editDistance(strings.ToLower(got), v); d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" && bestD <= max(1, min(2, len(best)/3)) {
		return fmt.Sprintf(" — did you mean %q?", best)
	}
	if len(valid) == 0 {
		return ""
	}
	return " (want one of: " + strings.Join(valid, ", ") + ")"
}

// Closest returns the name among valid closest to got when it is close
// enough to be a likely typo, or "": for did-you-mean hints on names other
// than a file's fields (metrics, endpoints, columns).
func Closest(got string, valid []string) string {
	best, bestD := "", len(got)
	for _, v := range valid {
		if d := editDistance(got, v); d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" && bestD <= max(1, min(3, len(best)/3)) {
		return best
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
