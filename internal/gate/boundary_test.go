package gate

import (
	"math"
	"testing"
)

// TestOpsAtTheThreshold evaluates every operator with the observed value
// just below, exactly at and just above its threshold. A user writes
// "ws.loss < 1%" to mean that 1 % fails: the value equal to the threshold
// decides between < and <=, and between > and >=.
func TestOpsAtTheThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		gate                string
		below, equal, above float64 // observed values
		want                [3]bool // pass below, at, above
	}{
		{"ws.loss < 1%", 0.999, 1, 1.001, [3]bool{true, false, false}},
		{"ws.loss <= 1%", 0.999, 1, 1.001, [3]bool{true, true, false}},
		{"ws.loss > 1%", 0.999, 1, 1.001, [3]bool{false, false, true}},
		{"ws.loss >= 1%", 0.999, 1, 1.001, [3]bool{false, true, true}},
		{"ws.loss == 1%", 0.999, 1, 1.001, [3]bool{false, true, false}},
		{"http.p95 < 2s", 1.999, 2, 2.001, [3]bool{true, false, false}},
		{"http.p95 <= 2s", 1.999, 2, 2.001, [3]bool{true, true, false}},
		{"cpu.sustained < 60%", 59.99, 60, 60.01, [3]bool{true, false, false}},
		{"ws.connected >= 6", 5, 6, 7, [3]bool{false, true, true}},
		{"ws.connected > 6", 5, 6, 7, [3]bool{false, false, true}},
		{"http.x.rate >= 20/s", 19.99, 20, 20.01, [3]bool{false, true, true}},
		{"rss.total <= 300MB", 300e6 - 1, 300e6, 300e6 + 1, [3]bool{true, true, false}},
		// == tolerates float noise, not a real difference.
		// (relative to a threshold above 1, absolute below), up to and
		// including 10⁻⁹ of it.
		{"ws.loss == 0%", -1e-12, 1e-9, 0.01, [3]bool{true, true, false}},
		{"rss.total == 300MB", 300e6 - 1, 300e6 + 0.01, 300e6 + 1, [3]bool{false, true, false}},
	}
	for _, tc := range tests {
		g, err := Parse(tc.gate, kinds)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.gate, err)
		}
		for i, v := range []float64{tc.below, tc.equal, tc.above} {
			o := g.Eval(metrics{g.Metric: {V: v, Kind: g.Threshold.Kind}})
			if o.Pass != tc.want[i] {
				t.Errorf("%s with %v observed: pass = %v, want %v", tc.gate, v, o.Pass, tc.want[i])
			}
			if o.Observed == nil || o.Observed.V != v || o.Limit != g.Threshold || o.Op != g.Op || o.Metric != g.Metric {
				t.Errorf("%s with %v observed: outcome %+v does not carry the value and the gate", tc.gate, v, o)
			}
		}
	}
}

// A threshold that no measurement can be compared with is refused: a
// negative one, NaN or infinity; a percentage above 100 % too, though
// 100 % itself is a threshold.
func TestParseRefusesUnmeasurable(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"http.p95 < -2s", "ws.connected > -1", "ws.connected > NaN", "ws.connected < Inf", "ws.loss < -1%", "ws.loss <= 100.1%", "http.x.rate > -1/s"} {
		if g, err := Parse(s, kinds); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", s, g)
		}
	}
	for _, s := range []string{"ws.loss <= 100%", "ws.loss >= 0%", "http.p95 >= 0s", "ws.connected >= 0", "http.x.rate >= 0/s"} {
		if _, err := Parse(s, kinds); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}

