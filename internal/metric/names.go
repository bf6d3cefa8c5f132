package metric

import "strings"

// The metrics other packages single out by name: the scaling decision,
// the recommendation, the history and the charts. Everything else about
// them (kind, unit, whether a change is in percentage points) is in their
// catalogue entry; TestNames checks that each is one.
const (
	HTTPP95      = "http.p95"
	CPUSustained = "cpu.sustained"
	RSSTotal     = "rss.total"
	WSLoss       = "ws.loss"
	// What the scaling analysis' claims read besides: the most requests in
	// flight at once, and how long the target took to answer ready.
	HTTPInflightMax = "http.inflight.max"
	TargetReadyTime = "target.ready_time"
	// EndpointP95 and DownstreamPerRequest are pattern names: Instance gives the
	// name for one endpoint or downstream.
	EndpointP95          = "http." + Endpoint + ".p95"
	DownstreamPerRequest = downstreamPrefix + "per_request"
)

// The metrics an observer's Figures answer (Metric.Observer), each named
// here once for the catalogue and the observer that reads it.
const (
	WSDup         = "ws.dup"
	WSDeliveryP95 = "ws.delivery.p95"
	WSConnected   = "ws.connected"

	SSEGapMax    = "sse.gap.max"
	SSEConnected = "sse.connected"

	CPUTotal      = "cpu.total"
	RSSMaxProcess = "rss.max_process"

	// The downstream metrics are pattern names, as DownstreamPerRequest.
	DownstreamCalls           = downstreamPrefix + "calls"
	DownstreamRate            = downstreamPrefix + "rate"
	DownstreamConns           = downstreamPrefix + "conns"
	DownstreamConnsMaxProcess = downstreamPrefix + "conns.max_process"
)

// OfACore is the unit of a CPU figure: percent of one core, which is not a
// share of anything, so its changes are relative, not percentage points.
const OfACore = "% of a core"

// Samples is what a figure is counted over.
type Samples int

// What figures are counted over.
const (
	// NoSamples: the figure has no count of its own (rates, memory, CPU).
	NoSamples Samples = iota
	// Successes: a latency percentile, over the successful responses.
	Successes
	// Requests: a share of the requests (errors).
	Requests
	// Deliveries: a share of the expected broadcast deliveries (loss).
	Deliveries
)

// Instance is the name of a pattern metric for one endpoint or downstream:
// Instance(EndpointP95, "zeus-search") is "http.zeus-search.p95".
func Instance(pattern, instance string) string {
	return strings.NewReplacer(Endpoint, instance, Downstream, instance).Replace(pattern)
}

// OfEndpoint is the name of an endpoint's statistic, one of
// EndpointStats: OfEndpoint("zeus-search", "p95") is
// "http.zeus-search.p95".
func OfEndpoint(endpoint, stat string) string {
	return Instance("http."+Endpoint+"."+stat, endpoint)
}

// Find returns the catalogue entry of a metric name, and false for a name
// that is none.
func Find(name string) (Metric, bool) {
	m, _, err := Lookup(name)
	return m, err == nil
}
