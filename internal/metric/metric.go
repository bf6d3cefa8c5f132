package metric

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/record"
)

// LatencyCovers is what every latency figure covers, said once: the run
// and comparison reports, the capacity search, the HTML page and the
// Prometheus help texts all print this sentence, so none can say that
// errors are included when they are not.
const LatencyCovers = "latency of the successful responses (2xx/3xx) only, from the intended send time (corrected for coordinated omission); failed requests are counted apart"

// Run is a run as its metrics read it: a finished run's result, or a
// snapshot of a run under way. Each method returns what the run measured
// so far; a false ok means the part was not measured at all.
type Run interface {
	// HTTPFigures returns the HTTP figures of the measured phase.
	HTTPFigures() *record.Summary
	// ScheduleFigures returns the requests due in the measured phase and
	// the share of them never sent, in percent; scheduled is 0 when the
	// source does not know the schedule.
	ScheduleFigures() (scheduled uint64, unsentPercent float64)
	// ReadyFigures returns the time the target took to become ready, and
	// whether loadcheck started it (else there is no such time).
	ReadyFigures() (ready time.Duration, started bool)
	// Observed returns what the observer of a kind (Metric.Observer, e.g.
	// "websocket") measured, or nil when the run had no such observer or
	// it has nothing to show yet.
	Observed(kind string) Figures
}

// Figures are what one observer of a run measured, as its metrics read
// them: its summary at the end of a run, or its figures so far while the
// load runs. The observer's package knows its figures; the catalogue says
// which metrics exist, their kind, unit and Prometheus name, and a test in
// package report holds every observer metric to a reader.
type Figures interface {
	// Figure returns the value of the catalogue metric named name (as the
	// catalogue writes it, e.g. "ws.loss") and whether it was measured.
	// instance is what a pattern metric's name names, "" for others.
	Figure(name, instance string) (gate.Value, bool)
}

// The kinds of observer the catalogue's metrics are read from (Metric.Observer):
// the keys of their summaries in a result.
const (
	ObservedWebSocket   = "websocket"
	ObservedSSE         = "sse"
	ObservedResources   = "resources"
	ObservedDownstreams = "downstreams"
)

// Instances is implemented by the Figures of an observer whose metrics
// are per instance, such as a downstream's: the names it measured, in
// order, for the reports that list every instance's metrics.
type Instances interface {
	Instances() []string
}

// Needs is the scenario section a metric needs: a scenario without it
// cannot gate on the metric.
type Needs string

// The sections a metric can need.
const (
	NeedsHTTP      Needs = "http"      // an http section with endpoints
	NeedsWebSocket Needs = "websocket" // a websocket section
	NeedsSSE       Needs = "sse"       // an sse section
	// NeedsTarget marks figures of the target itself (CPU, memory,
	// start-up): measured whatever the scenario holds, when the target
	// file lets them be.
	NeedsTarget Needs = "target"
	// NeedsDownstream: the target file must declare the downstream the
	// metric names (see Downstream).
	NeedsDownstream Needs = "downstream"
)

// Prom is how a metric appears in Prometheus: its family after
// "loadcheck_", ending in the unit of its kind, the quantile label it
// carries, if any, and the family's help (given once per family).
type Prom struct {
	Family, Quantile, Help string
}

// Compare says when a comparison shows a metric as a row.
type Compare int

// The ways a comparison shows a metric.
const (
	NotCompared Compare = iota
	// Compared: a row when some result measured the metric.
	Compared
	// ComparedTotal: a row when some result measured it and the results
	// have more than one endpoint; with one, the endpoint's row says it.
	ComparedTotal
	// ComparedNonZero: a row when some result measured it above zero.
	ComparedNonZero
)

