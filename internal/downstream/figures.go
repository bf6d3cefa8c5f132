package downstream

import (
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
)

// Figures are the summaries of a run's downstreams as the catalogue's
// downstream.<downstream>.… metrics read them (metric.Figures): a result's,
// or a Watcher's snapshot while the load runs.
type Figures []Summary

var (
	_ metric.Figures   = Figures(nil)
	_ metric.Instances = Figures(nil)
)

// Figure implements metric.Figures for the downstream named name. Its calls
// and rate are measured once the phase has a reading; its connections when
// it has an address and the processes' sockets were read.
func (f Figures) Figure(metricName, name string) (gate.Value, bool) {
	s, ok := f.named(name)
	if !ok {
		return gate.Value{}, false
	}
	measured := s.Seconds > 0
	conns := s.Conns != nil && s.Conns.Samples > 0
	switch metricName {
	case metric.DownstreamCalls:
		return gate.Value{V: s.Calls, Kind: gate.Count}, measured
	case metric.DownstreamRate:
		return gate.Value{V: s.RatePerSec, Kind: gate.Rate}, measured
	case metric.DownstreamConns:
		if conns {
			return gate.Value{V: float64(s.Conns.Peak), Kind: gate.Count}, true
		}
	case metric.DownstreamConnsMaxProcess:
		if conns {
			return gate.Value{V: float64(s.Conns.MaxProcess), Kind: gate.Count}, true
		}
	}
	return gate.Value{}, false
}

// Instances implements metric.Instances: the downstreams' names in the
// target file's order.
func (f Figures) Instances() []string {
	names := make([]string, len(f))
	for i, s := range f {
		names[i] = s.Name
	}
	return names
}

func (f Figures) named(name string) (Summary, bool) {
	for _, s := range f {
		if s.Name == name {
			return s, true
		}
	}
	return Summary{}, false
}
