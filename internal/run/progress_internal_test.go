package run

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
)

// TestP95Shown: the live line shows no p95 before a request succeeded
// (the warm-up records nothing), never "0s".
func TestP95Shown(t *testing.T) {
	for _, tc := range []struct {
		e    record.EndpointSummary
		want string
	}{
		{record.EndpointSummary{}, "–"},
		{record.EndpointSummary{Requests: 3, Errors: 3}, "–"},
		{record.EndpointSummary{Requests: 3, Latency: record.Percentiles{P95: record.DurationMs(1500 * time.Millisecond)}}, "1.5s"},
	} {
		if got := p95Shown(tc.e); got != tc.want {
			t.Errorf("p95Shown(%d requests, %d errors) = %q, want %q", tc.e.Requests, tc.e.Errors, got, tc.want)
		}
	}
}
