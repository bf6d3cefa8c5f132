package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

type outcome struct {
	code           int
	stdout, stderr string
}

// loadcheck runs the command line args. A command that writes results by
// default (into reports/ under the working folder, here the package's
// folder) writes them into a temporary folder instead unless args say
// where.
func loadcheck(t *testing.T, ctx context.Context, args ...string) outcome {
	t.Helper()
	if len(args) > 0 && !slices.Contains(args, "--help") {
		switch {
		case slices.Contains([]string{"run", "compare", "saturate"}, args[0]) && !hasFlag(args, "--out"):
			args = append(args, "--out", t.TempDir())
		case args[0] == "nightly" && !hasFlag(args, "--history"):
			args = append(args, "--history", t.TempDir())
		}
	}
	var out, errb bytes.Buffer
	code := Main(ctx, args, &out, &errb)
	return outcome{code, out.String(), errb.String()}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// server answers with the handler; its address goes into a target file
// that does not start anything.
func server(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

// scenarioFiles writes the scenario body and a target file for the server
// at baseURL into a temporary folder and returns it.
func scenarioFiles(t *testing.T, baseURL, body string) string {
	return simtest.Scenario(t, "name: test server\nbase_url: "+baseURL+"\n", body)
}

func ok(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }

func TestGatesDecideExitCode(t *testing.T) {
	var n atomic.Int64
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky" && n.Add(1)%2 == 0 {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	})
	tests := []struct {
		name     string
		path     string
		gates    []string
		wantCode int
		wantOut  []string
	}{
		{"gate holds", "/", []string{"http.p95 < 5s"}, ExitPass, []string{"PASS: the one gate holds", "decision: stay at one worker, tune it — http.p95"}},
		{"gate fails", "/", []string{"http.p95 < 1µs"}, ExitFail, []string{"FAIL", "decision: scale — http.p95"}},
		// p95 holds, but half the requests fail: the decision must not say stay.
		{"errors gate fails", "/flaky", []string{"http.p95 < 5s", "http.errors < 1%"}, ExitFail,
			[]string{"FAIL: 1 of 2 gates failed: http.errors", "decision: none — http.errors"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := scenarioFiles(t, url, `duration: 2s
http:
  load: {rate: 20/s}
  endpoints: [{name: root, path: `+tc.path+`}]
gates: ["`+strings.Join(tc.gates, `", "`)+`"]
`)
			o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", "")
			if o.code != tc.wantCode {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", o.code, tc.wantCode, o.stdout, o.stderr)
			}
			for _, want := range append(tc.wantOut, tc.gates...) {
				if !strings.Contains(o.stdout, want) {
					t.Errorf("report lacks %q:\n%s", want, o.stdout)
				}
			}
			if tc.wantCode != ExitPass && strings.Contains(o.stdout, "decision: stay") {
				t.Errorf("a failing run says stay:\n%s", o.stdout)
			}
		})
	}
}

func TestAbortStopsRun(t *testing.T) {
	// Ready on /, failing 3 of 4 requests on the endpoint under load.
	var n atomic.Int64
	var first, last atomic.Int64 // when requests under load arrived, Unix ns
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			return
		}
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		last.Store(now)
		if n.Add(1)%4 == 0 {
			return
		}
		http.Error(w, "down", 500)
	})
	dir := scenarioFiles(t, url, `duration: 30s
http:
  load: {rate: 20/s}
  endpoints: [{name: search, path: /search}]
gates: ["http.errors < 1%", "http.p95 < 5s"]
abort: {when: ["http.errors > 50%"]}
`)
	out := t.TempDir()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	// abort.when is checked every second: the load failing from its first
	// request stops at the first or second check, within 2 s of it, and
	// the result follows at once. Timed here from the first request under
	// load, not from the process's start.
	begin, end := time.Unix(0, first.Load()), time.Unix(0, last.Load())
	t.Logf("load ran %v, the run returned %v after its last request", end.Sub(begin), time.Since(end))
	if ran := end.Sub(begin); first.Load() == 0 || ran > 2*time.Second {
		t.Errorf("the load ran %v after its first request, want it aborted within 2 s", ran)
	}
	if after := time.Since(end); after > time.Second {
		t.Errorf("the aborted run returned %v after its last request, want within a second", after)
	}
	if o.code != ExitFail || !strings.Contains(o.stdout, "ABORTED") || !strings.Contains(o.stdout, "http.errors > 50%") {
		t.Errorf("exit %d, want 1 and ABORTED naming the condition; stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	if !strings.Contains(o.stdout, "decision: none — the run was aborted ") || !strings.Contains(o.stdout, "into the 30s measured phase (abort condition") {
		t.Errorf("the decision does not say the run was aborted:\n%s", o.stdout)
	}
	res := onlyResult(t, out)
	if res.Status != result.Aborted || res.HTTP.Total.Requests == 0 {
		t.Errorf("saved result: status %q with %d requests, want aborted with what it measured", res.Status, res.HTTP.Total.Requests)
	}
}

func onlyResult(t *testing.T, dir string) *result.Result {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(m) != 1 {
		t.Fatalf("%s holds %d results, want 1", dir, len(m))
	}
	r, err := result.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestInterruptWritesPartialResult(t *testing.T) {
	var last atomic.Int64 // when the latest request arrived, in Unix ns
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		last.Store(time.Now().UnixNano())
		ok(w, r)
	})
	dir := scenarioFiles(t, url, `duration: 60s
http:
  load: {rate: 20/s}
  endpoints: [{name: root, path: /}]
gates: ["http.p95 < 5s"]
`)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var interrupted atomic.Int64
	time.AfterFunc(1500*time.Millisecond, func() {
		interrupted.Store(time.Now().UnixNano())
		cancel()
	})
	o := loadcheck(t, ctx, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	// The README: the load stops within a second, and the partial result
	// is still printed and written. Both are timed here, in the test's
	// process, from the moment of the interrupt (measured: under 0.1 s).
	at := time.Unix(0, interrupted.Load())
	t.Logf("last request %v after the interrupt, returned %v after it", time.Unix(0, last.Load()).Sub(at), time.Since(at))
	if late := time.Unix(0, last.Load()).Sub(at); late > time.Second {
		t.Errorf("a request arrived %v after the interrupt, want the load stopped within a second", late)
	}
	if took := time.Since(at); took > time.Second {
		t.Errorf("interrupted run returned %v after the interrupt, want the partial result within a second", took)
	}
	if o.code != ExitInterrupted || !strings.Contains(o.stdout, "INTERRUPTED") {
		t.Errorf("exit %d, want 130 and INTERRUPTED; stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	res := onlyResult(t, out)
	if res.Status != result.Interrupted || res.HTTP.Total.Requests < 10 {
		t.Errorf("saved result: status %q, %d requests; want interrupted with ≈ 30 requests", res.Status, res.HTTP.Total.Requests)
	}
}

// Bad input exits 2 with the file, line and column; golden files hold the
// messages (refresh with -update).
func TestBadInput(t *testing.T) {
	closed := httptest.NewServer(http.HandlerFunc(ok))
	closedURL := closed.URL
	closed.Close()
	notFoundURL := server(t, http.NotFoundHandler().ServeHTTP)
	tests := []struct {
		name string
		args func(dir string) []string
		fs   map[string]string
	}{
		{
			name: "target-not-reachable",
			fs: map[string]string{
				"t.yaml": "name: down\nbase_url: " + closedURL + "\n",
				"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n",
			},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml")} },
		},
		{
			name: "target-fails-to-start",
			fs: map[string]string{
				"t.yaml": "name: crashing\nbase_url: http://127.0.0.1:{port}\nstart:\n  command: [sh, -c, \"echo listening on {port} soon; echo cannot import app >&2; exit 3\"]\nready: {timeout: 5s}\n",
				"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n",
			},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml")} },
		},
		{
			name: "unknown-field",
			fs:   map[string]string{"s.yaml": "name: s\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /, wieght: 2}]\n"},
			args: func(dir string) []string { return []string{"validate", filepath.Join(dir, "s.yaml")} },
		},
		{
			name: "bad-rate-flag",
			fs:   map[string]string{"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n", "t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml"), "--rate", "fast"} },
		},
		{
			name: "missing-target-file",
			fs:   map[string]string{"s.yaml": "name: s\ntarget: targets/tpyo.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n"},
			args: func(dir string) []string { return []string{"validate", filepath.Join(dir, "s.yaml")} },
		},
		{
			name: "target-file-as-scenario",
			fs:   map[string]string{"t.yaml": "name: t\nready: {path: /health}\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "t.yaml")} },
		},
		{
			name: "duration-zero-flag",
			fs:   map[string]string{"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n", "t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml"), "--duration", "0s"} },
		},
		{
			name: "target-twice",
			fs:   map[string]string{"s.yaml": "name: s\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n", "a.yaml": "name: a\nbase_url: http://127.0.0.1:1\n", "b.yaml": "name: b\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string {
				return []string{"run", filepath.Join(dir, "s.yaml"), "--target", "a.yaml", "--target", "b.yaml"}
			},
		},
		{
			name: "rate-flag-zero",
			fs:   map[string]string{"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n", "t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml"), "--rate", "0/s"} },
		},
		{
			name: "not-ready",
			fs: map[string]string{
				"t.yaml": "name: up but not ready\nbase_url: " + notFoundURL + "\nready: {path: /api/health}\n",
				"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n",
			},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml")} },
		},
		{
			name: "rate-flag-sends-nothing",
			fs:   map[string]string{"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n", "t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string {
				return []string{"run", filepath.Join(dir, "s.yaml"), "--rate", "5/h", "--duration", "5s"}
			},
		},
		{
			name: "duration-flag-no-unit",
			fs:   map[string]string{"s.yaml": "name: s\ntarget: t.yaml\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n", "t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"},
			args: func(dir string) []string { return []string{"run", filepath.Join(dir, "s.yaml"), "--duration", "15"} },
		},
		{
			name: "sim-workers-zero",
			fs:   map[string]string{},
			args: func(dir string) []string { return []string{"sim", "--workers", "0"} },
		},
		{
			name: "unknown-flag",
			fs:   map[string]string{},
			args: func(dir string) []string { return []string{"run", "x.yaml", "--rat", "1/s"} },
		},
	}
	port := regexp.MustCompile(`127\.0\.0\.1:\d+|on \d+ soon`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := simtest.Files(t, tc.fs)
			o := loadcheck(t, context.Background(), tc.args(dir)...)
			if o.code != ExitBadInput {
				t.Errorf("exit %d, want 2; stderr:\n%s", o.code, o.stderr)
			}
			got := strings.ReplaceAll(o.stderr, dir+string(filepath.Separator), "")
			got = port.ReplaceAllString(got, "127.0.0.1:PORT")
			golden.Check(t, tc.name, []byte(got))
		})
	}
}

