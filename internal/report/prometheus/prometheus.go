package prometheus

import (
	"fmt"
	"io"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// promScale converts a gate value to the base unit Prometheus wants:
// seconds, bytes, ratios of 1 rather than percent.
func promScale(v gate.Value) float64 {
	if v.Kind == gate.Percent {
		return v.V / 100
	}
	return v.V
}

// promSuffix is the unit suffix a family of the kind must end in.
func promSuffix(k gate.Kind) string {
	switch k {
	case gate.Duration:
		return "_seconds"
	case gate.Percent:
		return "_ratio"
	case gate.Bytes:
		return "_bytes"
	case gate.Rate:
		return "_per_second"
	}
	return ""
}

// Run is a run to export with the label its samples carry as target: its
// target's name, or in a comparison the label of its column.
type Run struct {
	*result.Result
	Label string
}

// Write writes runs, the capacity searches and the night that holds them
// (nil for none) in the Prometheus text exposition format: the gate
// metrics of each run with scenario, target, endpoint and quantile
// labels, each gate as loadcheck_gate_pass 0/1, and for capacity searches
// and nights their capacity and regressions. No sample carries a
// timestamp, as node_exporter's textfile collector requires.
func Write(w io.Writer, runs []Run, searches []*result.Saturation, night *result.Nightly) error {
	e := &promExport{families: map[string]*dto.MetricFamily{}}
	for _, r := range runs {
		e.result(r.Result, r.Label)
	}
	if night != nil {
		e.regressions(night, runs)
	}
	seen := map[string]int{}
	for _, s := range searches {
		seen[s.Target.Name]++
	}
	for _, s := range searches {
		tg := s.Target.Name
		if seen[tg] > 1 {
			tg += " " + s.ID // two searches of one target keep apart
		}
		e.saturation(s, tg)
	}
	if night != nil {
		e.nightPass(night, runs)
	}
	if e.err != nil {
		return e.err
	}
	names := make([]string, 0, len(e.families))
	for n := range e.families {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if _, err := expfmt.MetricFamilyToText(w, e.families[n]); err != nil {
			return err
		}
	}
	return nil
}

// promExport collects metric families, refusing a series written twice.
type promExport struct {
	families map[string]*dto.MetricFamily
	seen     map[string]bool
	err      error
}

// add appends one sample to the family "loadcheck_"+name. Labels are
// name, value pairs; empty values are left out.
func (e *promExport) add(name, help string, typ dto.MetricType, v float64, labels ...string) {
	name = "loadcheck_" + name
	if !model.LegacyValidation.IsValidMetricName(name) {
		e.fail(fmt.Errorf("prometheus: invalid metric name %q", name))
		return
	}
	m := &dto.Metric{}
	key := name
	for i := 0; i+1 < len(labels); i += 2 {
		if labels[i+1] == "" {
			continue
		}
		m.Label = append(m.Label, &dto.LabelPair{Name: &labels[i], Value: &labels[i+1]})
		key += "\x00" + labels[i] + "=" + labels[i+1]
	}
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	if e.seen[key] {
		e.fail(fmt.Errorf("prometheus: %s%v written twice", name, labels))
		return
	}
	e.seen[key] = true
	switch typ {
	case dto.MetricType_COUNTER:
		m.Counter = &dto.Counter{Value: &v}
	default:
		typ = dto.MetricType_GAUGE
		m.Gauge = &dto.Gauge{Value: &v}
	}
	f := e.families[name]
	if f == nil {
		f = &dto.MetricFamily{Name: &name, Type: &typ}
		e.families[name] = f
	}
	if f.Help == nil && help != "" {
		f.Help = &help
	}
	f.Metric = append(f.Metric, m)
}

func (e *promExport) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// result exports one run as the target labelled target.
func (e *promExport) result(r *result.Result, target string) {
	sc := r.Scenario.Name
	e.metric(r, sc, target)
	for _, o := range r.Gates {
		e.add("gate_pass", "1 when the gate held, 0 when it failed or was not measured.", dto.MetricType_GAUGE,
			bit(o.Pass), "scenario", sc, "target", target, "gate", o.Gate)
	}
	e.add("run_pass", "1 when every gate of the run held.", dto.MetricType_GAUGE, bit(r.Pass), "scenario", sc, "target", target)
	e.add("run_complete", "1 when the run measured its whole duration, 0 when it was cut short.", dto.MetricType_GAUGE,
		bit(r.Status == result.Complete), "scenario", sc, "target", target)
	e.add("run_start_timestamp_seconds", "When the measured phase started, in Unix seconds.", dto.MetricType_GAUGE,
		float64(r.Start.UnixNano())/1e9, "scenario", sc, "target", target)
	e.add("run_duration_seconds", "How long the measured phase ran.", dto.MetricType_GAUGE,
		r.Elapsed.Seconds(), "scenario", sc, "target", target)
	e.add("http_requests_total", "Requests completed in the measured phase, all endpoints.", dto.MetricType_COUNTER,
		float64(r.HTTP.Total.Requests), "scenario", sc, "target", target)
	for _, ep := range r.HTTP.Endpoints {
		e.add("http_endpoint_requests_total", "Requests completed in the measured phase, per endpoint.", dto.MetricType_COUNTER,
			float64(ep.Requests), "scenario", sc, "target", target, "endpoint", ep.Name)
	}
}

// metric exports every gate metric r measured, named by the catalogue;
// values come from Result.Metric, so a metric is exported exactly as it
// is gated.
func (e *promExport) metric(r *result.Result, sc, target string) {
	for _, name := range metric.Names() {
		if m, _, _ := metric.Lookup(name); !m.PerDownstream() {
			e.gateMetric(r, name, m.Prom, sc, target, "")
		}
	}
	e.downstreamMetrics(r, sc, target)
	for _, ep := range r.HTTP.Endpoints {
		for _, stat := range metric.EndpointStats() {
			name := metric.OfEndpoint(ep.Name, stat)
			m, _, _ := metric.Lookup(name)
			e.gateMetric(r, name, m.Prom, sc, target, ep.Name)
		}
	}
}

func (e *promExport) gateMetric(r *result.Result, name string, p metric.Prom, sc, target, endpoint string) {
	if p.Family == "" {
		e.fail(fmt.Errorf("prometheus: no name for metric %q", name))
		return
	}
	v, ok := r.Metric(name)
	if !ok {
		return
	}
	help := p.Help
	if help == "" {
		// The families with a quantile label give their help once.
		for _, m := range metric.All() {
			if m.Prom.Family == p.Family && m.Prom.Help != "" {
				help = m.Prom.Help
			}
		}
	}
	e.add(p.Family, help, dto.MetricType_GAUGE, promScale(v),
		"scenario", sc, "target", target, "endpoint", endpoint, "quantile", p.Quantile)
}

// downstreamMetrics exports every downstream metric r measured, with the
// downstream's name as a label.
func (e *promExport) downstreamMetrics(r *result.Result, sc, target string) {
	for _, m := range metric.All() {
		if !m.PerDownstream() {
			continue
		}
		for _, ds := range result.DownstreamNames(r) {
			v, ok := r.Metric(m.For(ds))
			if !ok {
				continue
			}
			e.add(m.Prom.Family, m.Prom.Help, dto.MetricType_GAUGE, promScale(v),
				"scenario", sc, "target", target, "downstream", ds)
		}
	}
}

// saturation exports a capacity search of the target labelled tg, and the
// gates that failed at the lowest failing rate: what limited the capacity.
func (e *promExport) saturation(s *result.Saturation, tg string) {
	sc := s.Scenario.Name
	for _, st := range s.Steps {
		if s.LimitRate == 0 || st.Rate != s.LimitRate {
			continue
		}
		for _, o := range st.Gates {
			if !o.Pass {
				e.add("capacity_limited_by", "1 for each gate that failed at the lowest failing rate of the capacity search.", dto.MetricType_GAUGE,
					1, "scenario", sc, "target", tg, "gate", o.Gate)
			}
		}
		break
	}
	e.add("capacity_requests_per_second", "Highest offered rate at which every gate held; 0 when none did.", dto.MetricType_GAUGE,
		s.Capacity, "scenario", sc, "target", tg)
	e.add("capacity_pass", "1 when a capacity was found and it is at least today's production rate.", dto.MetricType_GAUGE,
		bit(s.Pass), "scenario", sc, "target", tg)
	if s.Production > 0 {
		e.add("production_requests_per_second", "Today's real traffic, from the scenario.", dto.MetricType_GAUGE,
			s.Production, "scenario", sc, "target", tg)
		e.add("capacity_headroom_ratio", "Capacity divided by today's production rate.", dto.MetricType_GAUGE,
			s.Headroom(), "scenario", sc, "target", tg)
	}
}

// regressions exports, per run of the night, how many of its figures
// regressed: the figure dashboards trend night over night.
func (e *promExport) regressions(n *result.Nightly, runs []Run) {
	for _, r := range runs {
		count := 0
		for _, g := range n.Regressions {
			if g.Target == r.Target.Name {
				count++
			}
		}
		e.add("nightly_regressions", "Figures that regressed against the median of earlier nights.", dto.MetricType_GAUGE,
			float64(count), "scenario", r.Scenario.Name, "target", r.Label)
	}
}

// nightPass exports the night's verdict.
func (e *promExport) nightPass(n *result.Nightly, runs []Run) {
	sc := ""
	if len(runs) > 0 {
		sc = runs[len(runs)-1].Scenario.Name
	}
	e.add("nightly_pass", "1 when every gate held, every capacity search passed and nothing regressed.", dto.MetricType_GAUGE,
		bit(n.Pass), "scenario", sc)
}

// TextfileName is the file nightly --textfile writes for the scenario: one
// file per scenario, so nights of different scenarios do not overwrite
// each other, named *.prom as the textfile collector reads.
func TextfileName(scenario string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, scenario)
	if clean == "" {
		clean = "scenario"
	}
	return "loadcheck-" + clean + ".prom"
}
