package verdict

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
)

func entry(date, target string, searchP95ms, capacity float64, loss *float64) result.HistoryEntry {
	return result.HistoryEntry{Schema: result.Schema, Date: date, Scenario: "prelaunch", Target: target, Status: result.Complete, Pass: true,
		P95: map[string]record.DurationMs{"zeus-search": msv(searchP95ms), "homepage": msv(3)}, Capacity: capacity, WSLoss: loss}
}

func ptr(f float64) *float64 { return &f }

func msv(f float64) record.DurationMs { return record.DurationMs(f * float64(time.Millisecond)) }

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

// A downstream's calls per request growing more than 20 % over the
// median of earlier nights is a regression; 10 % is not.
func TestPerRequestRegression(t *testing.T) {
	t.Parallel()
	night := func(date string, perRequest float64) result.HistoryEntry {
		return result.HistoryEntry{Date: date, Scenario: "s", Target: "t", Status: result.Complete, PerRequest: map[string]float64{"postgres": perRequest}}
	}
	history := []result.HistoryEntry{night("2026-12-01", 2), night("2026-12-02", 2.1), night("2026-12-03", 1.9)}
	if got := Regressions(history, []result.HistoryEntry{night("2026-12-04", 2.2)}, result.Thresholds{}); len(got) != 0 {
		t.Errorf("+10%%: regressions %+v, want none", got)
	}
	got := Regressions(history, []result.HistoryEntry{night("2026-12-04", 2.5)}, result.Thresholds{})
	if len(got) != 1 || got[0].Metric != "downstream.postgres.per_request" || !strings.Contains(got[0].Text, "2.00 → 2.50 calls per request (+25%") {
		t.Errorf("+25%%: regressions %+v, want downstream.postgres.per_request flagged", got)
	}
}