// EvalAll passes only when every gate holds, whatever their order.
func TestEvalAllNeedsEveryGate(t *testing.T) {
	t.Parallel()
	m := metrics{"ws.loss": {V: 1, Kind: Percent}, "http.p95": {V: 1, Kind: Duration}}
	parse := func(s string) Gate {
		g, err := Parse(s, kinds)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	pass, fail := parse("http.p95 < 2s"), parse("ws.loss < 1%")
	for _, tc := range []struct {
		gates []Gate
		want  bool
	}{
		{nil, true},
		{[]Gate{pass}, true},
		{[]Gate{fail}, false},
		{[]Gate{pass, fail}, false},
		{[]Gate{fail, pass}, false},
		{[]Gate{pass, pass}, true},
	} {
		out, ok := EvalAll(tc.gates, m)
		if ok != tc.want || len(out) != len(tc.gates) {
			t.Errorf("EvalAll(%d gates) = %d outcomes, pass %v; want %d, %v", len(tc.gates), len(out), ok, len(tc.gates), tc.want)
		}
		for i := range out {
			if out[i].Gate != tc.gates[i].Text {
				t.Errorf("outcome %d is %q, want %q", i, out[i].Gate, tc.gates[i].Text)
			}
		}
	}
}

// opTruth is what each operator says of an observed value below, at and
// above its threshold: the definition FuzzParse holds every parsed gate to.
var opTruth = map[Op][3]bool{
	LT: {true, false, false},
	LE: {true, true, false},
	GT: {false, false, true},
	GE: {false, true, true},
	EQ: {false, true, false},
}

// checkParsed holds one parsed gate to what a user relies on: written
// back as METRIC OP THRESHOLD (the threshold as reports print it) it
// parses again to the same metric, operator and kind, and a threshold
// within the printed precision; and it evaluates by its operator's
// definition below, at and above the threshold.
func checkParsed(t *testing.T, s string, g Gate) {
	t.Helper()
	th := g.Threshold
	if th.V < 0 || math.IsNaN(th.V) || math.IsInf(th.V, 0) || th.Kind < Duration || th.Kind > Rate {
		t.Fatalf("Parse(%q) threshold = %+v: want a finite value of 0 or more of a known kind", s, th)
	}
	again, err := Parse(g.Metric+" "+string(g.Op)+" "+th.String(), kinds)
	if err != nil {
		t.Fatalf("Parse(%q) = %+v, printed back it fails: %v", s, g, err)
	}
	if again.Metric != g.Metric || again.Op != g.Op || again.Threshold.Kind != th.Kind {
		t.Errorf("Parse(%q) = %+v, parsed again %+v", s, g, again)
	}
	if d := math.Abs(again.Threshold.V - th.V); d > precision(th) {
		t.Errorf("Parse(%q) threshold %v prints as %q, which parses to %v", s, th.V, th.String(), again.Threshold.V)
	}
	eps := math.Max(1e-6, 1e-6*th.V)
	for i, v := range []float64{th.V - eps, th.V, th.V + eps} {
		o := g.Eval(metrics{g.Metric: {V: v, Kind: th.Kind}})
		if want := opTruth[g.Op][i]; o.Pass != want || o.Observed == nil || o.Observed.V != v {
			t.Errorf("Parse(%q) with %v observed (threshold %v): pass = %v, want %v", s, v, th.V, o.Pass, want)
		}
	}
	if o := g.Eval(metrics{}); o.Pass || o.Reason != "not measured" {
		t.Errorf("Parse(%q) unmeasured: %+v, want a failure saying so", s, o)
	}
}

// precision is how far a threshold may move when printed and parsed
// again: the last digit its kind prints.
func precision(v Value) float64 {
	switch v.Kind {
	case Duration:
		switch {
		case v.V >= 1:
			return 0.005 + 1e-9*v.V
		case v.V >= 1e-3:
			return 0.5e-4
		}
		return 0.5e-6 + 1e-9
	case Percent, Rate:
		return 0.05 + 1e-9*v.V
	case Bytes:
		return 1e-9 * math.Max(1, v.V)
	}
	return 0
}

// Saved results hold a value's kind as its number: the numbers of the
// kinds never change, and a clipped measurement prints as a lower bound.
func TestKindNumbersAndClippedValues(t *testing.T) {
	t.Parallel()
	for k, n := range map[Kind]int{Duration: 1, Percent: 2, Count: 3, Bytes: 4, Rate: 5} {
		if int(k) != n {
			t.Errorf("kind %s is %d, want %d as saved results hold it", k, int(k), n)
		}
	}
	if got := (Value{V: 60, Kind: Duration, AtLeast: true}).String(); got != "> 60.00s" {
		t.Errorf("a clipped 60 s prints %q, want \"> 60.00s\"", got)
	}
}
