package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// processCount is the number of processes that serve in r's target, for
// ranking configurations: helpers (multiprocessing's resource tracker),
// launchers (a shell, env) and a database the target starts for itself
// (PostgreSQL's postmaster and backends: every configuration has one) do
// not count. ok is false without a resource source.
func processCount(r *result.Result) (n int, ok bool) {
	if r.Resources == nil || len(r.Resources.Processes) == 0 {
		return 0, false
	}
	for _, p := range r.Resources.Processes {
		if p.Role != "" && p.Role != "helper" && p.Role != "postgres" {
			n++
		}
	}
	if n == 0 {
		// No role known (a source without roles): every row serves.
		n = len(r.Resources.Processes)
	}
	return n, true
}

// candidate is a result that passed every gate, with what it costs.
type candidate struct {
	i     int
	procs int     // math.MaxInt when unknown
	rss   float64 // bytes; +Inf when unknown
}

// Recommendation names the cheapest configuration that passes every
// gate: the fewest processes, then the lowest rss.total, with its
// headroom at the production rate when sats (capacity searches of the
// same targets, as nightly runs them) know its capacity; and the other
// passing configurations with the memory they cost against it, e.g.
// "recommended: titan-1w, which passes every gate in 1 process with
// 46.0MiB; titan-split also passes, with 4× the memory". It says so
// when no configuration passes.
func Recommendation(c *result.Comparison, sats []*result.Saturation) string {
	labels := comparisonColumns(c)
	var (
		cs     []candidate
		peakBy string // why a passing run was not a candidate
	)
	for i, r := range c.Results {
		if !r.Pass || r.Status != result.Complete || len(r.Gates) == 0 {
			continue
		}
		if w := belowPeak(r.Scenario); w != "" {
			peakBy = w
			continue
		}
		k := candidate{i: i, procs: math.MaxInt, rss: math.Inf(1)}
		if n, ok := processCount(r); ok {
			k.procs = n
		}
		if v, ok := r.Metric(metric.RSSTotal); ok && v.V > 0 {
			k.rss = v.V
		}
		cs = append(cs, k)
	}
	if len(cs) == 0 && peakBy != "" {
		return "recommended: none — " + peakBy
	}
	if len(cs) == 0 {
		return "recommended: none — no target passes every gate"
	}
	slices.SortStableFunc(cs, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.procs, b.procs), cmp.Compare(a.rss, b.rss))
	})
	best := cs[0]
	var b strings.Builder
	fmt.Fprintf(&b, "recommended: %s, which passes every gate", labels[best.i])
	if best.procs != math.MaxInt {
		fmt.Fprintf(&b, " in %s", unit.Plural(best.procs, "process", "processes"))
	}
	if !math.IsInf(best.rss, 1) {
		fmt.Fprintf(&b, " with %s", bytesString(uint64(best.rss)))
	}
	if s := saturationOf(sats, c.Results[best.i].Target); s != nil && s.Capacity > 0 {
		fmt.Fprintf(&b, ", up to %s req/s", unit.RoundRateNumber(s.Capacity))
		if h := s.Headroom(); h > 0 {
			fmt.Fprintf(&b, " (%s× today's %s)", headroomNumber(h), s.ProductionText)
		}
	}
	for _, k := range cs[1:] {
		fmt.Fprintf(&b, "; %s also passes", labels[k.i])
		var costs []string
		if k.procs != math.MaxInt && best.procs != math.MaxInt && k.procs != best.procs {
			costs = append(costs, "in "+unit.Plural(k.procs, "process", "processes"))
		}
		if !math.IsInf(k.rss, 1) && !math.IsInf(best.rss, 1) {
			costs = append(costs, "with "+ratio(k.rss/best.rss)+" the memory")
		}
		if len(costs) > 0 {
			b.WriteString(", " + strings.Join(costs, " and "))
		}
	}
	return b.String()
}

// saturationOf is the capacity search of target t among sats, nil when
// there is none.
func saturationOf(sats []*result.Saturation, t result.TargetInfo) *result.Saturation {
	for _, s := range sats {
		if s != nil && s.Target.Name == t.Name && s.Target.File == t.File {
			return s
		}
	}
	return nil
}

// ratio formats a factor: "4×", "1.3×".
func ratio(f float64) string {
	prec := 1
	if f >= 10 || math.Abs(f-math.Round(f)) < 0.05 {
		prec = 0
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + "×"
}
