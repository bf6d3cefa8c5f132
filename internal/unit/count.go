package unit

import "strconv"

// Plural writes n with the singular or plural noun: "1 process", "3
// processes", "1 target". Every count in a report or a message goes
// through it.
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
