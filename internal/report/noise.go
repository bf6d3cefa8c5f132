package report

import (
	"math"
	"strconv"
	"time"

	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/result"
)

// A comparison claims a change only past the noise of the samples behind
// the two figures; below it the cell reads "~", and where too few samples
// stand behind a figure to say anything it reads "too few".

// minBeyond is the fewest samples that must lie beyond a latency
// percentile for it to be compared: p95 needs 100 successful responses,
// p99 500. Fewer, and one response moves the percentile anywhere.
const minBeyond = 5

// minShareSamples is the fewest requests (or broadcast deliveries) behind
// a share (errors, loss) for a change in it to mean anything.
const minShareSamples = 30

// cpuTickSeconds is the resolution of a CPU sample read from /proc: the
// kernel counts CPU time in ticks of 1/USER_HZ (100 Hz) seconds.
const cpuTickSeconds = 0.01

// changeOf is how a change from a to b in metric is to be read: "~"
// within noise, "too few" when either figure stands on too few samples,
// else the change ("+12%", "−0.4pp").
func changeOf(a, b *result.Result, metric string, base, v float64, pp bool) string {
	na, qa := samplesBehind(a, metric)
	nb, _ := samplesBehind(b, metric)
	if q := qa; q >= 0 && (na >= 0 && na*(1-q) < minBeyond || nb >= 0 && nb*(1-q) < minBeyond) {
		return "too few"
	}
	if pp && (na >= 0 && na < minShareSamples || nb >= 0 && nb < minShareSamples) {
		return "too few"
	}
	d := delta(base, v, pp)
	if d == "~" || d == "new" {
		return d
	}
	if floor := noiseFloor(a, b, metric); floor > 0 && math.Abs(v-base) < floor {
		return "~"
	}
	if q := qa; q >= 0 && base != 0 {
		// A percentile's rank is uncertain by about √(n·(1−q)) samples:
		// claim a relative change only past 1/√ of the samples beyond it.
		n := math.Min(na, nb) * (1 - q)
		if rel := 100 * math.Abs(v-base) / math.Abs(base); rel < 100/math.Sqrt(n) {
			return "~"
		}
	}
	return d
}

// samplesBehind is the number of samples a figure of r stands on (the
// catalogue's Samples) and, for a latency percentile, its quantile (else
// −1); −1 samples when the metric has no count of its own (rates,
// memory).
func samplesBehind(r *result.Result, name string) (n, q float64) {
	m, instance, err := metric.Lookup(name)
	if err != nil {
		return -1, -1
	}
	e := r.HTTP.Total
	for _, ep := range r.HTTP.Endpoints {
		if m.PerEndpoint() && ep.Name == instance {
			e = ep
		}
	}
	switch m.Samples {
	case metric.Successes:
		if q, err := strconv.ParseFloat(m.Prom.Quantile, 64); err == nil {
			return float64(e.Successes()), q
		}
	case metric.Requests:
		return float64(e.Requests), -1
	case metric.Deliveries:
		if r.WebSocket != nil {
			return float64(r.WebSocket.Expected), -1
		}
	}
	return -1, -1
}

// noiseFloor is the smallest absolute change in metric name that the samples
// can resolve, 0 when none is known: a CPU figure moves in steps of one
// tick per sampling interval (1 % of a core at 1 s), so 1.00 % against
// 0.87 % is no change.
func noiseFloor(a, b *result.Result, name string) float64 {
	if m, _ := metric.Find(name); m.Unit != metric.OfACore {
		return 0
	}
	every := time.Second
	for _, r := range []*result.Result{a, b} {
		if r.Resources != nil && r.Resources.Every > 0 && r.Resources.Every < every {
			every = r.Resources.Every
		}
	}
	return 100 * cpuTickSeconds / every.Seconds()
}
