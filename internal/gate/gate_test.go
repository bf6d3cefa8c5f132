package gate

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Gate
		wantErr string
	}{
		{in: "http.zeus-search.p95 < 2s", want: Gate{Text: "http.zeus-search.p95 < 2s", Metric: "http.zeus-search.p95", Op: LT, Threshold: Value{V: 2, Kind: Duration}}},
		{in: "http.p99 <= 250ms", want: Gate{Text: "http.p99 <= 250ms", Metric: "http.p99", Op: LE, Threshold: Value{V: 0.25, Kind: Duration}}},
		{in: "ws.loss == 0%", want: Gate{Text: "ws.loss == 0%", Metric: "ws.loss", Op: EQ, Threshold: Value{V: 0, Kind: Percent}}},
		{in: "http.search.rate >= 40/min", want: Gate{Text: "http.search.rate >= 40/min", Metric: "http.search.rate", Op: GE, Threshold: Value{V: 40.0 / 60, Kind: Rate}}},
		{in: "rss.total < 300MB", want: Gate{Text: "rss.total < 300MB", Metric: "rss.total", Op: LT, Threshold: Value{V: 300e6, Kind: Bytes}}},
		{in: "ws.connected > 5", want: Gate{Text: "ws.connected > 5", Metric: "ws.connected", Op: GT, Threshold: Value{V: 5, Kind: Count}}},
		{in: "http.p95 < 2", wantErr: `threshold "2": want a duration such as 2s or 250ms`},
		{in: "http.errors < 1", wantErr: `threshold "1": want a percentage such as 1%`},
		{in: "http.p95 = 2s", wantErr: `did you mean ==?`},
		{in: "http.p95 ~ 2s", wantErr: `operator "~"`},
		{in: "cpu.busy < 60%", wantErr: `unknown metric "cpu.busy"`},
		{in: "http.p95<2s", wantErr: "want METRIC OP THRESHOLD"},
		{in: "ws.loss == 120%", wantErr: "want a percentage"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in, kinds)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrSyntax) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got.Text != tc.want.Text || got.Metric != tc.want.Metric || got.Op != tc.want.Op ||
				got.Threshold.Kind != tc.want.Threshold.Kind || abs(got.Threshold.V-tc.want.Threshold.V) > 1e-9 {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// kinds stands in for the catalogue of metrics (package metric), which
// gate does not know.
func kinds(metric string) (Kind, error) {
	k, ok := map[string]Kind{
		"http.zeus-search.p95": Duration, "http.p99": Duration, "http.p95": Duration,
		"http.search.rate": Rate, "http.x.rate": Rate, "http.errors": Percent,
		"ws.loss": Percent, "ws.connected": Count, "rss.total": Bytes,
		"cpu.sustained": Percent, "sse.gap.max": Duration, "rss.max_process": Bytes,
	}[metric]
	if !ok {
		return 0, fmt.Errorf("unknown metric %q", metric)
	}
	return k, nil
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

type metrics map[string]Value

func (m metrics) Metric(n string) (Value, bool) { v, ok := m[n]; return v, ok }

func TestEval(t *testing.T) {
	t.Parallel()
	m := metrics{
		"http.p95":      {V: 1.5, Kind: Duration},
		"ws.loss":       {V: 49.7, Kind: Percent},
		"cpu.sustained": {V: 12, Kind: Percent},
	}
	tests := []struct {
		gate string
		pass bool
	}{
		{"http.p95 < 2s", true},
		{"http.p95 < 1s", false},
		{"http.p95 <= 1500ms", true},
		{"ws.loss == 0%", false},
		{"ws.loss > 20%", true},
		{"cpu.sustained < 60%", true},
		{"cpu.sustained >= 12%", true},
		{"sse.gap.max < 2s", false}, // not measured never passes
	}
	for _, tc := range tests {
		g, err := Parse(tc.gate, kinds)
		if err != nil {
			t.Fatal(err)
		}
		if o := g.Eval(m); o.Pass != tc.pass {
			t.Errorf("%s: pass = %v, want %v (%+v)", tc.gate, o.Pass, tc.pass, o)
		}
	}
	g, _ := Parse("sse.gap.max < 2s", kinds)
	if o := g.Eval(m); o.Observed != nil || o.Reason != "not measured" {
		t.Errorf("unmeasured metric: %+v, want Reason \"not measured\"", o)
	}
}

func TestValueString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    Value
		want string
	}{
		{Value{V: 2, Kind: Duration}, "2.00s"},
		{Value{V: 0.0123, Kind: Duration}, "12.3ms"},
		{Value{V: 49.71, Kind: Percent}, "49.7%"},
		{Value{V: 300 << 20, Kind: Bytes}, "300.0MiB"},
		{Value{V: 0.6667, Kind: Rate}, "0.7/s"},
		{Value{V: 6, Kind: Count}, "6"},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// A bytes threshold prints in the unit its author wrote: 300MB is 10⁶-byte
// megabytes and must not come back as 286.1MiB.
func TestThresholdPrintsAsWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		gate  string
		bytes float64
		want  string
	}{
		{"rss.total < 300MB", 300e6, "300MB"},
		{"rss.total < 300MiB", 300 << 20, "300MiB"},
		{"rss.max_process <= 1.5GiB", 1.5 * (1 << 30), "1.5GiB"},
		{"rss.total < 0.1GB", 1e8, "0.1GB"},
		{"rss.total < 512B", 512, "512B"},
	}
	for _, tc := range tests {
		g, err := Parse(tc.gate, kinds)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.gate, err)
		}
		if g.Threshold.V != tc.bytes {
			t.Errorf("Parse(%q) threshold = %v bytes, want %v", tc.gate, g.Threshold.V, tc.bytes)
		}
		if got := g.Threshold.String(); got != tc.want {
			t.Errorf("Parse(%q) threshold prints %q, want %q", tc.gate, got, tc.want)
		}
	}
}
