package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/loadcheck/loadcheck/internal/gate"
)

// FormatPrometheus is the Prometheus text exposition format, for a
// Pushgateway or node_exporter's textfile collector.
const FormatPrometheus = "prometheus"

// promName is how one gate metric appears in Prometheus: its family name
// after "loadcheck_", ending in the unit of the metric's gate.Kind, and
// the quantile label it carries, if any.
type promName struct {
	family   string
	quantile string
	help     string
}

// promEndpoint marks the entries for one endpoint's statistics: the key
// "http.*.p95" names every http.<endpoint>.p95.
const promEndpoint = "http.*."

// promNames is the one table of Prometheus names: every gate metric, and
// every statistic of an endpoint, maps to a family. Values come from
// Result.Metric, so a metric the gates know is exported the same way it is
// gated; TestPromNamesCoverGates keeps the table and gate's names equal.
var promNames = map[string]promName{
	"http.p50":          {"http_latency_seconds", "0.5", "Latency of the successful responses from the intended send time, all endpoints."},
	"http.p90":          {"http_latency_seconds", "0.9", ""},
	"http.p95":          {"http_latency_seconds", "0.95", ""},
	"http.p99":          {"http_latency_seconds", "0.99", ""},
	"http.max":          {"http_latency_max_seconds", "", "Largest latency of a successful response from the intended send time, all endpoints."},
	"http.rate":         {"http_achieved_requests_per_second", "", "Successful responses completed within the measured phase per second, all endpoints."},
	"http.errors":       {"http_errors_ratio", "", "Share of requests that failed, all endpoints."},
	"http.late":         {"http_late_ratio", "", "Share of requests loadcheck sent more than 10ms after their intended time."},
	"http.unsent":       {"http_unsent_ratio", "", "Share of scheduled requests loadcheck never sent: every worker was busy."},
	"http.inflight.max": {"http_inflight_max", "", "Most requests in flight at once."},
	"ws.loss":           {"ws_loss_ratio", "", "Share of expected broadcast deliveries that never arrived."},
	"ws.dup":            {"ws_duplicate_ratio", "", "Share of broadcast deliveries that arrived twice."},
	"ws.delivery.p95":   {"ws_delivery_seconds", "0.95", "Time from broadcast to delivery on a board."},
	"ws.connected":      {"ws_connected_boards", "", "WebSocket boards connected at the end of the run."},
	"sse.gap.max":       {"sse_gap_max_seconds", "", "Largest gap between two events of one SSE client."},
	"sse.connected":     {"sse_connected_clients", "", "SSE clients connected at the end of the run."},
	"cpu.sustained":     {"cpu_sustained_ratio", "", "Busiest process's highest CPU over the sustained window, in cores (1 = one core busy)."},
	"cpu.total":         {"cpu_total_ratio", "", "Mean CPU of all the target's processes, in cores (1 = one core busy)."},
	"rss.total":         {"rss_total_bytes", "", "Sum of the target's processes' peak resident memory."},
	"rss.max_process":   {"rss_max_process_bytes", "", "Largest peak resident memory of one process."},
	"target.ready_time": {"target_ready_seconds", "", "Time from starting the target to its first ready answer."},

	promEndpoint + "p50":    {"http_endpoint_latency_seconds", "0.5", "Latency from the intended send time, per endpoint."},
	promEndpoint + "p90":    {"http_endpoint_latency_seconds", "0.9", ""},
	promEndpoint + "p95":    {"http_endpoint_latency_seconds", "0.95", ""},
	promEndpoint + "p99":    {"http_endpoint_latency_seconds", "0.99", ""},
	promEndpoint + "max":    {"http_endpoint_latency_max_seconds", "", "Largest latency from the intended send time, per endpoint."},
	promEndpoint + "rate":   {"http_endpoint_achieved_requests_per_second", "", "Successful responses completed within the measured phase per second, per endpoint."},
	promEndpoint + "errors": {"http_endpoint_errors_ratio", "", "Share of requests that failed, per endpoint."},
}

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