func TestValidateShippedFiles(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	targets, _ := filepath.Glob("../../targets/*.yaml")
	o := loadcheck(t, context.Background(), append([]string{"validate"}, append(files, targets...)...)...)
	if o.code != ExitPass {
		t.Errorf("validate of the shipped files: exit %d\n%s%s", o.code, o.stdout, o.stderr)
	}
	if n := strings.Count(o.stdout, "ok  "); n != len(files)+len(targets) {
		t.Errorf("%d files ok, want %d:\n%s", n, len(files)+len(targets), o.stdout)
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"run", "validate", "sim"} {
		o := loadcheck(t, context.Background(), cmd, "--help")
		if o.code != ExitPass || !strings.Contains(o.stdout, "Usage:") {
			t.Errorf("%s --help: exit %d, stdout:\n%s", cmd, o.code, o.stdout)
		}
	}
	o := loadcheck(t, context.Background(), "--help")
	for _, want := range []string{"Exit codes", "130"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("loadcheck --help lacks %q", want)
		}
	}
}

// TestResultsDefaultToReports checks that, run from the top of the
// repository, every command writes where reports/README.md says, and that
// git ignores what is generated there but keeps the README.
func TestResultsDefaultToReports(t *testing.T) {
	root := newRoot(io.Discard, io.Discard)
	for _, tc := range []struct{ cmd, flag, want string }{
		{"run", "out", "reports/runs"},
		{"compare", "out", "reports/runs"},
		{"saturate", "out", "reports/runs"},
		{"nightly", "history", "reports"},
	} {
		c, _, err := root.Find([]string{tc.cmd})
		if err != nil {
			t.Fatal(err)
		}
		if f := c.Flags().Lookup(tc.flag); f == nil || f.DefValue != tc.want {
			t.Errorf("%s --%s defaults to %v, want %s", tc.cmd, tc.flag, f, tc.want)
		}
	}
	readme, err := os.ReadFile("../../reports/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"demo/", "runs/", "nightly/", "YYYY-MM-DD/", "history.jsonl"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("reports/README.md does not explain %s", want)
		}
	}
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "--out reports/demo") {
		t.Error("make demo does not write into reports/demo")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	for _, tc := range []struct {
		path    string
		ignored bool
	}{
		{"reports/README.md", false},
		{"reports/.gitignore", false},
		{"reports/runs/20261123T100000Z-abcd1234.json", true},
		{"reports/demo/20261123T100000Z-abcd1234.json", true},
		{"reports/nightly/2026-11-23/report.html", true},
		{"reports/history.jsonl", true},
	} {
		cmd := exec.Command("git", "check-ignore", "-q", "--no-index", tc.path)
		cmd.Dir = "../.."
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil && !tc.ignored:
			t.Errorf("git ignores %s, which belongs to the repository", tc.path)
		case errors.As(err, &ee) && ee.ExitCode() == 1 && tc.ignored:
			t.Errorf("git does not ignore the generated %s", tc.path)
		case err != nil && !errors.As(err, &ee):
			t.Skipf("git check-ignore: %v", err)
		}
	}
}

// TestValidateRunningTarget: validate of a target loadcheck does not start
// checks, as run does, that something listens at its base_url; it never
// calls a port where nothing listens "already running".
func TestValidateRunningTarget(t *testing.T) {
	closed := httptest.NewServer(http.HandlerFunc(ok))
	closedURL := closed.URL
	closed.Close()
	up := server(t, ok)
	for _, tc := range []struct {
		url, want string
	}{
		{closedURL, "WARNING: nothing listens at " + strings.TrimPrefix(closedURL, "http://") + " now, so run would refuse it"},
		{up, "listening at " + strings.TrimPrefix(up, "http://") + " now"},
	} {
		dir := simtest.Files(t, map[string]string{"t.yaml": "name: t\nbase_url: " + tc.url + "\n"})
		o := loadcheck(t, context.Background(), "validate", filepath.Join(dir, "t.yaml"))
		if o.code != ExitPass || !strings.Contains(o.stdout, tc.want) || strings.Contains(o.stdout, "already running") {
			t.Errorf("validate of a target at %s: exit %d, want 0 and %q, never \"already running\":\n%s%s", tc.url, o.code, tc.want, o.stdout, o.stderr)
		}
	}
}
