package cli

// Hostile input: files and flags that once took the machine down, and
// interrupts while loadcheck waits on something slow.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestValidateHostileFilesBounded: `validate` of a file of nested brackets
// (48 KB took 6.6 s and 1.9 GB before the bounds) and of a file over the
// size limit exits 2 naming the file, line and column, and allocates no
// more than reading a file of the size limit takes. Memory is measured
// with runtime.MemStats (TotalAlloc only grows), not wall time.
func TestValidateHostileFilesBounded(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "nested.yaml")
	if err := os.WriteFile(nested, []byte("name: "+strings.Repeat("[", 24000)+strings.Repeat("]", 24000)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, []byte("name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 50<<20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	tests := []struct{ file, want string }{
		{nested, nested + ":1:70: nested more than 64 levels deep"},
		{huge, huge + ":1:1: the file is 50 MiB: scenario and target files are limited to 1 MiB"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			o := loadcheck(t, context.Background(), "validate", tc.file)
			runtime.ReadMemStats(&after)
			if o.code != ExitBadInput || !strings.Contains(o.stderr, tc.want) {
				t.Errorf("exit %d, want 2 and %q; stderr:\n%s", o.code, tc.want, o.stderr)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("validate allocated %d KiB, want at most 4 MiB", alloc>>10)
			}
		})
	}
}

// TestSimWorkersBounded: `sim --workers 100000` once forked until the
// load average reached 3,600. It must exit 2 before starting anything.
func TestSimWorkersBounded(t *testing.T) {
	before := children()
	o := loadcheck(t, context.Background(), "sim", "--workers", "100000", "--listen", "127.0.0.1:0")
	if o.code != ExitBadInput || !strings.Contains(o.stderr, "--workers 100000: want 1 to 64 worker processes") {
		t.Errorf("exit %d, want 2 naming the bound; stderr:\n%s", o.code, o.stderr)
	}
	if after := children(); after > before {
		t.Errorf("%d child processes after sim --workers 100000, %d before: want none started", after, before)
	}
}

// children counts the live child processes of this test process.
func children() int {
	self := strconv.Itoa(os.Getpid())
	n := 0
	for _, p := range processes(func(pid int, _ proc) bool { return true }) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[1] == self {
			n++
		}
	}
	return n
}

