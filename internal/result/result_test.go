package result

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/loadcheck/loadcheck/internal/record"
)

// night is one target's history line of a night, its figures from JSON as
// history.jsonl holds them.
func night(t *testing.T, date, target string, capacity float64) HistoryEntry {
	t.Helper()
	var e HistoryEntry
	line := `{"schema":1,"date":"` + date + `","scenario":"prelaunch","target":"` + target + `","status":"complete","pass":true,"p95_ms":{"zeus-search":500},"rate_per_s":10}`
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	e.Capacity = capacity
	return e
}

func TestSaveAndReadFile(t *testing.T) {
	r := &Result{Schema: Schema, RunID: "20261123-100000-abcd", Status: Complete, Pass: true,
		Scenario: ScenarioInfo{Name: "prelaunch", Load: []string{"20/s for 1m0s"}}, Target: TargetInfo{Name: "sim"}}
	dir := t.TempDir()
	path, err := r.Save(dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != r.RunID+".json" {
		t.Errorf("Save wrote %s, want <run-id>.json", path)
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("result file mode %v, want 0644: collectors running as another user read it", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the result (no temporary file left)", len(entries))
	}
	missing := filepath.Join(dir, "missing")
	_, err = r.Save(missing)
	if err == nil || !strings.HasPrefix(err.Error(), missing+": ") || strings.Contains(err.Error(), "--out") {
		t.Errorf("Save into a missing folder: %v, want an error starting with the folder (the CLI names its flag)", err)
	}
}

func TestReadRefusesNewerSchema(t *testing.T) {
	_, err := Read(strings.NewReader(`{"schema": 99}`))
	if err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("Read(schema 99) = %v, want an error naming the schema", err)
	}
}

func TestAppendHistoryReplacesANightRunAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	first := []HistoryEntry{night(t, "2026-11-21", "a", 40), night(t, "2026-11-21", "b", 80)}
	if err := AppendHistory(path, first); err != nil {
		t.Fatal(err)
	}
	again := night(t, "2026-11-21", "a", 42)
	earlier := night(t, "2026-11-20", "a", 39)
	if err := AppendHistory(path, []HistoryEntry{again, earlier}); err != nil {
		t.Fatal(err)
	}
	got, skipped, err := ReadHistory(path)
	if err != nil || skipped != 0 {
		t.Fatalf("ReadHistory: %v, %d skipped", err, skipped)
	}
	want := []HistoryEntry{earlier, first[1], again}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got): a night run again replaces its line, lines in date order\n%s", diff)
	}
}

func TestReadHistorySkipsPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := AppendHistory(path, []HistoryEntry{night(t, "2026-11-21", "a", 0)}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"schema":1,"date":"2026-11-22","targ`)
	f.Close()
	got, skipped, err := ReadHistory(path)
	if err != nil || len(got) != 1 || skipped != 1 {
		t.Errorf("ReadHistory = %d entries, %d skipped, %v; want 1, 1, nil", len(got), skipped, err)
	}
	if h, _, err := ReadHistory(filepath.Join(t.TempDir(), "missing.jsonl")); err != nil || len(h) != 0 {
		t.Errorf("ReadHistory(missing) = %v, %v; want an empty history", h, err)
	}
}

func TestTrend(t *testing.T) {
	var h []HistoryEntry
	for _, d := range []string{"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"} {
		h = append(h, night(t, d, "a", 1), night(t, d, "b", 1))
	}
	other := night(t, "2026-11-05", "a", 1)
	other.Scenario = "other"
	h = append(h, other)
	tr := Trend(h, "prelaunch", 3)
	if len(tr) != 6 || tr[0].Date != "2026-11-02" || tr[len(tr)-1].Date != "2026-11-04" {
		t.Errorf("Trend over 3 nights: %d entries from %s to %s, want 6 from 2026-11-02 to 2026-11-04, other scenarios left out", len(tr), tr[0].Date, tr[len(tr)-1].Date)
	}
}

// TestIndexTrend: nights and targets in the order they first appear, a
// target missing from a night has no entry there.
func TestIndexTrend(t *testing.T) {
	trend := []HistoryEntry{night(t, "2026-11-02", "b", 1), night(t, "2026-11-02", "a", 2), night(t, "2026-11-03", "a", 3)}
	ix := IndexTrend(trend)
	if diff := cmp.Diff([]string{"2026-11-02", "2026-11-03"}, ix.Dates); diff != "" {
		t.Errorf("Dates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b", "a"}, ix.Targets); diff != "" {
		t.Errorf("Targets (-want +got):\n%s", diff)
	}
	if e, ok := ix.Entry("2026-11-03", "a"); !ok || e.Capacity != 3 {
		t.Errorf("Entry(2026-11-03, a) = %+v, %v; want the entry of capacity 3", e, ok)
	}
	if _, ok := ix.Entry("2026-11-03", "b"); ok {
		t.Error("Entry(2026-11-03, b) found an entry for a night b did not run")
	}
}

func TestEndpointNames(t *testing.T) {
	r := func(eps ...string) *Result {
		var out Result
		for _, e := range eps {
			out.HTTP.Endpoints = append(out.HTTP.Endpoints, record.EndpointSummary{Name: e})
		}
		return &out
	}
	if diff := cmp.Diff([]string{"search", "home", "login"}, EndpointNames(r("search", "home"), r("home", "login"))); diff != "" {
		t.Errorf("EndpointNames (-want +got):\n%s", diff)
	}
}
