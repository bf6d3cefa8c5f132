package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// Ctrl-C part-way through a run with boards and an SSE client: the gates on
// end-of-run state read the state when the run was interrupted, before the
// teardown closed the connections, so ws.connected == 3 holds.
func TestInterruptKeepsEndState(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"target.yaml": simTargetFile(newMark(t)),
		"scenario.yaml": "name: interrupted\ntarget: target.yaml\nwarmup: 1s\nduration: 30s\n" +
			simtest.HealthAndBoards(3, "1s", "2/s") + `sse: {clients: 1, path: /api/stream}
gates: ["ws.connected == 3", "sse.connected == 1"]
`,
	})
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(6*time.Second, cancel)
	o := loadcheck(t, ctx, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	if o.code != ExitInterrupted {
		t.Errorf("exit %d, want 130; stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	res := onlyResult(t, out)
	if res.Status != result.Interrupted {
		t.Errorf("status %q, want interrupted", res.Status)
	}
	for _, g := range res.Gates {
		if !g.Pass {
			t.Errorf("gate %s failed (observed %v) in the partial result; want it to hold", g.Gate, g.Observed)
		}
	}
	// The resource figures cover the measured phase that ran, not the
	// target's start, the boards' connecting nor the warm-up.
	if rs := res.Resources; rs == nil || rs.Span <= 0 || rs.Span > res.Elapsed+1500*time.Millisecond {
		t.Errorf("resources %+v: want figures over the %v measured", rs, res.Elapsed)
	} else if !strings.Contains(o.stdout, "only (window 30 s)") {
		t.Errorf("the report does not say the CPU window did not fill:\n%s", o.stdout)
	}
	if !strings.Contains(o.stdout, "INTERRUPTED") || strings.Contains(o.stdout, "decision: stay") {
		t.Errorf("report:\n%s\nwant INTERRUPTED and no stay", o.stdout)
	}
}
