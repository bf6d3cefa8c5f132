package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/verdict"
)

// Recommendation words the recommendation (verdict.Recommend): the
// cheapest configuration that passes every gate, with its headroom at the
// production rate when sats (capacity searches of the same targets, as
// nightly runs them) know its capacity, and the other passing
// configurations with the memory they cost against it, e.g.
// "recommended: titan-1w, which passes every gate in 1 process with
// 46.0MiB; titan-split also passes, with 4× the memory". It says so
// when no configuration passes.
func Recommendation(c *result.Comparison, sats []*result.Saturation) string {
	labels := comparisonColumns(c)
	rec := verdict.Recommend(c, sats)
	if len(rec.Passing) == 0 && rec.BelowPeak >= 0 {
		return "recommended: none — " + belowPeak(c.Results[rec.BelowPeak].Scenario)
	}
	if len(rec.Passing) == 0 {
		return "recommended: none — no target passes every gate"
	}
	best := rec.Passing[0]
	var b strings.Builder
	fmt.Fprintf(&b, "recommended: %s, which passes every gate", labels[best.Result])
	if best.Processes > 0 {
		fmt.Fprintf(&b, " in %s", unit.Plural(best.Processes, "process", "processes"))
	}
	if best.RSS > 0 {
		fmt.Fprintf(&b, " with %s", bytesString(uint64(best.RSS)))
	}
	if s := best.Search; s != nil && s.Capacity > 0 {
		fmt.Fprintf(&b, ", up to %s req/s", unit.RoundRateNumber(s.Capacity))
		if h := s.Headroom(); h > 0 {
			fmt.Fprintf(&b, " (%s× today's %s)", headroomNumber(h), s.ProductionText)
		}
	}
	for _, k := range rec.Passing[1:] {
		fmt.Fprintf(&b, "; %s also passes", labels[k.Result])
		var costs []string
		if k.Processes > 0 && best.Processes > 0 && k.Processes != best.Processes {
			costs = append(costs, "in "+unit.Plural(k.Processes, "process", "processes"))
		}
		if k.RSS > 0 && best.RSS > 0 {
			costs = append(costs, "with "+ratio(k.RSS/best.RSS)+" the memory")
		}
		if len(costs) > 0 {
			b.WriteString(", " + strings.Join(costs, " and "))
		}
	}
	return b.String()
}

// ratio formats a factor: "4×", "1.3×".
func ratio(f float64) string {
	prec := 1
	if f >= 10 || math.Abs(f-math.Round(f)) < 0.05 {
		prec = 0
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + "×"
}
