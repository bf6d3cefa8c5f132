package gate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// Kind is the dimension of a metric or threshold. A threshold must have the
// kind of the metric it is compared with: "http.p95 < 5%" is an error.
type Kind int

// The kinds of metric values.
const (
	Duration Kind = iota + 1 // time; Value.V in seconds
	Percent                  // a share; Value.V in percent (0–100)
	Count                    // a plain number
	Bytes                    // memory; Value.V in bytes
	Rate                     // events per second; Value.V in 1/s
)

func (k Kind) String() string {
	switch k {
	case Duration:
		return "duration"
	case Percent:
		return "percentage"
	case Count:
		return "count"
	case Bytes:
		return "bytes"
	case Rate:
		return "rate"
	}
	return "unknown"
}

// example is a threshold of the kind, for error messages.
func (k Kind) example() string {
	switch k {
	case Duration:
		return "2s or 250ms"
	case Percent:
		return "1%"
	case Count:
		return "6"
	case Bytes:
		return "300MB"
	case Rate:
		return "20/s"
	}
	return ""
}

// Value is a measured or threshold value in the base unit of its kind.
type Value struct {
	V    float64 `json:"value"`
	Kind Kind    `json:"kind"`
	// AtLeast marks a measured value clipped at the ceiling of what was
	// measurable (a latency above the histogram's range): the truth is
	// higher. It prints as "> 60.00s".
	AtLeast bool `json:"at_least,omitempty"`
	// Unit is the unit a Bytes threshold was written in ("MB", "MiB"), so
	// it prints as its author wrote it; "" for a measured value.
	Unit string `json:"unit,omitempty"`
}

// String formats v in a unit a person reads at a glance; a threshold in
// bytes in the unit it was written in.
func (v Value) String() string {
	if v.AtLeast {
		w := v
		w.AtLeast = false
		return "> " + w.String()
	}
	switch v.Kind {
	case Duration:
		return unit.FormatSeconds(v.V)
	case Percent:
		return unit.FormatPercent(v.V)
	case Bytes:
		return unit.Bytes{N: v.V, Unit: v.Unit}.String()
	case Rate:
		return unit.FormatMeasuredRate(v.V)
	}
	return strconv.FormatFloat(v.V, 'f', -1, 64)
}

// Op is a comparison operator.
type Op string

// The operators a gate can use.
const (
	LT Op = "<"
	LE Op = "<="
	GT Op = ">"
	GE Op = ">="
	EQ Op = "=="
)

func (o Op) holds(a, b float64) bool {
	switch o {
	case LT:
		return a < b
	case LE:
		return a <= b
	case GT:
		return a > b
	case GE:
		return a >= b
	case EQ:
		// Thresholds are written with a handful of digits; compare at that
		// precision so "ws.loss == 0%" holds for 0.0000001 % of float noise.
		return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
	}
	return false
}

// Gate is a parsed gate expression. The zero value is not useful; use Parse.
type Gate struct {
	Text      string // the text as written, shown in reports
	Metric    string // e.g. "http.zeus-search.p95"
	Op        Op
	Threshold Value
}

func (g Gate) String() string { return g.Text }

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("bad gate")

// KindFunc returns the kind of a metric name, or an error naming the
// metrics that exist. The catalogue of metrics (package metric) provides
// it: gate knows no metric names, so it depends on no package that does.
type KindFunc func(metric string) (Kind, error)

