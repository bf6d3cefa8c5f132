package target

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// pidRe finds the pids that helpers and scripts print: "pid=12 child=13".
var pidRe = regexp.MustCompile(`\b(?:pid|child)=(\d+)`)

func pidsIn(s string) []int {
	var pids []int
	for _, m := range pidRe.FindAllStringSubmatch(s, -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	return pids
}

// waitDead waits up to d until none of pids runs (a zombie counts as dead:
// an orphan's reaper may be slow) and reports those that still run.
func waitDead(t *testing.T, pids []int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var running []string
		for _, pid := range pids {
			if p, err := readStat(procRoot, pid); err == nil && !p.zombie {
				running = append(running, fmt.Sprintf("%d (%s)", pid, cmdline(procRoot, p)))
			}
		}
		if len(running) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("still running %v later: %s", d, strings.Join(running, ", "))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get returns the status and body of GET url, on a fresh connection.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// shTarget runs script with sh -c, so failures need no helper.
func shTarget(name, script string, timeout time.Duration) *scenario.Target {
	return &scenario.Target{
		Name:    name,
		BaseURL: "http://127.0.0.1:{port}",
		Start:   &scenario.Start{Command: []string{"sh", "-c", script, "{port}"}},
		Ready:   scenario.Ready{Path: "/", Timeout: timeout},
		Stop:    scenario.Stop{Signal: "TERM", Grace: 2 * time.Second},
	}
}

func TestStartStop(t *testing.T) {
	ctx := context.Background()
	log := &simtest.Buffer{}
	tg := helperTarget("helper, 1 stubborn worker", "-stubborn")
	tg.Stop.Grace = 300 * time.Millisecond
	r, err := Start(ctx, tg, Options{Log: log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { r.Stop(ctx) })

	if want := fmt.Sprintf("http://127.0.0.1:%d", r.Port()); r.Port() == 0 || r.BaseURL() != want {
		t.Errorf("BaseURL() = %q, Port() = %d, want %q", r.BaseURL(), r.Port(), want)
	}
	if code, _ := get(t, r.BaseURL()+"/health"); code != http.StatusOK {
		t.Errorf("GET /health = %d, want 200", code)
	}
	if rt := r.ReadyTime(); rt <= 0 || rt > 10*time.Second {
		t.Errorf("ReadyTime() = %v, want in (0, 10s]", rt)
	}

	// The worker is forked after the server listens: wait for it.
	if err := waitOutput(r, "child pid=", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var kids []Proc
	for deadline := time.Now().Add(5 * time.Second); len(kids) == 0 && time.Now().Before(deadline); {
		if kids, err = Descendants(r.PID()); err != nil {
			t.Fatalf("Descendants(%d): %v", r.PID(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(kids) != 1 || kids[0].PPID != r.PID() || kids[0].PGID != r.Pgid() || !strings.Contains(kids[0].Cmdline, "stubborn") {
		t.Fatalf("Descendants(%d) = %+v, want one stubborn child in group %d", r.PID(), kids, r.Pgid())
	}
	tree, err := Tree(r.PID())
	if err != nil || len(tree) != 2 || tree[0].PID != r.PID() || tree[1].PID != kids[0].PID {
		t.Errorf("Tree(%d) = %+v, %v; want the root, then %d", r.PID(), tree, err, kids[0].PID)
	}
	members, err := groupMembers(procRoot, r.Pgid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, m := range members {
		pids = append(pids, m.PID)
	}
	if len(pids) != 3 { // watchdog, root, stubborn child
		t.Errorf("group %d has %d processes, want 3 (watchdog, root, worker): %s", r.Pgid(), len(pids), describe(procRoot, members))
	}

	began := time.Now()
	if err := r.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	took := time.Since(began)
	if took < tg.Stop.Grace || took > tg.Stop.Grace+5*time.Second {
		t.Errorf("Stop took %v, want the grace period %v (the worker ignores SIGTERM) and little more", took, tg.Stop.Grace)
	}
	waitDead(t, pids, 0)
	if left, err := groupMembers(procRoot, r.Pgid(), 0); err != nil || len(left) > 0 {
		t.Errorf("after Stop, group %d has %s (%v)", r.Pgid(), describe(procRoot, left), err)
	}
	if err := waitPortClosed(r.BaseURL()); err != nil {
		t.Errorf("after Stop: %v", err)
	}
	if got, want := fmt.Sprint(r.ExitErr()), "signal: terminated"; got != want {
		t.Errorf("ExitErr() = %q, want %q", got, want)
	}
	if err := r.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if !strings.Contains(log.String(), "child pid=") {
		t.Errorf("Options.Log got %q, want the worker's output too", log.String())
	}
	if tail := strings.Join(r.Tail(10), "\n"); !strings.Contains(tail, "helper pid=") {
		t.Errorf("Tail(10) = %q, want the helper's first line", tail)
	}
}

func TestStartFails(t *testing.T) {
	unhealthy := helperTarget("unhealthy", "-status", "503")
	unhealthy.Ready.Timeout = 3 * time.Second
	noCommand := shTarget("typo", "", time.Second)
	noCommand.Start.Command = []string{"loadcheck-test-no-such-command"}
	badSignal := shTarget("bad signal", "exit 0", time.Second)
	badSignal.Stop.Signal = "TERMINATE"

	tests := []struct {
		name   string
		target *scenario.Target
		want   []string // parts of the error message
	}{
		{
			name:   "early exit",
			target: shTarget("crash", "echo boom >&2; exit 3", 5*time.Second),
			want:   []string{"target \"crash\" exited before it was ready (exit status 3); last output:\n  | boom"},
		},
		{
			name:   "never listens",
			target: shTarget("never listens", "sleep 30 & echo pid=$$ child=$!; wait", 500*time.Millisecond),
			want: []string{
				`target "never listens" did not become ready (still running after 500ms; last check: GET http://127.0.0.1:`,
				"connect: connection refused); last output:\n  | pid=",
			},
		},
		{
			name:   "unhealthy",
			target: unhealthy,
			want:   []string{`did not become ready (still running after 3s; last check: GET http://127.0.0.1:`, "/health: 503 Service Unavailable)", "\n  | helper pid="},
		},
		{
			name:   "no such command",
			target: noCommand,
			want:   []string{`target "typo" could not be started: exec: "loadcheck-test-no-such-command": executable file not found in $PATH; no output`},
		},
		{
			name:   "bad stop signal",
			target: badSignal,
			want:   []string{`target "bad signal" has an invalid stop signal; no output`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			r, err := Start(context.Background(), tc.target, Options{})
			if err == nil {
				r.Stop(context.Background())
				t.Fatalf("Start succeeded, want an error")
			}
			if limit := tc.target.Ready.Timeout + 5*time.Second; time.Since(began) > limit {
				t.Errorf("Start took %v, want at most %v", time.Since(began), limit)
			}
			if !errors.Is(err, ErrStart) {
				t.Errorf("Start: errors.Is(%v, ErrStart) = false", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Start: error\n%s\nwant it to contain\n%s", err, w)
				}
			}
			waitDead(t, pidsIn(err.Error()), 0)
		})
	}
}

func TestReadyTime(t *testing.T) {
	const delay = 300 * time.Millisecond
	r, err := Start(context.Background(), helperTarget("slow starter", "-delay", delay.String()), Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Stop(context.Background())
	if got := r.ReadyTime(); got < delay || got > 2*time.Second {
		t.Errorf("ReadyTime() = %v, want between %v and 2s", got, delay)
	}
}

func TestPortInEnv(t *testing.T) {
	tg := helperTarget("env")
	tg.Start.Env["HELPER_ECHO"] = "port={port}"
	r, err := Start(context.Background(), tg, Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Stop(context.Background())
	_, got := get(t, r.BaseURL()+"/env?name=HELPER_ECHO")
	if want := fmt.Sprintf("port=%d", r.Port()); got != want {
		t.Errorf("HELPER_ECHO in the target = %q, want %q", got, want)
	}
}

func TestPortTakenRetries(t *testing.T) {
	log := &simtest.Buffer{}
	marker := filepath.Join(t.TempDir(), "failed-once")
	r, err := Start(context.Background(), helperTarget("port taken once", "-fail-once", marker), Options{Log: log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Stop(context.Background())
	out := log.String()
	if strings.Count(out, "address already in use") != 1 || strings.Count(out, "helper pid=") != 2 {
		t.Errorf("output:\n%s\nwant one failed start and one that served", out)
	}
}

// cancelOn is an Options.Log that cancels a context once the output
// contains a string.
type cancelOn struct {
	simtest.Buffer
	s      string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.String(), c.s) {
		c.cancel()
	}
	return n, err
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the target runs and Start polls it.
	log := &cancelOn{s: "helper pid=", cancel: cancel}
	began := time.Now()
	r, err := Start(ctx, helperTarget("never ready", "-delay", "1h"), Options{Log: log})
	if err == nil {
		r.Stop(context.Background())
		t.Fatal("Start succeeded, want ctx's error")
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrStart) {
		t.Errorf("Start: %v; want context.Canceled and not ErrStart", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Start took %v, want it to return soon after the cancel", took)
	}
	pids := pidsIn(log.String())
	if len(pids) != 1 {
		t.Fatalf("output %q: want the helper's pid", log.String())
	}
	waitDead(t, pids, 0)
}

func TestTargetExitsOnItsOwn(t *testing.T) {
	r, err := Start(context.Background(), helperTarget("crashes later"), Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	get(t, r.BaseURL()+"/exit?code=7")
	select {
	case <-r.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("Exited() not closed 5s after the target exited")
	}
	if got := fmt.Sprint(r.ExitErr()); got != "exit status 7" {
		t.Errorf("ExitErr() = %q, want exit status 7", got)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// TestNoProcessOutlivesLoadcheck kills a stand-in for loadcheck with
// SIGKILL while its target runs a worker that ignores SIGTERM: the root
// dies by its parent-death signal, the worker by the group's watchdog.
func TestNoProcessOutlivesLoadcheck(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(self, "parent")
	parent.Env = append(os.Environ(), helperEnv+"=1")
	stderr := &simtest.Buffer{}
	parent.Stderr = stderr
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		parent.Process.Kill()
		parent.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	var rep parentReport
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			t.Fatalf("parent said %q (%v); stderr:\n%s", line, err, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("parent said nothing in 20s; stderr:\n%s", stderr)
	}
	if len(rep.PIDs) != 3 {
		t.Fatalf("parent reported %+v, want root, worker and watchdog", rep)
	}
	for _, pid := range rep.PIDs {
		if p, err := readStat(procRoot, pid); err != nil || p.pgid != rep.Pgid {
			t.Fatalf("process %d: %+v, %v; want it running in group %d", pid, p, err, rep.Pgid)
		}
	}

	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	parent.Wait()
	waitDead(t, rep.PIDs, 5*time.Second)
	if err := waitPortClosed(rep.BaseURL); err != nil {
		t.Error(err)
	}
}
