package cli

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/downstream/dbtest"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// workLoad is a scenario's http section: GET /work, the service's one
// endpoint, at rate ("10/s").
func workLoad(rate string) string {
	return "http:\n  load: {rate: " + rate + "}\n  endpoints: [{name: work, path: /work}]\n"
}

// callerTarget is a target file starting testdata/downstream-caller.py,
// which calls the stub downstream "embed" calls times per GET /work.
func callerTarget(t *testing.T, calls string) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		needDebian(t, exec.Command("python3", "--version"))
	}
	script, err := filepath.Abs("testdata/downstream-caller.py")
	if err != nil {
		t.Fatal(err)
	}
	return `name: caller
base_url: http://127.0.0.1:{port}
start:
  command: [` + py + `, ` + script + `, "{port}"]
  env: {STUB_URL: "{downstream.embed.url}", CALLS: "` + calls + `"}
ready: {path: /, timeout: 20s}
downstreams:
  - name: embed
    stub: {latency: 2ms, status: 200, body: '{"data": []}'}
`
}

// A run serves the stub before the target starts, the target finds it
// through {downstream.embed.url}, and the run counts the stub's calls per
// successful response: the 3 the service makes for each, within 2 %. A
// gate below the truth fails the run (exit 1); the calls are attributed
// to the target's process.
func TestStubDownstreamPerRequest(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"target.yaml": callerTarget(t, "3"),
		"scenario.yaml": "name: stub calls\ntarget: target.yaml\nduration: 15s\nwarmup: 2s\n" + workLoad("25/s") +
			`gates: ["downstream.embed.per_request < 2.5", "http.errors < 1%"]
`,
	})
	out := t.TempDir()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	if o.code != ExitFail {
		t.Fatalf("exit %d, want 1 (the per_request gate is below the truth); stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	r := onlyResult(t, out)
	if len(r.Downstreams) != 1 || r.Downstreams[0].Name != "embed" {
		t.Fatalf("downstreams %+v, want embed", r.Downstreams)
	}
	v, ok := r.Metric("downstream.embed.per_request")
	if !ok || math.Abs(v.V-3) > 0.02*3 {
		t.Errorf("downstream.embed.per_request = %v (measured %v), want 3 within 2 %%", v.V, ok)
	}
	if g := r.Gates[0]; g.Pass || g.Gate != "downstream.embed.per_request < 2.5" {
		t.Errorf("gate %+v, want downstream.embed.per_request < 2.5 failed", g)
	}
	s := r.Downstreams[0]
	t.Logf("embed: %.0f calls over %d successful responses in %.1f s: %.3f per request (truth 3), %.2f/s; conns %+v; by pid %v",
		s.Calls, r.HTTP.Total.Successes(), s.Seconds, v.V, s.RatePerSec, s.Conns, s.ByPID)
	if len(s.Top) != 1 || s.Top[0].Key != "/embed" || s.Top[0].Calls != s.Calls {
		t.Errorf("top paths %+v, want every call on /embed", s.Top)
	}
	var pids []int
	if r.Resources != nil {
		for _, p := range r.Resources.Processes {
			pids = append(pids, p.PID)
		}
	}
	for pid, n := range s.ByPID {
		if !slices.Contains(pids, pid) {
			t.Errorf("%v calls attributed to pid %d, not one of the target's processes %v", n, pid, pids)
		}
	}
	if s.Conns == nil || s.Conns.Peak < 1 {
		t.Errorf("connections %+v, want the target's keep-alive connections to the stub counted", s.Conns)
	}
}

// A gate on a downstream the target file does not declare is refused
// before anything starts, at its place in the scenario file (exit 2); so
// is a database that does not answer, naming the downstream, before any
// load.
func TestDownstreamRefusedBeforeLoad(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"target.yaml": callerTarget(t, "1"),
		"scenario.yaml": "name: stub calls\ntarget: target.yaml\nduration: 2s\n" + workLoad("5/s") +
			`gates: ["downstream.embd.rate < 10/s"]
`,
		// A database is opened once the target is ready (a target may
		// start its own), still before any load.
		"deaddb.yaml": callerTarget(t, "1") + `  - name: db
    postgres: {dsn: "postgresql://nobody@127.0.0.1:1/none"}
`,
		"db-scenario.yaml": "name: db\ntarget: deaddb.yaml\nduration: 2s\n" + workLoad("5/s"),
	})
	out := t.TempDir()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	want := filepath.Join(dir, "scenario.yaml") + `:7:9: "downstream.embd.rate < 10/s": target ` + filepath.Join(dir, "target.yaml") + ` declares no downstream "embd" (it has embed) — did you mean "embed"?`
	if o.code != ExitBadInput || !strings.Contains(o.stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 2 and %q", o.code, o.stderr, want)
	}
	if v := loadcheck(t, context.Background(), "validate", filepath.Join(dir, "scenario.yaml")); v.code != ExitBadInput || !strings.Contains(v.stderr+v.stdout, want) {
		t.Errorf("validate: exit %d, output:\n%s%s\nwant 2 and %q", v.code, v.stdout, v.stderr, want)
	}
	o = loadcheck(t, context.Background(), "run", filepath.Join(dir, "db-scenario.yaml"), "--quiet", "--out", out)
	if o.code != ExitBadInput || !strings.Contains(o.stderr, `downstream "db"`) {
		t.Errorf("dead database: exit %d, stderr:\n%s\nwant 2 naming downstream \"db\"", o.code, o.stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(out, "*.json")); len(m) != 0 {
		t.Errorf("results %v written: want none, nothing was measured", m)
	}
}

// A database that goes away mid-run is reported, not fatal: the run
// completes, the other downstreams' figures are whole, and the report says
// from when the database was missing.
func TestDownstreamGoneMidRun(t *testing.T) {
	pg := dbtest.StartPostgres(t)
	target := callerTarget(t, "2") + `  - name: db
    postgres: {dsn: "` + pg.DSN("titan") + `"}
`
	dir := simtest.Files(t, map[string]string{"target.yaml": target, "scenario.yaml": "name: db goes away\ntarget: target.yaml\nduration: 6s\nwarmup: 1s\n" +
		workLoad("10/s") + `gates: ["downstream.embed.per_request < 2.5"]
`})
	time.AfterFunc(4*time.Second, pg.Stop)
	out := t.TempDir()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--out", out)
	if o.code != ExitPass {
		t.Fatalf("exit %d, want 0: the database going away is no failure of the target; stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	r := onlyResult(t, out)
	if len(r.Downstreams) != 2 || r.Downstreams[1].Missing == "" {
		t.Fatalf("downstreams %+v, want db reported missing", r.Downstreams)
	}
	if v, ok := r.Metric("downstream.embed.per_request"); !ok || math.Abs(v.V-2) > 0.04 {
		t.Errorf("embed per_request %v (measured %v), want 2: the stub's figures are whole", v.V, ok)
	}
	if !strings.Contains(o.stdout, "warning: db: no reading since") {
		t.Errorf("the report does not say the database went missing:\n%s", o.stdout)
	}
}
