package metric

import (
	"testing"

	"github.com/loadcheck/loadcheck/internal/gate"
)

// TestNames checks that every name other packages use is a catalogue
// entry, and that Instance and OfEndpoint name the entries they stand for.
func TestNames(t *testing.T) {
	for _, name := range []string{HTTPP95, CPUSustained, RSSTotal, WSLoss, Instance(EndpointP95, "search"), Instance(DownstreamPerRequest, "db"), OfEndpoint("search", "errors")} {
		if _, ok := Find(name); !ok {
			t.Errorf("%q is not in the catalogue", name)
		}
	}
	if got := Instance(EndpointP95, "zeus-search"); got != "http.zeus-search.p95" {
		t.Errorf("Instance(EndpointP95, zeus-search) = %q", got)
	}
	if got := Instance(DownstreamPerRequest, "postgres"); got != "downstream.postgres.per_request" {
		t.Errorf("Instance(DownstreamPerRequest, postgres) = %q", got)
	}
	if _, ok := Find("http.nope"); ok {
		t.Error("Find(http.nope): found, want not")
	}
}

// TestDeltaPP checks the one rule for percentage points: a share (a
// percentage of requests, deliveries …) changes in percentage points; a
// figure in percent of a core changes relatively, like any other.
func TestDeltaPP(t *testing.T) {
	for _, m := range All() {
		share := m.Kind == gate.Percent && m.Unit != OfACore
		if m.DeltaPP != share {
			t.Errorf("%s: DeltaPP %v, want %v (kind %v, unit %q)", m.Name, m.DeltaPP, share, m.Kind, m.Unit)
		}
	}
}

// TestSamples checks that a figure counted over samples is a latency
// percentile (over successes) or a share (over requests or deliveries).
func TestSamples(t *testing.T) {
	for _, m := range All() {
		switch m.Samples {
		case Successes:
			if m.Kind != gate.Duration || m.Prom.Quantile == "" {
				t.Errorf("%s: counted over successes but not a latency percentile", m.Name)
			}
		case Requests, Deliveries:
			if !m.DeltaPP {
				t.Errorf("%s: counted over requests or deliveries but not a share", m.Name)
			}
		}
	}
}
