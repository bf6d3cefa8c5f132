package claims

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/loadcheck/loadcheck/internal/result"
)

// Verdict is what the runs say of a claim.
type Verdict int

// The verdicts, from no evidence to a contradiction.
const (
	NotMeasured   Verdict = iota // a run the claim needs is missing
	Holds                        // the rule's every condition held
	HoldsOnlyWhen                // it holds under a condition the rule names
	DoesNotHold                  // the measurement contradicts it
)

func (v Verdict) String() string {
	switch v {
	case Holds:
		return "holds"
	case HoldsOnlyWhen:
		return "holds only when"
	case DoesNotHold:
		return "does not hold"
	}
	return "not measured"
}

// Finding is one claim's measurement and verdict. Why completes the
// verdict: the condition of "holds only when", the part that failed for
// "does not hold", the runs that are missing for "not measured".
type Finding struct {
	Verdict  Verdict
	Measured string
	Why      string
}

// Claim is one claim of the scaling analysis and the rule that judges it.
type Claim struct {
	// Text is the claim as the analysis makes it; MeasuredAs the figures
	// that test it.
	Text, MeasuredAs string
	// Runs are the claim runs it reads: folders under the runs directory,
	// named as scenarios/claims/run.sh names its claims.
	Runs []string
	// judge reads the figures through rd and applies the claim's rule;
	// whatever it finds missing makes the claim "not measured".
	judge func(rd *reader) Finding
}

// Row is a claim with what its runs say.
type Row struct {
	Claim
	Finding
}

// Judge applies every claim's rule to the runs, in the analysis' order.
func Judge(rs Runs) []Row {
	rows := make([]Row, 0, len(All))
	for _, c := range All {
		rd := &reader{rs: rs}
		f := c.judge(rd)
		if len(rd.miss) > 0 {
			f = Finding{Verdict: NotMeasured, Measured: "—", Why: "missing " + strings.Join(rd.miss, "; ")}
		}
		rows = append(rows, Row{c, f})
	}
	return rows
}

// reader reads the figures a rule needs, noting each one the runs lack.
type reader struct {
	rs   Runs
	miss []string
}

func (rd *reader) note(s string) {
	if !slices.Contains(rd.miss, s) {
		rd.miss = append(rd.miss, s)
	}
}

// result returns claim run id's result against target file, or nil.
func (rd *reader) result(id, file string) *result.Result {
	r := rd.rs.result(id, file)
	switch {
	case r != nil:
	case rd.rs[id] == nil:
		rd.note(noRuns(id))
	default:
		rd.note(fmt.Sprintf("%s (no complete run of %s)", id, file))
	}
	return r
}

// fig returns the catalogue metric name of claim run id's result against
// target file; NaN when it is missing (and the claim is not measured).
func (rd *reader) fig(id, file, name string) float64 {
	r := rd.result(id, file)
	if r == nil {
		return math.NaN()
	}
	v, ok := r.Metric(name)
	if !ok {
		rd.note(fmt.Sprintf("%s (%s measured no %s)", id, file, name))
		return math.NaN()
	}
	return v.V
}

// noRuns says that claim run id left no folder, and how to run it.
func noRuns(id string) string {
	return fmt.Sprintf("%s (no runs: scenarios/claims/run.sh %s)", id, id)
}

// search returns claim run id's capacity search, or nil.
func (rd *reader) search(id string) *result.Saturation {
	s := rd.rs.search(id)
	switch {
	case s != nil:
	case rd.rs[id] == nil:
		rd.note(noRuns(id))
	default:
		rd.note(id + " (no capacity search)")
	}
	return s
}

// The units figures print in.
func pct(v float64) string { return trim(v, 1) + " %" }
func ms(s float64) string {
	if s >= 1 {
		return trim(s, 2) + " s"
	}
	return trim(s*1000, 1) + " ms"
}
func perMin(perS float64) string { return trim(perS*60, 0) + "/min" }
func perS(v float64) string      { return trim(v, 1) + "/s" }
func mib(b float64) string       { return trim(b/(1<<20), 0) + " MiB" }

// times prints a ratio with 3 significant digits at most: ×1.15, ×26.7, ×385.
func times(r float64) string {
	switch {
	case r >= 100:
		return "×" + trim(r, 0)
	case r >= 10:
		return "×" + trim(r, 1)
	}
	return "×" + trim(r, 2)
}

// trim formats v with at most prec decimals and no trailing zeros.
func trim(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// ratio is a/b, or +Inf when b is 0 and a is not (and 1 when both are).
func ratio(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return a / b
}
