package record

import (
	"fmt"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The range and precision of every latency histogram. DefaultCeiling is
// the top of the range unless a run's timeout asks for more (NewHistogramUpTo).
const (
	minLatency     = time.Microsecond
	DefaultCeiling = time.Minute
	sigFigs        = 3
)

// Histogram is an HDR histogram of durations in microseconds. It is not
// safe for concurrent use.
type Histogram struct {
	h *hdr.Histogram
	// OutOfRange counts values above the ceiling, recorded as the ceiling:
	// their true value is only known to be higher.
	OutOfRange int64
}

// NewHistogram returns an empty histogram covering 1 µs to DefaultCeiling.
func NewHistogram() *Histogram { return NewHistogramUpTo(DefaultCeiling) }

// NewHistogramUpTo returns an empty histogram covering 1 µs to ceiling
// (at least DefaultCeiling).
func NewHistogramUpTo(ceiling time.Duration) *Histogram {
	ceiling = max(ceiling, DefaultCeiling)
	return &Histogram{h: hdr.New(int64(minLatency/time.Microsecond), int64(ceiling/time.Microsecond), sigFigs)}
}

// Ceiling is the highest value the histogram tells apart.
func (h *Histogram) Ceiling() time.Duration {
	return time.Duration(h.h.HighestTrackableValue()) * time.Microsecond
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < 1 {
		us = 1
	}
	if h.h.RecordValue(us) != nil {
		h.OutOfRange++
		_ = h.h.RecordValue(h.h.HighestTrackableValue())
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the q-th quantile (0 < q ≤ 100), 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q)) * time.Microsecond
}

// Percentiles summarises the histogram.
func (h *Histogram) Percentiles() Percentiles {
	if h.Count() == 0 {
		return Percentiles{}
	}
	p := Percentiles{
		P50:  DurationMs(h.Quantile(50)),
		P90:  DurationMs(h.Quantile(90)),
		P95:  DurationMs(h.Quantile(95)),
		P99:  DurationMs(h.Quantile(99)),
		Max:  DurationMs(time.Duration(h.h.Max()) * time.Microsecond),
		Mean: DurationMs(time.Duration(h.h.Mean() * float64(time.Microsecond))),
	}
	if h.OutOfRange > 0 {
		p.Ceiling = DurationMs(h.Ceiling())
	}
	return p
}

// Merge adds every value of o to h. h first grows to o's ceiling when that
// is higher (a shard run with a longer timeout), so no value is clipped.
func (h *Histogram) Merge(o *Histogram) {
	if o.Ceiling() > h.Ceiling() {
		grown := NewHistogramUpTo(o.Ceiling())
		grown.h.Merge(h.h)
		h.h = grown.h
	}
	if dropped := h.h.Merge(o.h); dropped > 0 {
		h.OutOfRange += dropped
	}
	h.OutOfRange += o.OutOfRange
}

// Reset empties the histogram, keeping its memory.
func (h *Histogram) Reset() { h.h.Reset(); h.OutOfRange = 0 }

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	c := NewHistogramUpTo(h.Ceiling())
	c.Merge(h)
	return c
}

// Encode returns the histogram in the HdrHistogram compressed base64
// format, readable by every HdrHistogram implementation.
func (h *Histogram) Encode() (string, error) {
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %v", err)
	}
	return string(b), nil
}

// DecodeHistogram reads what Encode wrote.
func DecodeHistogram(s string) (*Histogram, error) {
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %v", err)
	}
	return &Histogram{h: h}, nil
}

// DurationMs is a time.Duration, in nanoseconds as every Go duration, that
// encodes to JSON as fractional milliseconds, so that result files read
// naturally ("p95_ms": 812.3).
type DurationMs time.Duration

// Duration returns m as a time.Duration.
func (m DurationMs) Duration() time.Duration { return time.Duration(m) }

// MarshalJSON encodes m in milliseconds with microsecond precision.
func (m DurationMs) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%.3f", float64(m)/float64(time.Millisecond)), nil
}

// UnmarshalJSON decodes milliseconds.
func (m *DurationMs) UnmarshalJSON(b []byte) error {
	var f float64
	if _, err := fmt.Sscanf(string(b), "%g", &f); err != nil {
		return fmt.Errorf("milliseconds: %v", err)
	}
	// Encoded with microsecond precision: round back to whole microseconds.
	*m = DurationMs(math.Round(f*1000) * float64(time.Microsecond))
	return nil
}

// Percentiles are the latency statistics a report shows.
type Percentiles struct {
	P50  DurationMs `json:"p50_ms"`
	P90  DurationMs `json:"p90_ms"`
	P95  DurationMs `json:"p95_ms"`
	P99  DurationMs `json:"p99_ms"`
	Max  DurationMs `json:"max_ms"`
	Mean DurationMs `json:"mean_ms"`
	// Ceiling is set when some values were above the histogram's range and
	// recorded as its ceiling: a figure at the ceiling is a lower bound
	// ("> 60 s"), the truth is higher.
	Ceiling DurationMs `json:"ceiling_ms,omitempty"`
}

// Clipped reports whether v, one of p's figures, sits at the ceiling of the
// histogram, so that the true value is only known to be at least v.
func (p Percentiles) Clipped(v DurationMs) bool { return p.Ceiling > 0 && v >= p.Ceiling }
