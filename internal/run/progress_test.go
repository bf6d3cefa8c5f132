package run_test

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"testing"

	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestProgressStages runs a short scenario with boards and SSE clients
// against the sim, with a stand-in for the terminal, and checks that each
// slow stage says what it is doing and how it ended.
func TestProgressStages(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"sim-2w.yaml": simtest.Target("sim under test", "--workers", "2"),
		"scenario.yaml": "name: progress\ntarget: sim-2w.yaml\nduration: 2s\n" +
			simtest.HealthAndBoards(3, "500ms", "2/s") + `sse: {clients: 1, path: /api/stream}
`,
	})
	sc, tg := loadDir(t, dir)
	var progress bytes.Buffer
	if _, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard, Progress: &progress}); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	for _, want := range []string{
		`starting sim-2w … ready in \d+\.\d s\n`,
		`connecting 3 boards … 3 connected\n`,
		`connecting 1 SSE client … done\n`,
		`waiting the 500ms grace period for the last broadcasts … done\n`,
	} {
		if !regexp.MustCompile(want).Match(progress.Bytes()) {
			t.Errorf("progress lacks %q:\n%q", want, progress.String())
		}
	}
}
