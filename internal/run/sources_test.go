package run

import (
	"net/netip"
	"testing"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// The source plan is decided from the target file's base URL, {port} and
// all, before the target starts.
func TestSourcePlan(t *testing.T) {
	sc := &scenario.Scenario{
		HTTP:      scenario.HTTP{Clients: 100, Endpoints: []scenario.Endpoint{{Name: "home", Path: "/"}}},
		WebSocket: &scenario.WebSocket{Boards: 6},
	}
	pinned := *sc
	pinned.SourceAddress = netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		base string
		sc   *scenario.Scenario
		want string // mode
	}{
		{"http://127.0.0.1:{port}", sc, "spread"},
		{"http://localhost:8000", sc, "spread"},
		{"http://127.0.0.1:8000", &pinned, "pinned"},
		{"http://[::1]:{port}", sc, "system"},
		{"https://shop.example.com", sc, "system"},
	}
	for _, tc := range tests {
		if got := sourcePlan(tc.sc, tc.base).Describe(true).Mode; got != tc.want {
			t.Errorf("%s: mode %q, want %q", tc.base, got, tc.want)
		}
	}
}