// WritePrometheus writes doc in the Prometheus text exposition format: the
// gate metrics of each run with scenario, target, endpoint and quantile
// labels, each gate as loadcheck_gate_pass 0/1, and for capacity searches
// and nights their capacity and regressions. No sample carries a
// timestamp, as node_exporter's textfile collector requires.
func WritePrometheus(w io.Writer, doc Document) error {
	e := &promExport{families: map[string]*dto.MetricFamily{}}
	switch d := doc.(type) {
	case *Result:
		e.result(d, d.Target.Name)
	case *Comparison:
		e.comparison(d)
	case *Saturation:
		e.saturation(d, d.Target.Name)
	case *Nightly:
		e.nightly(d)
	default:
		return fmt.Errorf("prometheus: unknown document %T", doc)
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
func (e *promExport) result(r *Result, target string) {
	sc := r.Scenario.Name
	e.metric(r, sc, target)
	for _, o := range r.Gates {
		e.add("gate_pass", "1 when the gate held, 0 when it failed or was not measured.", dto.MetricType_GAUGE,
			bit(o.Pass), "scenario", sc, "target", target, "gate", o.Gate)
	}
	e.add("run_pass", "1 when every gate of the run held.", dto.MetricType_GAUGE, bit(r.Pass), "scenario", sc, "target", target)
	e.add("run_complete", "1 when the run measured its whole duration, 0 when it was cut short.", dto.MetricType_GAUGE,
		bit(r.Status == Complete), "scenario", sc, "target", target)
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

// metric exports every gate metric r measured, named by promNames.
func (e *promExport) metric(r *Result, sc, target string) {
	for _, name := range gate.Names() {
		e.gateMetric(r, name, promNames[name], sc, target, "")
	}
	for _, ep := range r.HTTP.Endpoints {
		for _, stat := range gate.EndpointStats() {
			e.gateMetric(r, "http."+ep.Name+"."+stat, promNames[promEndpoint+stat], sc, target, ep.Name)
		}
	}
}

func (e *promExport) gateMetric(r *Result, metric string, p promName, sc, target, endpoint string) {
	if p.family == "" {
		e.fail(fmt.Errorf("prometheus: no name for metric %q", metric))
		return
	}
	v, ok := r.Metric(metric)
	if !ok {
		return
	}
	help := p.help
	if help == "" {
		// The families with a quantile label take their help from p50.
		for _, q := range promNames {
			if q.family == p.family && q.help != "" {
				help = q.help
			}
		}
	}
	e.add(p.family, help, dto.MetricType_GAUGE, promScale(v),
		"scenario", sc, "target", target, "endpoint", endpoint, "quantile", p.quantile)
}

func (e *promExport) comparison(c *Comparison) {
	labels := c.Labels()
	for i, r := range c.Results {
		e.result(r, labels[i])
	}
}

// saturation exports a capacity search of the target labelled tg, and the
// gates that failed at the lowest failing rate: what limited the capacity.
func (e *promExport) saturation(s *Saturation, tg string) {
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

// nightly exports the night's comparison, capacities and regressions: the
// figures dashboards trend night over night.
func (e *promExport) nightly(n *Nightly) {
	sc := ""
	if n.Comparison != nil {
		e.comparison(n.Comparison)
		labels := n.Comparison.Labels()
		for i, r := range n.Comparison.Results {
			sc = r.Scenario.Name
			count := 0
			for _, g := range n.Regressions {
				if g.Target == r.Target.Name {
					count++
				}
			}
			e.add("nightly_regressions", "Figures that regressed against the median of earlier nights.", dto.MetricType_GAUGE,
				float64(count), "scenario", sc, "target", labels[i])
		}
	}
	seen := map[string]int{}
	for _, s := range n.Saturations {
		seen[s.Target.Name]++
	}
	for _, s := range n.Saturations {
		tg := s.Target.Name
		if seen[tg] > 1 {
			tg += " " + s.ID // two searches of one target keep apart
		}
		e.saturation(s, tg)
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
