package unit

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePercent parses a share written with a percent sign, "1%" or
// "0.5%", into percent. It checks the form only: callers bound the number
// (a gate's threshold to 0–100).
func ParsePercent(s string) (float64, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("percentage %q: want a number and %%, e.g. 1%%", s)
	}
	return f, nil
}

// FormatPercent formats a share in percent with one decimal: "60.0%".
func FormatPercent(p float64) string {
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// FormatShare formats a measured share of requests or events in percent
// with two decimals, "49.72%": a loss of 0.04% must not read as none.
func FormatShare(p float64) string {
	return strconv.FormatFloat(p, 'f', 2, 64) + "%"
}