// Metric is one entry of the catalogue.
type Metric struct {
	// Name is the metric's name; Endpoint in it stands for any endpoint's
	// name: "http.<endpoint>.p95".
	Name string
	Kind gate.Kind
	// Unit is the unit reports show the metric in, e.g. in a comparison's
	// row label ("ms", "/s", "%", "MiB"); "" for a plain count.
	Unit  string
	Needs Needs
	// Read reads the metric from s; endpoint is the endpoint a per-endpoint
	// name named, "" otherwise. Nil for a metric of an observer.
	Read func(s Run, endpoint string) (gate.Value, bool)
	// Observer is the kind of observer whose Figures answer the metric
	// (ObservedWebSocket …), "" for the metrics Read reads.
	Observer string
	Prom     Prom
	Compare  Compare
	// DeltaPP: a comparison gives changes in percentage points rather than
	// relative ones (shares such as errors and loss).
	DeltaPP bool
	// EndOnly: the figure is known only when the run ends (broadcast
	// accounting waits for the grace period; the schedule's count is
	// settled at the end), so an abort condition cannot read it.
	EndOnly bool
	// Scaling: a gate on the metric is one the scaling decision reads
	// (stay at one worker while it holds, scale past it).
	Scaling bool
	// Samples is what the figure is counted over, so that a comparison
	// knows when too few stand behind it.
	Samples Samples
}

// Endpoint stands for an endpoint's name in a per-endpoint metric's Name.
const Endpoint = "<endpoint>"

// Downstream stands for a downstream's name (a target file's
// downstreams[].name) in a per-downstream metric's Name:
// "downstream.<downstream>.rate".
const Downstream = "<downstream>"

// downstreamPrefix starts every per-downstream metric's name.
const downstreamPrefix = "downstream." + Downstream + "."

// PerEndpoint reports whether m is one of an endpoint's statistics.
func (m Metric) PerEndpoint() bool { return strings.Contains(m.Name, Endpoint) }

// PerDownstream reports whether m is one of a downstream's figures.
func (m Metric) PerDownstream() bool { return strings.HasPrefix(m.Name, downstreamPrefix) }

// For returns m's name for the endpoint or downstream named instance
// ("http.search.p95", "downstream.postgres.rate"); the name itself for a
// metric that names neither.
func (m Metric) For(instance string) string {
	return strings.Replace(strings.Replace(m.Name, Endpoint, instance, 1), Downstream, instance, 1)
}

// Stat returns the last part of the name: "p95" for "http.<endpoint>.p95".
func (m Metric) Stat() string { return m.Name[strings.LastIndexByte(m.Name, '.')+1:] }

// All returns the catalogue in its order: all endpoints, per endpoint,
// websocket, SSE, CPU, memory, start-up. The caller must not change it.
func All() []Metric { return catalogue }

// Names lists the metric names that do not name an endpoint, sorted, a
// downstream's with <downstream> in them; with http.<endpoint>.<stat> for
// each of EndpointStats they are every metric.
func Names() []string {
	var n []string
	for _, m := range catalogue {
		if !m.PerEndpoint() {
			n = append(n, m.Name)
		}
	}
	slices.Sort(n)
	return n
}

// EndpointStats lists the statistics of one endpoint, sorted: the last
// part of http.<endpoint>.<stat>.
func EndpointStats() []string {
	var n []string
	for _, m := range catalogue {
		if m.PerEndpoint() {
			n = append(n, m.Stat())
		}
	}
	slices.Sort(n)
	return n
}

// Lookup returns the catalogue entry of a metric name and the endpoint or
// downstream the name names ("" for none), or an error naming the metrics
// that exist.
func Lookup(name string) (Metric, string, error) {
	for _, m := range catalogue {
		if m.Name == name && !m.PerEndpoint() && !m.PerDownstream() {
			return m, "", nil
		}
	}
	if rest, ok := strings.CutPrefix(name, "downstream."); ok {
		return lookupDownstream(name, rest)
	}
	if rest, ok := strings.CutPrefix(name, "http."); ok {
		if i := strings.LastIndexByte(rest, '.'); i > 0 {
			for _, m := range catalogue {
				if m.PerEndpoint() && m.Stat() == rest[i+1:] {
					return m, rest[:i], nil
				}
			}
			return Metric{}, "", fmt.Errorf("metric %q: unknown statistic %q: want %s", name, rest[i+1:], orList(endpointStatsInOrder()))
		}
	}
	return Metric{}, "", fmt.Errorf("unknown metric %q: want http.%s.p95 or one of %s", name, Endpoint, strings.Join(Names(), ", "))
}

