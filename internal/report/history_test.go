package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
)

func entry(date, target string, searchP95ms, capacity float64, loss *float64) result.HistoryEntry {
	return result.HistoryEntry{Schema: result.Schema, Date: date, Scenario: "prelaunch", Target: target, Status: result.Complete, Pass: true,
		P95: map[string]record.DurationMs{"zeus-search": msv(searchP95ms), "homepage": msv(3)}, Capacity: capacity, WSLoss: loss}
}

func ptr(f float64) *float64 { return &f }

func TestRegressions(t *testing.T) {
	t.Parallel()
	history := []result.HistoryEntry{
		entry("2026-11-19", "a", 480, 40, ptr(0)),
		entry("2026-11-20", "a", 520, 41, ptr(0)),
		entry("2026-11-21", "a", 500, 39, ptr(0)),
		entry("2026-11-21", "other", 9000, 1, ptr(50)),
	}
	tests := []struct {
		name    string
		tonight result.HistoryEntry
		want    []string // metrics flagged
	}{
		{"steady", entry("2026-11-22", "a", 540, 38, ptr(0)), nil},
		{"p95 grows 30%", entry("2026-11-22", "a", 650, 40, ptr(0)), []string{"http.zeus-search.p95"}},
		{"capacity drops 20%", entry("2026-11-22", "a", 500, 32, ptr(0)), []string{"capacity"}},
		{"loss appears", entry("2026-11-22", "a", 500, 40, ptr(0.5)), []string{"ws.loss"}},
		{"all three", entry("2026-11-22", "a", 900, 20, ptr(49.7)), []string{"http.zeus-search.p95", "capacity", "ws.loss"}},
		{"no earlier night", entry("2026-11-22", "new", 900, 20, ptr(49.7)), nil},
		{"capacity not searched tonight", entry("2026-11-22", "a", 500, 0, ptr(0)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range Regressions(history, []result.HistoryEntry{tc.tonight}, result.DefaultThresholds()) {
				got = append(got, r.Metric)
				if !strings.HasPrefix(r.Text, tc.tonight.Target+": "+r.Metric) {
					t.Errorf("regression text %q does not start with the target and metric", r.Text)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Regressions (-want +got):\n%s", diff)
			}
		})
	}
	// A small page getting a little slower is noise below the floor.
	small := entry("2026-11-22", "a", 500, 40, ptr(0))
	small.P95["homepage"] = msv(8)
	if r := Regressions(history, []result.HistoryEntry{small}, result.DefaultThresholds()); len(r) != 0 {
		t.Errorf("homepage 3 ms → 8 ms flagged: %v, want nothing under the 10 ms floor", r)
	}
	// Thresholds are configurable.
	th := result.DefaultThresholds()
	th.P95Growth = 5
	if r := Regressions(history, []result.HistoryEntry{entry("2026-11-22", "a", 540, 40, ptr(0))}, th); len(r) != 1 {
		t.Errorf("p95 +8%% with a 5%% threshold: %d regressions, want 1", len(r))
	}
}
