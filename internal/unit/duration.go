package unit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a Go duration that carries a unit: "30s", "250ms",
// "1m30s". A bare number, even 0, is an error that suggests the unit,
// since "30" could mean seconds or minutes. Negative durations parse;
// callers bound them.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f == 0 {
			// "e.g. 0s" would mislead where 0s is not allowed either.
			return 0, fmt.Errorf("want a duration with a unit, e.g. 30s, got %s", s)
		}
		return 0, fmt.Errorf("want a duration with a unit, e.g. %ss, got %s", s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 30s, 250ms or 2m, got %q", s)
	}
	return d, nil
}

// FormatSeconds formats a measured duration given in seconds at a
// precision a person reads at a glance: "2.00s", "250.0ms", "80µs".
func FormatSeconds(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + "µs"
	}
}

// MillisNumber is the number of a measured duration in milliseconds, for
// tables and text that name the unit themselves ("p95 ms", "1346 ms →
// 1700 ms"): no decimal from 100 up, one from 10, two below.
func MillisNumber(ms float64) string {
	switch {
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64)
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64)
	}
	return strconv.FormatFloat(ms, 'f', 2, 64)
}