// Parse parses "METRIC OP THRESHOLD". It checks the syntax and the units of
// the threshold, and that the metric's kind, as kindOf says, matches the
// threshold's; whether the scenario measures the metric is the scenario's
// check.
func Parse(s string, kindOf KindFunc) (Gate, error) {
	text := strings.TrimSpace(s)
	fields := strings.Fields(text)
	if len(fields) != 3 {
		return Gate{}, fmt.Errorf("%q: want METRIC OP THRESHOLD, e.g. \"http.p95 < 2s\": %w", s, ErrSyntax)
	}
	g := Gate{Text: text, Metric: fields[0], Op: Op(fields[1])}
	switch g.Op {
	case LT, LE, GT, GE, EQ:
	default:
		hint := ""
		if g.Op == "=" {
			hint = " (did you mean ==?)"
		}
		return Gate{}, fmt.Errorf("%q: operator %q: want one of < <= > >= ==%s: %w", s, fields[1], hint, ErrSyntax)
	}
	kind, err := kindOf(g.Metric)
	if err != nil {
		return Gate{}, fmt.Errorf("%q: %v: %w", s, err, ErrSyntax)
	}
	v, err := ParseValue(fields[2], kind)
	if err != nil {
		return Gate{}, fmt.Errorf("%q: %v: %w", s, err, ErrSyntax)
	}
	g.Threshold = v
	return g, nil
}

// ParseValue parses a threshold of the given kind: durations as Go
// durations ("2s", "250ms"), percentages with "%", rates as "20/s" or
// "40/min", bytes with a unit ("300MB", "1.5GiB"), counts as plain numbers.
func ParseValue(s string, kind Kind) (Value, error) {
	v, err := parseValue(s, kind)
	if err == nil && (math.IsNaN(v.V) || math.IsInf(v.V, 0) || v.V < 0) {
		// A NaN threshold makes every comparison false, a negative one
		// cannot be measured: either way the gate says nothing.
		return Value{}, fmt.Errorf("threshold %q: want a finite %s of 0 or more, such as %s", s, kind, kind.example())
	}
	return v, err
}

func parseValue(s string, kind Kind) (Value, error) {
	bad := func() (Value, error) {
		return Value{}, fmt.Errorf("threshold %q: want a %s such as %s", s, kind, kind.example())
	}
	switch kind {
	case Duration:
		d, err := unit.ParseDuration(s)
		if err != nil {
			return bad()
		}
		return Value{V: d.Seconds(), Kind: Duration}, nil
	case Percent:
		f, err := unit.ParsePercent(s)
		if err != nil || f < 0 || f > 100 {
			return bad()
		}
		return Value{V: f, Kind: Percent}, nil
	case Rate:
		r, err := unit.ParseRate(s)
		if err != nil || r.Freq < 0 {
			return bad()
		}
		return Value{V: r.PerSecond(), Kind: Rate}, nil
	case Bytes:
		b, err := unit.ParseBytes(s)
		if err != nil {
			return bad()
		}
		return Value{V: b.N, Kind: Bytes, Unit: b.Unit}, nil
	case Count:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad()
		}
		return Value{V: f, Kind: Count}, nil
	}
	return bad()
}

// Metrics is what a gate is evaluated against: metric.Of gives it for a
// result or a live snapshot of a run.
type Metrics interface {
	// Metric returns the measured value and whether it was measured.
	Metric(name string) (Value, bool)
}

// Outcome is the evaluation of one gate against one run.
type Outcome struct {
	Gate     string `json:"gate"`
	Metric   string `json:"metric"`
	Op       Op     `json:"op"`
	Limit    Value  `json:"threshold"`
	Observed *Value `json:"observed,omitempty"` // nil when not measured
	Pass     bool   `json:"pass"`
	Reason   string `json:"reason,omitempty"` // why a gate failed without a value
}

// Eval evaluates g against m. A metric with no data fails: a gate that
// cannot be checked never passes silently.
func (g Gate) Eval(m Metrics) Outcome {
	o := Outcome{Gate: g.Text, Metric: g.Metric, Op: g.Op, Limit: g.Threshold}
	v, ok := m.Metric(g.Metric)
	if !ok {
		o.Reason = "not measured"
		return o
	}
	o.Observed = &v
	o.Pass = g.Op.holds(v.V, g.Threshold.V)
	return o
}

// EvalAll evaluates every gate; pass reports whether all held.
func EvalAll(gates []Gate, m Metrics) (out []Outcome, pass bool) {
	pass = true
	for _, g := range gates {
		o := g.Eval(m)
		pass = pass && o.Pass
		out = append(out, o)
	}
	return out, pass
}
