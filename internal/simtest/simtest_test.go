package simtest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// The files a test writes load as loadcheck loads them, and the target
// starts the sim with the flags given, each its own argument.
func TestScenarioAndTargetLoad(t *testing.T) {
	dir := Scenario(t, Target("sim under test", "--workers", "2", "--fanout", "shared"),
		"duration: 1s\nhttp: {load: {rate: 1/s}, endpoints: [{name: h, path: /api/health}]}\n")
	sc, err := scenario.Load(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := scenario.LoadTarget(sc.TargetFile)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "test" || tg.Name != "sim under test" || tg.Start == nil {
		t.Fatalf("scenario %q, target %q, start %v: want test, sim under test, a start command", sc.Name, tg.Name, tg.Start)
	}
	want := []string{"loadcheck", "sim", "--listen", "127.0.0.1:{port}", "--workers", "2", "--fanout", "shared"}
	if diff := cmp.Diff(want, tg.Start.Command); diff != "" {
		t.Errorf("start command (-want +got):\n%s", diff)
	}
	if tg.Ready.Path != "/api/health" || tg.Ready.Timeout != 20*time.Second {
		t.Errorf("ready = %+v, want /api/health within 20s", tg.Ready)
	}
}
