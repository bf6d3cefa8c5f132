package probe

import (
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/record"
)

var (
	_ metric.Figures = (*WSSummary)(nil)
	_ metric.Figures = (*SSESummary)(nil)
)

// Figure implements metric.Figures: the ws metrics of the catalogue. Loss,
// duplicates and delivery mean something only once a delivery was
// expected or made.
func (s *WSSummary) Figure(name, _ string) (gate.Value, bool) {
	switch name {
	case metric.WSLoss:
		return percent(s.Loss), s.Expected > 0
	case metric.WSDup:
		return percent(s.Dup), s.Expected > 0
	case metric.WSDeliveryP95:
		return duration(s.Delivery, s.Delivery.P95), s.Delivered > 0
	case metric.WSConnected:
		return gate.Value{V: float64(s.Connected), Kind: gate.Count}, true
	}
	return gate.Value{}, false
}

// Figure implements metric.Figures: the sse metrics of the catalogue; the
// largest gap means something once an event arrived.
func (s *SSESummary) Figure(name, _ string) (gate.Value, bool) {
	switch name {
	case metric.SSEGapMax:
		return duration(record.Percentiles{}, s.GapMax), s.Events > 0
	case metric.SSEConnected:
		return gate.Value{V: float64(s.Connected), Kind: gate.Count}, true
	}
	return gate.Value{}, false
}

func percent(f float64) gate.Value { return gate.Value{V: f, Kind: gate.Percent} }

// duration is v, one of p's figures, as a gate value, marked as a lower
// bound when it was clipped at the histogram's ceiling.
func duration(p record.Percentiles, v record.DurationMs) gate.Value {
	return gate.Value{V: v.Duration().Seconds(), Kind: gate.Duration, AtLeast: p.Clipped(v)}
}