// lookupDownstream finds a per-downstream metric: rest is the name after
// "downstream.", the downstream's name (which has no dot) then the figure.
func lookupDownstream(name, rest string) (Metric, string, error) {
	ds, stat, ok := strings.Cut(rest, ".")
	var stats []string
	for _, m := range catalogue {
		if m.PerDownstream() {
			if ok && ds != "" && m.Name == downstreamPrefix+stat {
				return m, ds, nil
			}
			stats = append(stats, strings.TrimPrefix(m.Name, downstreamPrefix))
		}
	}
	if !ok || ds == "" {
		return Metric{}, "", fmt.Errorf("metric %q: want downstream.NAME.%s, NAME a downstream of the target file", name, stats[0])
	}
	return Metric{}, "", fmt.Errorf("metric %q: unknown downstream figure %q: want %s", name, stat, orList(stats))
}

// endpointStatsInOrder lists the statistics of one endpoint in the
// catalogue's order (p50 … errors), as people read them.
func endpointStatsInOrder() []string {
	var n []string
	for _, m := range catalogue {
		if m.PerEndpoint() {
			n = append(n, m.Stat())
		}
	}
	return n
}

// orList joins "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// KindOf returns the kind of a metric name; gate.Parse takes it to check
// a threshold's unit.
func KindOf(name string) (gate.Kind, error) {
	m, _, err := Lookup(name)
	return m.Kind, err
}

// EndpointOf returns the endpoint a metric names ("zeus-search" for
// "http.zeus-search.p95"), or "" for a metric that names none.
func EndpointOf(name string) string {
	m, ep, _ := Lookup(name)
	if !m.PerEndpoint() {
		return ""
	}
	return ep
}

// DownstreamOf returns the downstream a metric names ("postgres" for
// "downstream.postgres.rate"), or "" for a metric that names none.
func DownstreamOf(name string) string {
	m, ds, _ := Lookup(name)
	if !m.PerDownstream() {
		return ""
	}
	return ds
}

// InstancesOf returns the instances (downstream names) the observer of
// kind measured in s, in order; none when it has no such figures.
func InstancesOf(s Run, kind string) []string {
	if in, ok := s.Observed(kind).(Instances); ok {
		return in.Instances()
	}
	return nil
}

// ParseGate parses a gate expression on a metric of the catalogue.
func ParseGate(s string) (gate.Gate, error) { return gate.Parse(s, KindOf) }

// Read returns the value of the metric name in s, and whether it was
// measured; an unknown name was not.
func Read(s Run, name string) (gate.Value, bool) {
	m, ep, err := Lookup(name)
	if err != nil {
		return gate.Value{}, false
	}
	return m.read(s, ep)
}

// read reads m from s: by its reader, or from its observer's figures.
func (m Metric) read(s Run, instance string) (gate.Value, bool) {
	if m.Observer == "" {
		return m.Read(s, instance)
	}
	f := s.Observed(m.Observer)
	if f == nil {
		return gate.Value{}, false
	}
	v, ok := f.Figure(m.Name, instance)
	if ok && v.Kind != m.Kind {
		// An observer answering in another kind would be compared
		// against a threshold in the wrong unit.
		return gate.Value{}, false
	}
	return v, ok
}

// Of returns s as the gate.Metrics the gates are evaluated against.
func Of(s Run) gate.Metrics { return gateMetrics{s} }

type gateMetrics struct{ s Run }

func (s gateMetrics) Metric(name string) (gate.Value, bool) { return Read(s.s, name) }
