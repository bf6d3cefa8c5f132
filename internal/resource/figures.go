package resource

import (
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
)

// Figures are the target's CPU and memory as the cpu and rss metrics read
// them: a run's Summary, or a Sampler's figures so far (Sampler.Current).
// A CPU figure needs two readings; a memory figure of 0 was not measured.
type Figures struct {
	CPUSustained, CPUTotal  float64 // percent of one core
	CPUMeasured             bool
	RSSTotal, RSSMaxProcess uint64 // bytes
}

var _ metric.Figures = Figures{}

// Figure implements metric.Figures.
func (f Figures) Figure(name, _ string) (gate.Value, bool) {
	switch name {
	case metric.CPUSustained:
		return gate.Value{V: f.CPUSustained, Kind: gate.Percent}, f.CPUMeasured
	case metric.CPUTotal:
		return gate.Value{V: f.CPUTotal, Kind: gate.Percent}, f.CPUMeasured
	case metric.RSSTotal:
		return gate.Value{V: float64(f.RSSTotal), Kind: gate.Bytes}, f.RSSTotal > 0
	case metric.RSSMaxProcess:
		return gate.Value{V: float64(f.RSSMaxProcess), Kind: gate.Bytes}, f.RSSMaxProcess > 0
	}
	return gate.Value{}, false
}

// Figures returns the summary's figures; its CPU figures are measured once
// the timeline has a sample.
func (s *Summary) Figures() Figures {
	return Figures{CPUSustained: s.CPUSustained, CPUTotal: s.CPUTotal, CPUMeasured: len(s.Timeline) > 0,
		RSSTotal: s.RSSTotal, RSSMaxProcess: s.RSSMaxProcess}
}
