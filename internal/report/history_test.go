package report

import (
	"os"
	"path/filepath"
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

func TestAppendHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	night1 := []result.HistoryEntry{entry("2026-11-21", "a", 500, 40, ptr(0)), entry("2026-11-21", "b", 300, 80, ptr(0))}
	night2 := []result.HistoryEntry{entry("2026-11-22", "a", 510, 41, ptr(0)), entry("2026-11-22", "b", 310, 79, ptr(0))}
	if err := result.AppendHistory(path, night1); err != nil {
		t.Fatal(err)
	}
	if err := result.AppendHistory(path, night2); err != nil {
		t.Fatal(err)
	}
	// Night 2 again replaces its lines rather than adding more.
	night2[0].Capacity = 42
	if err := result.AppendHistory(path, night2[:1]); err != nil {
		t.Fatal(err)
	}
	got, skipped, err := result.ReadHistory(path)
	if err != nil || skipped != 0 {
		t.Fatalf("ReadHistory: %v, %d skipped", err, skipped)
	}
	want := append(append([]result.HistoryEntry(nil), night1...), night2[1], night2[0])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 4 || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("file holds %d lines, want 4 complete lines:\n%s", n, b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the history (no temporary file left)", len(entries))
	}
}

// A line cut short by something else (a crash of an older writer, an
// editor) is skipped, not fatal, and the next append drops it.
func TestReadHistorySkipsPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := result.AppendHistory(path, []result.HistoryEntry{entry("2026-11-21", "a", 500, 0, nil)}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"schema":1,"date":"2026-11-22","targ`)
	f.Close()
	got, skipped, err := result.ReadHistory(path)
	if err != nil || len(got) != 1 || skipped != 1 {
		t.Errorf("ReadHistory = %d entries, %d skipped, %v; want 1, 1, nil", len(got), skipped, err)
	}
	if _, _, err := result.ReadHistory(filepath.Join(t.TempDir(), "missing.jsonl")); err != nil {
		t.Errorf("ReadHistory(missing) = %v, want an empty history", err)
	}
}

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

func TestTrend(t *testing.T) {
	var h []result.HistoryEntry
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		d := start.AddDate(0, 0, i).Format("2006-01-02")
		h = append(h, entry(d, "a", 500, 40, nil), entry(d, "b", 500, 40, nil))
	}
	h = append(h, result.HistoryEntry{Date: "2026-12-31", Scenario: "other", Target: "a"})
	tr := result.Trend(h, "prelaunch", result.TrendNights)
	if len(tr) != 60 || tr[0].Date != "2026-10-11" || tr[len(tr)-1].Date != "2026-11-09" {
		t.Errorf("Trend: %d entries from %s to %s, want 60 from 2026-10-11 to 2026-11-09", len(tr), tr[0].Date, tr[len(tr)-1].Date)
	}
}
