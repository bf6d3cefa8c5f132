package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/capacity"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestNightFilesSameDay runs night twice on one date with a stand-in for
// run.Execute: the second writes its report to DATE.2/ and keeps the
// first's files, its figures replace the first's in the history, and
// every run's result is in the night's folder.
func TestNightFilesSameDay(t *testing.T) {
	t.Parallel()
	dir := simtest.Files(t, map[string]string{
		"s.yaml": "name: model\nduration: 1s\nhttp:\n  load: {rate: 10/s}\n  endpoints: [{name: search, path: /s}]\ngates: [\"http.p95 < 500ms\"]\n",
		"a.yaml": "name: a\nbase_url: http://127.0.0.1:1\n",
		"b.yaml": "name: b\nbase_url: http://127.0.0.1:1\n",
	})
	sc, err := scenario.Load(filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tgs []*scenario.Target
	for _, n := range []string{"a", "b"} {
		tg, err := scenario.LoadTarget(filepath.Join(dir, n+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		tgs = append(tgs, tg)
	}
	runs := 0
	exec := func(ctx context.Context, o run.Options) (*result.Result, error) {
		runs++
		ep := record.EndpointSummary{Name: "all", Requests: 10, Latency: record.Percentiles{P95: record.DurationMs(10 * time.Millisecond)}}
		return &result.Result{
			Schema: result.Schema, RunID: o.RunID + "-" + string(rune('0'+runs)), Status: result.Complete, Pass: true,
			Scenario: result.ScenarioInfo{Name: o.Scenario.Name}, Target: result.TargetInfo{Name: o.Target.Name},
			HTTP: record.Summary{Total: ep},
		}, nil
	}
	reports := filepath.Join(dir, "reports")
	night1 := func() nightlyFiles {
		t.Helper()
		no := capacity.NightlyOptions{Options: capacity.Options{Execute: exec}, Date: "2026-11-21"}
		n, f, err := night(context.Background(), sc, tgs, no, reports)
		if err != nil || n == nil || !n.Pass {
			t.Fatalf("night: %v, %+v", err, n)
		}
		return f
	}
	first := night1()
	firstReport, err := os.ReadFile(first.JSON)
	if err != nil {
		t.Fatal(err)
	}
	second := night1()

	if want := filepath.Join(reports, "nightly", "2026-11-21"); first.Dir != want {
		t.Errorf("first night in %s, want %s", first.Dir, want)
	}
	if want := filepath.Join(reports, "nightly", "2026-11-21.2"); second.Dir != want {
		t.Errorf("second night in %s, want %s", second.Dir, want)
	}
	if again, err := os.ReadFile(first.JSON); err != nil || !bytes.Equal(again, firstReport) {
		t.Errorf("the first night's report changed or went missing after the rerun: %v", err)
	}
	for _, f := range []nightlyFiles{first, second} {
		for _, p := range []string{f.JSON, f.Markdown, f.HTML} {
			if st, err := os.Stat(p); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", p, err)
			}
		}
		results, _ := filepath.Glob(filepath.Join(f.Dir, "*-[0-9].json"))
		if len(results) != 2 {
			t.Errorf("%s holds %d results, want one per target", f.Dir, len(results))
		}
	}
	doc, err := result.ReadDocument(second.JSON)
	if _, ok := doc.(*result.Nightly); err != nil || !ok {
		t.Errorf("report.json reads back as %T, %v", doc, err)
	}
	h, _, err := result.ReadHistory(second.History)
	if err != nil || len(h) != 2 {
		t.Fatalf("history holds %d lines (%v), want the rerun's 2 (one per target)", len(h), err)
	}
	for _, e := range h {
		if e.RunID[len(e.RunID)-1] < '3' {
			t.Errorf("history of %s is run %s, want the rerun's", e.Target, e.RunID)
		}
	}
}
