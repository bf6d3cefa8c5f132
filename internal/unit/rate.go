package unit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is an arrival rate: Freq events every Per. It is written "20/s",
// "40/min" or "0.5/s" in files, flags and gates.
type Rate struct {
	Freq float64
	Per  time.Duration
}

// perUnit maps the unit after the slash of a rate to its period.
var perUnit = map[string]time.Duration{
	"s": time.Second, "sec": time.Second,
	"m": time.Minute, "min": time.Minute,
	"h": time.Hour,
}

// PerSecond returns the rate in events per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.Freq / r.Per.Seconds()
}

// String formats the rate as it is written in files: in the unit it was
// written in when that is one of s, min and h.
func (r Rate) String() string {
	unit := "s"
	switch r.Per {
	case time.Minute:
		unit = "min"
	case time.Hour:
		unit = "h"
	case time.Second:
	default:
		return strconv.FormatFloat(r.PerSecond(), 'g', -1, 64) + "/s"
	}
	return strconv.FormatFloat(r.Freq, 'g', -1, 64) + "/" + unit
}

// ParseRate parses "20/s", "40/min", "3/h" or "0.5/s" (also "/sec" and
// "/m"), leading and trailing space ignored. A bare number is an error that
// suggests the unit. It checks the form only: the number may be 0,
// negative or not finite, which each caller bounds as its context needs.
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return Rate{}, fmt.Errorf("want a rate with a unit, e.g. %s/s or %s/min, got %s", t, t, t)
	}
	num, unit, ok := strings.Cut(t, "/")
	per := perUnit[unit]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || per == 0 || err != nil {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/min or N/h, e.g. 20/s", s)
	}
	return Rate{Freq: f, Per: per}, nil
}

// FormatRate formats a measured rate in events per second with one
// decimal: "12.5/s".
func FormatRate(perSecond float64) string {
	return strconv.FormatFloat(perSecond, 'f', 1, 64) + "/s"
}
