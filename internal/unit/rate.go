package unit

import (
	"fmt"
	"math"
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

// FormatMeasuredRate formats a measured rate in events per second with
// one decimal, whatever its size: "12.5/s", "0.7/s".
func FormatMeasuredRate(perSecond float64) string {
	return strconv.FormatFloat(perSecond, 'f', 1, 64) + "/s"
}

// FormatRoundRate formats a rate given per second the way people write
// it: per minute below 1/s when that is a round number ("40/min"), else
// per second with as few digits as read well ("34/s", "2.5/s").
func FormatRoundRate(perSecond float64) string {
	if perSecond > 0 && perSecond < 1 {
		m := perSecond * 60
		if math.Abs(m-math.Round(m)) < 1e-6 {
			return strconv.FormatFloat(math.Round(m), 'f', -1, 64) + "/min"
		}
		return strconv.FormatFloat(m, 'f', 1, 64) + "/min"
	}
	return RoundRateNumber(perSecond) + "/s"
}

// RoundRateNumber is the number of FormatRoundRate's per-second form, for
// text that names the unit itself ("capacity 47.5 req/s"): no decimal from
// 100 up, one from 10, two below, trailing zeros dropped.
func RoundRateNumber(perSecond float64) string {
	switch {
	case perSecond >= 100:
		return strconv.FormatFloat(perSecond, 'f', 0, 64)
	case perSecond >= 10:
		s := strconv.FormatFloat(perSecond, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0")
	}
	s := strconv.FormatFloat(perSecond, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
