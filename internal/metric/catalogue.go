package metric

import (
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/record"
)

// catalogue is every gate metric, declared once, in the order reports list
// them. TestCatalogue checks each has a reader, a Prometheus name in the
// unit of its kind, and a place in the README's list.
var catalogue = []Metric{
	{Name: "http.p50", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p50),
		Prom: Prom{"http_latency_seconds", "0.5", "All endpoints' " + LatencyCovers + "."}, Samples: Successes},
	{Name: "http.p90", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p90),
		Prom: Prom{"http_latency_seconds", "0.9", ""}, Samples: Successes},
	{Name: HTTPP95, Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p95),
		Prom: Prom{"http_latency_seconds", "0.95", ""}, Compare: ComparedTotal, Scaling: true, Samples: Successes},
	{Name: "http.p99", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p99),
		Prom: Prom{"http_latency_seconds", "0.99", ""}, Samples: Successes},
	{Name: "http.max", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(pmax),
		Prom: Prom{"http_latency_max_seconds", "", "All endpoints' largest " + LatencyCovers + "."}},
	{Name: "http.rate", Kind: gate.Rate, Unit: "/s", Needs: NeedsHTTP, Read: achieved,
		Prom:    Prom{"http_achieved_requests_per_second", "", "Successful responses completed within the measured phase per second, all endpoints."},
		Compare: ComparedTotal},
	{Name: "http.errors", Kind: gate.Percent, Unit: "%", Needs: NeedsHTTP, Read: errorRate,
		Prom:    Prom{"http_errors_ratio", "", "Share of requests that failed, all endpoints."},
		Compare: ComparedTotal, DeltaPP: true, Samples: Requests},

	{Name: "http.<endpoint>.p50", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p50),
		Prom:    Prom{"http_endpoint_latency_seconds", "0.5", "Per endpoint, " + LatencyCovers + "."},
		Compare: Compared, Samples: Successes},
	{Name: "http.<endpoint>.p90", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p90),
		Prom: Prom{"http_endpoint_latency_seconds", "0.9", ""}, Samples: Successes},
	{Name: EndpointP95, Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p95),
		Prom: Prom{"http_endpoint_latency_seconds", "0.95", ""}, Compare: Compared, Scaling: true, Samples: Successes},
	{Name: "http.<endpoint>.p99", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(p99),
		Prom: Prom{"http_endpoint_latency_seconds", "0.99", ""}, Compare: Compared, Samples: Successes},
	{Name: "http.<endpoint>.max", Kind: gate.Duration, Unit: "ms", Needs: NeedsHTTP, Read: latency(pmax),
		Prom: Prom{"http_endpoint_latency_max_seconds", "", "Per endpoint, largest " + LatencyCovers + "."}},
	{Name: "http.<endpoint>.rate", Kind: gate.Rate, Unit: "/s", Needs: NeedsHTTP, Read: achieved,
		Prom:    Prom{"http_endpoint_achieved_requests_per_second", "", "Successful responses completed within the measured phase per second, per endpoint."},
		Compare: Compared},
	{Name: "http.<endpoint>.errors", Kind: gate.Percent, Unit: "%", Needs: NeedsHTTP, Read: errorRate,
		Prom:    Prom{"http_endpoint_errors_ratio", "", "Share of requests that failed, per endpoint."},
		Compare: Compared, DeltaPP: true, Samples: Requests},

	{Name: "http.late", Kind: gate.Percent, Unit: "%", Needs: NeedsHTTP, Read: late,
		Prom:    Prom{"http_late_ratio", "", "Share of requests loadcheck sent more than 10ms after their intended time."},
		Compare: ComparedNonZero, DeltaPP: true},
	{Name: "http.unsent", Kind: gate.Percent, Unit: "%", Needs: NeedsHTTP, Read: unsent,
		Prom: Prom{"http_unsent_ratio", "", "Share of scheduled requests loadcheck never sent: every worker was busy."}, DeltaPP: true, EndOnly: true},
	{Name: HTTPInflightMax, Kind: gate.Count, Needs: NeedsHTTP, Read: inflightMax,
		Prom: Prom{"http_inflight_max", "", "Most requests in flight at once."}},

	{Name: WSLoss, Kind: gate.Percent, Unit: "%", Needs: NeedsWebSocket, Observer: ObservedWebSocket,
		Prom:    Prom{"ws_loss_ratio", "", "Share of expected broadcast deliveries that never arrived."},
		Compare: Compared, DeltaPP: true, EndOnly: true, Samples: Deliveries},
	{Name: WSDup, Kind: gate.Percent, Unit: "%", Needs: NeedsWebSocket, Observer: ObservedWebSocket,
		Prom: Prom{"ws_duplicate_ratio", "", "Share of broadcast deliveries that arrived twice."}, DeltaPP: true, EndOnly: true},
	{Name: WSDeliveryP95, Kind: gate.Duration, Unit: "ms", Needs: NeedsWebSocket, Observer: ObservedWebSocket,
		Prom:    Prom{"ws_delivery_seconds", "0.95", "Time from broadcast to delivery on a board."},
		Compare: Compared, EndOnly: true, Scaling: true},
	{Name: WSConnected, Kind: gate.Count, Needs: NeedsWebSocket, Observer: ObservedWebSocket,
		Prom: Prom{"ws_connected_boards", "", "WebSocket boards connected at the end of the run."}, EndOnly: true},

	{Name: SSEGapMax, Kind: gate.Duration, Unit: "ms", Needs: NeedsSSE, Observer: ObservedSSE,
		Prom:    Prom{"sse_gap_max_seconds", "", "Largest gap between two events of one SSE client."},
		Compare: Compared, EndOnly: true},
	{Name: SSEConnected, Kind: gate.Count, Needs: NeedsSSE, Observer: ObservedSSE,
		Prom: Prom{"sse_connected_clients", "", "SSE clients connected at the end of the run."}, EndOnly: true},

	{Name: CPUSustained, Kind: gate.Percent, Unit: OfACore, Needs: NeedsTarget, Observer: ObservedResources,
		Prom:    Prom{"cpu_sustained_ratio", "", "Busiest process's highest CPU over the sustained window, in cores (1 = one core busy)."},
		Compare: Compared, Scaling: true},
	{Name: CPUTotal, Kind: gate.Percent, Unit: OfACore, Needs: NeedsTarget, Observer: ObservedResources,
		Prom:    Prom{"cpu_total_ratio", "", "Mean CPU of all the target's processes, in cores (1 = one core busy)."},
		Compare: Compared},
	{Name: RSSTotal, Kind: gate.Bytes, Unit: "MiB", Needs: NeedsTarget, Observer: ObservedResources,
		Prom:    Prom{"rss_total_bytes", "", "Sum of the target's processes' peak resident memory."},
		Compare: Compared},
	{Name: RSSMaxProcess, Kind: gate.Bytes, Unit: "MiB", Needs: NeedsTarget, Observer: ObservedResources,
		Prom: Prom{"rss_max_process_bytes", "", "Largest peak resident memory of one process."}},

	{Name: DownstreamCalls, Kind: gate.Count, Needs: NeedsDownstream, Observer: ObservedDownstreams,
		Prom: Prom{"downstream_calls", "", "Calls a downstream counted in the measured phase (statements, commands, requests)."}},
	{Name: DownstreamRate, Kind: gate.Rate, Unit: "/s", Needs: NeedsDownstream, Observer: ObservedDownstreams,
		Prom:    Prom{"downstream_calls_per_second", "", "Calls a downstream counted per second of the measured phase."},
		Compare: Compared},
	{Name: DownstreamPerRequest, Kind: gate.Count, Unit: "calls/request", Needs: NeedsDownstream, Read: perRequest,
		Prom:    Prom{"downstream_calls_per_request", "", "Calls a downstream counted per successful HTTP response of the measured phase."},
		Compare: Compared},
	{Name: DownstreamConns, Kind: gate.Count, Unit: "connections", Needs: NeedsDownstream, Observer: ObservedDownstreams,
		Prom:    Prom{"downstream_connections_peak", "", "Peak of the TCP connections all the target's processes held to a downstream."},
		Compare: Compared},
	{Name: DownstreamConnsMaxProcess, Kind: gate.Count, Needs: NeedsDownstream, Observer: ObservedDownstreams,
		Prom: Prom{"downstream_connections_max_process", "", "Highest peak of the TCP connections one target process held to a downstream."}},

	{Name: TargetReadyTime, Kind: gate.Duration, Unit: "ms", Needs: NeedsTarget, Read: readyTime,
		Prom:    Prom{"target_ready_seconds", "", "Time from starting the target to its first ready answer."},
		Compare: Compared},
}

