package run_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestProgressStages runs a short scenario with boards and SSE clients
// against the sim, with a stand-in for the terminal, and checks that each
// slow stage says what it is doing and how it ended.
func TestProgressStages(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"sim-2w.yaml": simtest.Target("sim under test", "--workers", "2"),
		"scenario.yaml": `name: progress
target: sim-2w.yaml
duration: 2s
http:
  load: {rate: 5/s}
  endpoints: [{name: health, path: /api/health}]
websocket:
  boards: 3
  path: /ws/dispatch
  grace: 500ms
  broadcast: {path: /api/dispatch/broadcast, rate: 2/s}
sse: {clients: 1, path: /api/stream}
`,
	})
	sc, err := scenario.Load(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := scenario.LoadTarget(sc.TargetFile)
	if err != nil {
		t.Fatal(err)
	}
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
