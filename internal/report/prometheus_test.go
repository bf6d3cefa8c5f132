package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/result"
)

// scrape renders doc as Prometheus text, parses it back with expfmt as a
// Prometheus server would, and returns each sample as
// `name{label="value",…}` (labels sorted) → value.
func scrape(t *testing.T, doc result.Document) (map[string]float64, map[string]*dto.MetricFamily) {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, doc, FormatPrometheus); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("expfmt cannot parse the output: %v\n%s", err, b.String())
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			if m.TimestampMs != nil {
				t.Errorf("%s carries a timestamp: node_exporter's textfile collector refuses those", name)
			}
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(ls)
			key := name + "{" + strings.Join(ls, ",") + "}"
			if _, dup := out[key]; dup {
				t.Errorf("%s appears twice", key)
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			default:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out, fams
}

// sample builds the key scrape uses, labels given as name, value pairs.
func sample(name string, labels ...string) string {
	var ls []string
	for i := 0; i+1 < len(labels); i += 2 {
		ls = append(ls, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	slices.Sort(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}

// wantGates checks that every gate outcome of r is exported as 0/1 under
// the target label.
func wantGates(t *testing.T, got map[string]float64, r *result.Result, target string) {
	t.Helper()
	if len(r.Gates) == 0 {
		t.Fatal("the fixture has no gates")
	}
	for _, o := range r.Gates {
		k := sample("loadcheck_gate_pass", "scenario", r.Scenario.Name, "target", target, "gate", o.Gate)
		v, ok := got[k]
		if !ok {
			t.Errorf("%s missing", k)
			continue
		}
		if v != bit(o.Pass) {
			t.Errorf("%s = %v, want %v (gate pass %v)", k, v, bit(o.Pass), o.Pass)
		}
	}
	k := sample("loadcheck_run_pass", "scenario", r.Scenario.Name, "target", target)
	if v, ok := got[k]; !ok || v != bit(r.Pass) {
		t.Errorf("%s = %v (present %v), want %v", k, v, ok, bit(r.Pass))
	}
}

func TestPrometheusRun(t *testing.T) {
	r := fixture(t)
	got, fams := scrape(t, r)
	wantGates(t, got, r, "uvicorn, 2 workers")
	if got[sample("loadcheck_gate_pass", "scenario", "prelaunch", "target", "uvicorn, 2 workers", "gate", "ws.loss == 0%")] != 0 {
		t.Errorf("the failing ws.loss gate is not 0")
	}
	lbl := []string{"scenario", "prelaunch", "target", "uvicorn, 2 workers"}
	for k, want := range map[string]float64{
		sample("loadcheck_http_endpoint_latency_seconds", append(lbl, "endpoint", "zeus-search", "quantile", "0.95")...): 1.02,
		sample("loadcheck_http_endpoint_latency_seconds", append(lbl, "endpoint", "homepage", "quantile", "0.5")...):     0.0021,
		sample("loadcheck_http_latency_seconds", append(lbl, "quantile", "0.99")...):                                     1.4,
		sample("loadcheck_http_errors_ratio", lbl...):                                                                    0.001,
		sample("loadcheck_ws_loss_ratio", lbl...):                                                                        0.4972,
		sample("loadcheck_cpu_sustained_ratio", lbl...):                                                                  0.385,
		sample("loadcheck_rss_total_bytes", lbl...):                                                                      160 << 20,
		sample("loadcheck_target_ready_seconds", lbl...):                                                                 1.8,
		sample("loadcheck_http_endpoint_requests_total", append(lbl, "endpoint", "zeus-search")...):                      1200,
		sample("loadcheck_http_requests_total", lbl...):                                                                  3000,
	} {
		v, ok := got[k]
		if !ok {
			t.Errorf("%s missing", k)
		} else if d := v - want; d > 1e-9*want || d < -1e-9*want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	for name, f := range fams {
		if !strings.HasPrefix(name, "loadcheck_") || f.GetHelp() == "" {
			t.Errorf("%s: want the loadcheck_ prefix and a help text, help %q", name, f.GetHelp())
		}
		if strings.HasSuffix(name, "_total") != (f.GetType() == dto.MetricType_COUNTER) {
			t.Errorf("%s is a %v: only counters end in _total", name, f.GetType())
		}
	}
	var b bytes.Buffer
	if err := Render(&b, r, FormatPrometheus); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "run.prom", b.Bytes())
}

func TestPrometheusCompare(t *testing.T) {
	c := comparison(t)
	got, _ := scrape(t, c)
	for i, r := range c.Results {
		wantGates(t, got, r, comparisonLabels(c)[i])
	}
	// The 1-worker target fails on CPU, the 2-worker one on loss.
	for k, want := range map[string]float64{
		sample("loadcheck_gate_pass", "scenario", "prelaunch", "target", "uvicorn, 1 worker", "gate", "cpu.sustained < 60%"):  0,
		sample("loadcheck_gate_pass", "scenario", "prelaunch", "target", "uvicorn, 1 worker", "gate", "ws.loss == 0%"):        1,
		sample("loadcheck_gate_pass", "scenario", "prelaunch", "target", "uvicorn, 2 workers", "gate", "cpu.sustained < 60%"): 1,
		sample("loadcheck_gate_pass", "scenario", "prelaunch", "target", "uvicorn, 2 workers", "gate", "ws.loss == 0%"):       0,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
	// Two runs of one target keep apart by their labels.
	a, b := fixture(t), fixture(t)
	b.RunID = "20261124T100000Z-ffff0000"
	if err := Render(&bytes.Buffer{}, result.NewComparison([]*result.Result{a, b}), FormatPrometheus); err != nil {
		t.Errorf("two runs of one target: %v", err)
	}
}

func TestPrometheusNightly(t *testing.T) {
	n := nightly(t)
	if len(n.Regressions) == 0 {
		t.Fatal("the fixture has no regression")
	}
	got, _ := scrape(t, n)
	labels := comparisonLabels(n.Comparison)
	regressions := 0.0
	for i, r := range n.Comparison.Results {
		wantGates(t, got, r, labels[i])
		regressions += got[sample("loadcheck_nightly_regressions", "scenario", "prelaunch", "target", labels[i])]
	}
	if regressions != float64(len(n.Regressions)) {
		t.Errorf("loadcheck_nightly_regressions sum to %v, want %d", regressions, len(n.Regressions))
	}
	for k, want := range map[string]float64{
		sample("loadcheck_capacity_requests_per_second", "scenario", "prelaunch", "target", "uvicorn, 1 worker"):                             32.5,
		sample("loadcheck_capacity_headroom_ratio", "scenario", "prelaunch", "target", "uvicorn, 1 worker"):                                  32.5 / (40.0 / 60),
		sample("loadcheck_nightly_pass", "scenario", "prelaunch"):                                                                            0,
		sample("loadcheck_capacity_limited_by", "scenario", "prelaunch", "target", "uvicorn, 1 worker", "gate", "http.zeus-search.p95 < 2s"): 1,
	} {
		if v, ok := got[k]; !ok || v-want > 1e-9 || want-v > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, want)
		}
	}
}

// TestPrometheusSaturate checks that only the gate that failed at the
// lowest failing rate is named as the limit, and that two searches of one
// target in a night keep apart.
func TestPrometheusSaturate(t *testing.T) {
	got, _ := scrape(t, saturation(t))
	if _, ok := got[sample("loadcheck_capacity_limited_by", "scenario", "prelaunch", "target", "uvicorn, 1 worker", "gate", "cpu.sustained < 60%")]; ok {
		t.Errorf("cpu.sustained held at 35 req/s but is named as a limit")
	}
	n := nightly(t)
	again := saturation(t)
	again.ID = "20261123T120000Z-6b6b6b6b"
	n.Saturations = append(n.Saturations, again)
	if err := Render(&bytes.Buffer{}, n, FormatPrometheus); err != nil {
		t.Errorf("two searches of one target: %v", err)
	}
}

// bit is a pass as the scrape should hold it: 1 for true, 0 for false.
func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