func pct(f float64) gate.Value   { return gate.Value{V: f, Kind: gate.Percent} }
func count(n float64) gate.Value { return gate.Value{V: n, Kind: gate.Count} }

// durationValue is v, one of p's figures, as a gate value, marked as a
// lower bound when it was clipped at the histogram's ceiling.
func durationValue(p record.Percentiles, v record.DurationMs) gate.Value {
	return gate.Value{V: v.Duration().Seconds(), Kind: gate.Duration, AtLeast: p.Clipped(v)}
}

// endpoint returns the figures of one endpoint, or of all for "".
func endpoint(s Run, ep string) (record.EndpointSummary, bool) {
	h := s.HTTPFigures()
	if ep == "" {
		return h.Total, true
	}
	return h.Endpoint(ep)
}

func p50(p record.Percentiles) record.DurationMs  { return p.P50 }
func p90(p record.Percentiles) record.DurationMs  { return p.P90 }
func p95(p record.Percentiles) record.DurationMs  { return p.P95 }
func p99(p record.Percentiles) record.DurationMs  { return p.P99 }
func pmax(p record.Percentiles) record.DurationMs { return p.Max }

// latency reads a latency statistic: over successful responses only, not
// measured when there was none.
func latency(stat func(record.Percentiles) record.DurationMs) func(Run, string) (gate.Value, bool) {
	return func(s Run, ep string) (gate.Value, bool) {
		e, ok := endpoint(s, ep)
		if !ok || e.Successes() == 0 {
			return gate.Value{}, false
		}
		return durationValue(e.Latency, stat(e.Latency)), true
	}
}

