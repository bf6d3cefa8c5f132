package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report"
)

// fakeTerminal stands in for a terminal of the given width.
type fakeTerminal struct {
	bytes.Buffer
	width int
}

func (f *fakeTerminal) TerminalWidth() int { return f.width }

// savedResults writes one small result per target file into a temporary
// folder and returns their paths.
func savedResults(t *testing.T, files ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, f := range files {
		ep := record.EndpointSummary{Name: "search", Requests: 100, Rate: 10,
			Latency: record.Percentiles{P50: record.Millis(40+10*i) * record.Millis(time.Millisecond), P95: record.Millis(90+20*i) * record.Millis(time.Millisecond)}}
		r := &report.Result{
			Schema: report.Schema, RunID: "20261123T10000" + string(rune('0'+i)) + "Z-0000000" + string(rune('0'+i)),
			Scenario: report.ScenarioInfo{Name: "smoke"},
			Target:   report.TargetInfo{Name: "uvicorn with a long descriptive name, config " + string(rune('A'+i)), File: f},
			Status:   report.Complete,
			HTTP:     record.Summary{Endpoints: []record.EndpointSummary{ep}, Total: ep},
		}
		p, err := r.Save(dir)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestReportFollowsTerminalWidth lays five results side by side on a wide
// terminal, by the target files' stems, and as a block per target on a
// terminal too narrow for that.
func TestReportFollowsTerminalWidth(t *testing.T) {
	paths := savedResults(t, "targets/t-1w.yaml", "targets/t-2w.yaml", "targets/t-4w.yaml", "targets/t-redis.yaml", "targets/t-split.yaml")
	for _, tc := range []struct {
		width      int
		want, lack string
	}{
		{160, "│ t-1w │", "value (vs t-1w)"},
		{40, "value (vs t-1w)", "│ t-1w │"},
	} {
		out := &fakeTerminal{width: tc.width}
		var errb bytes.Buffer
		code := Main(context.Background(), append([]string{"report"}, paths...), out, &errb)
		if code != ExitPass {
			t.Fatalf("report: exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), tc.want) || strings.Contains(out.String(), tc.lack) {
			t.Errorf("report on a %d-column terminal: want %q and not %q:\n%s", tc.width, tc.want, tc.lack, out.String())
		}
	}
}
