package report

import (
	"fmt"
	"strings"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/verdict"
)

// LoadLine states the load a run applied, for a report's first lines: the
// stages as run, their peak, the warm-up, and how the command line changed
// the file's stages, e.g. "load: to 5/s over 3.333s, to 20/s over 6.667s,
// hold 5s — peak 20/s, after 5s warm-up at 5/s (not recorded); stages
// written for 1m30s scaled to the 15s phase …". "" for a result written
// before loads were recorded.
func LoadLine(s result.ScenarioInfo) string {
	if len(s.Load) == 0 {
		return ""
	}
	l := "load: " + strings.Join(s.Load, ", ")
	if s.PeakRate > 0 {
		l += " — peak " + unit.RoundRateNumber(s.PeakRate) + "/s"
	}
	if s.Warmup > 0 {
		l += ", after " + s.Warmup.String() + " warm-up"
		if s.WarmupRate > 0 {
			l += " at " + unit.RoundRateNumber(s.WarmupRate) + "/s"
		}
		l += " (not recorded)"
	} else {
		l += ", no warm-up"
	}
	if s.LoadChange != "" {
		l += "; changed on the command line: " + s.LoadChange
	}
	return l
}

// belowPeak says why a run cannot decide when its load never reached the
// peak its scenario was written for (--rate below it), "" when it did or
// the result does not say.
func belowPeak(s result.ScenarioInfo) string {
	if !verdict.BelowPeak(s) {
		return ""
	}
	return fmt.Sprintf("the load peaked at %s/s, below the scenario's %s/s (%s): judge the target at the load the scenario was written for",
		unit.RoundRateNumber(s.PeakRate), unit.RoundRateNumber(s.WrittenPeakRate), s.LoadChange)
}