// counted returns the figures of an endpoint (or all) when a rate or share
// of them means something: some request completed or was due.
func counted(s Run, ep string) (record.EndpointSummary, bool) {
	e, ok := endpoint(s, ep)
	if scheduled, _ := s.ScheduleFigures(); !ok || e.Requests == 0 && scheduled == 0 {
		return e, false
	}
	return e, true
}

// achieved is the achieved rate: successes completed within the measured
// phase, per second.
func achieved(s Run, ep string) (gate.Value, bool) {
	e, ok := counted(s, ep)
	return gate.Value{V: e.Achieved, Kind: gate.Rate}, ok
}

func errorRate(s Run, ep string) (gate.Value, bool) {
	e, ok := counted(s, ep)
	return pct(e.ErrorRate()), ok
}

func late(s Run, _ string) (gate.Value, bool) {
	t := s.HTTPFigures().Total
	return pct(t.LateRate()), t.Requests > 0
}

func unsent(s Run, _ string) (gate.Value, bool) {
	scheduled, unsent := s.ScheduleFigures()
	return pct(unsent), scheduled > 0
}

func inflightMax(s Run, _ string) (gate.Value, bool) {
	return count(float64(s.HTTPFigures().InflightMax)), true
}

func readyTime(s Run, _ string) (gate.Value, bool) {
	d, started := s.ReadyFigures()
	return gate.Value{V: d.Seconds(), Kind: gate.Duration}, started
}

// perRequest is a downstream's calls per successful HTTP response of the
// measured phase: the cost of one request. The calls are those the
// downstream counted between the phase's edges, the responses those of
// the requests due in the phase, however late they completed (a lagging
// service still made their calls); so a service whose lag grows or
// shrinks over the phase shifts the figure by the calls of the requests
// it fell behind or caught up on. Not measured without a response or
// without the downstream's calls.
func perRequest(s Run, ds string) (gate.Value, bool) {
	f := s.Observed(ObservedDownstreams)
	if f == nil {
		return gate.Value{}, false
	}
	calls, ok := f.Figure(DownstreamCalls, ds)
	ok200 := s.HTTPFigures().Total.Successes()
	if !ok || ok200 == 0 {
		return gate.Value{}, false
	}
	return count(calls.V / float64(ok200)), true
}