// TestInterruptWhileTargetStarts sends SIGINT to a real loadcheck while its
// target is still starting (the start command sleeps 30 s before it would
// listen, and ignores SIGTERM): loadcheck exits 130 within 2 s and leaves
// no process behind.
func TestInterruptWhileTargetStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loadcheck")
	}
	bin := buildLoadcheck(t, t.TempDir())
	mark := newMark(t)
	dir := simtest.Files(t, map[string]string{
		"target.yaml": fmt.Sprintf(`name: slow starter
base_url: http://127.0.0.1:{port}
start:
  command: [sh, -c, "trap '' TERM; sleep 30; exec loadcheck sim --listen 127.0.0.1:{port}"]
  env: {%s: %q}
ready: {timeout: 60s}
stop: {grace: 10s}
`, markEnv, mark),
		"scenario.yaml": "name: s\ntarget: target.yaml\nduration: 5s\nhttp:\n  load: {rate: 5/s}\n  endpoints: [{name: a, path: /}]\n",
	})
	cmd := exec.Command(bin, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait until the sleep runs: the target is starting.
	deadline := time.Now().Add(10 * time.Second)
	pgid := 0
	for pgid == 0 && time.Now().Before(deadline) {
		for _, p := range marked(mark) {
			if len(p.cmdline) > 0 && p.cmdline[0] == "sleep" {
				pgid = p.pgid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pgid == 0 {
		cmd.Process.Kill()
		<-exited
		noneLeft(t, mark, 0)
		t.Fatalf("the target's sleep did not start within 10 s; stderr:\n%s", stderr.String())
	}
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-exited
		noneLeft(t, mark, pgid)
		t.Fatalf("loadcheck still running 15 s after SIGINT; stderr:\n%s", stderr.String())
	}
	if took := time.Since(signalled); took > 2*time.Second {
		t.Errorf("loadcheck took %v to exit after SIGINT, want at most 2 s", took.Round(time.Millisecond))
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Errorf("exit: %v, want status 130; stderr:\n%s", err, stderr.String())
	}
	noneLeft(t, mark, pgid)
}

// TestKilledRunLeavesCheckpoint kills a real loadcheck with SIGKILL 12 s
// into a 60 s run: the checkpoint in --out, marked incomplete, holds the
// requests measured up to at most one checkpoint interval before the
// kill, and `loadcheck report` renders it, saying what it is.
func TestKilledRunLeavesCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loadcheck and runs it for 12 s")
	}
	bin := buildLoadcheck(t, t.TempDir())
	var served atomic.Int64
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/search" {
			served.Add(1)
		}
		w.Write([]byte("ok"))
	})
	dir := scenarioFiles(t, url, `duration: 60s
http:
  load: {rate: 20/s}
  endpoints: [{name: search, path: /search}]
gates: ["http.p95 < 5s"]
`)
	out := t.TempDir()
	cmd := exec.Command(bin, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(12 * time.Second)
	cmd.Process.Kill() // SIGKILL: nothing runs after it
	cmd.Wait()
	sent := served.Load()

	m, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(m) != 1 {
		t.Fatalf("%s holds %v, want one checkpoint", out, m)
	}
	res, err := result.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	got := int64(res.HTTP.Total.Requests)
	t.Logf("checkpoint: %d requests over %v; the server got %d before the kill", got, res.Elapsed, sent)
	// The last checkpoint is at most CheckpointEvery (5 s) and a late tick
	// of the 1 s monitor older than the kill: 8 s at most on a busy
	// machine, 160 requests at 20/s.
	if res.Status != result.Incomplete || got > sent || got < sent-160 {
		t.Errorf("checkpoint: status %q with %d requests; the server got %d: want incomplete with at least %d",
			res.Status, got, sent, sent-160)
	}
	if g := res.Generator; g.Sent < uint64(got) || g.Scheduled < uint64(got) {
		t.Errorf("checkpoint: %d scheduled and %d sent for %d requests measured, want at least as many", g.Scheduled, g.Sent, got)
	}
	o := loadcheck(t, context.Background(), "report", m[0])
	if o.code != ExitPass || !strings.Contains(o.stdout, "INCOMPLETE: a checkpoint") || !strings.Contains(o.stdout, "search") {
		t.Errorf("report of the checkpoint: exit %d, want 0 and INCOMPLETE; stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
}

// TestErrorFilesExit2 runs every bad file of the scenario package's
// golden tests through the command line: `validate` for a scenario, `run
// --target` for a target file, `run` for a target file given as the
// scenario. Each exits 2 with exactly the golden
// message: file:line:col, the field, and the fix.
func TestErrorFilesExit2(t *testing.T) {
	t.Setenv("LOADCHECK_TEST_UNSET_TOKEN", "") // missing-env.yaml needs it unset
	os.Unsetenv("LOADCHECK_TEST_UNSET_TOKEN")
	const dir = "../scenario/testdata/errors"
	bad, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(bad) < 20 {
		t.Fatalf("%d files in %s, want the scenario package's golden cases", len(bad), dir)
	}
	valid := simtest.Files(t, map[string]string{"s.yaml": "name: s\nduration: 1s\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\n"})
	for _, file := range bad {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			args := []string{"validate", file}
			switch {
			case name == "passed-a-target-file": // validate takes either kind
				args = []string{"run", file, "--out", ""}
			case strings.HasPrefix(name, "target-"):
				args = []string{"run", filepath.Join(valid, "s.yaml"), "--target", file, "--out", ""}
			}
			golden, err := os.ReadFile(filepath.Join(dir, name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			want := "loadcheck: " + strings.ReplaceAll(string(golden), "testdata/errors/", dir+"/")
			o := loadcheck(t, context.Background(), args...)
			if o.code != ExitBadInput || o.stderr != want {
				t.Errorf("%s: exit %d, want 2; stderr:\n%s\nwant:\n%s", strings.Join(args, " "), o.code, o.stderr, want)
			}
		})
	}
}

// TestSimStartInterruptible: a sim interrupted before it has started its
// workers (Ctrl-C arrives while it starts them; here, before) starts no
// more of them and exits 130.
func TestSimStartInterruptible(t *testing.T) {
	before := children()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := loadcheck(t, ctx, "sim", "--workers", "64", "--listen", "127.0.0.1:0")
	if o.code != ExitInterrupted {
		t.Errorf("exit %d, want 130; stderr:\n%s", o.code, o.stderr)
	}
	if after := children(); after > before {
		t.Errorf("%d child processes after an interrupted sim start, %d before: want none", after, before)
	}
}
