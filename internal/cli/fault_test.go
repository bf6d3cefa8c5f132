package cli

// The fault suite: loadcheck against targets that die, hang, drop their
// websockets, a result folder it cannot write, and SIGINT/SIGTERM in each
// phase of a run. Every test runs real processes (sim targets started from
// target files) and is bounded to well under 30 s.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// markEnv is set in the environment of every sim target these tests
// start, with a value unique to the test, so that its processes can be
// found in /proc (children inherit it).
const markEnv = "LOADCHECK_FAULT_MARK"

// simTargetFile returns a target file that starts a one-worker sim with
// extra flags, marked with mark.
func simTargetFile(mark string, extra ...string) string {
	cmd := []string{"loadcheck", "sim", "--workers", "1", "--listen", "127.0.0.1:{port}",
		"--search-cpu", "0s", "--search-wait", "0s", "--lookup-miss", "0s", "--stop-grace", "1s"}
	cmd = append(cmd, extra...)
	q := make([]string, len(cmd))
	for i, c := range cmd {
		q[i] = strconv.Quote(c)
	}
	return fmt.Sprintf(`name: sim under test
base_url: http://127.0.0.1:{port}
start:
  command: [%s]
  env: {%s: %q}
ready: {path: /api/health, timeout: 20s}
stop: {signal: TERM, grace: 5s}
`, strings.Join(q, ", "), markEnv, mark)
}

func newMark(t *testing.T) string {
	return fmt.Sprintf("%s-%d-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), os.Getpid(), time.Now().UnixNano())
}

// proc is a process found in /proc.
type proc struct {
	pid, pgid int
	state     string
	cmdline   []string
}

func readProc(pid int) (proc, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces and parens.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return proc{}, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 3 {
		return proc{}, false
	}
	pgid, _ := strconv.Atoi(f[2])
	p := proc{pid: pid, pgid: pgid, state: f[0]}
	if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		p.cmdline = strings.Split(strings.TrimRight(string(cl), "\x00"), "\x00")
	}
	return p, true
}

// processes returns the live processes for which keep is true.
func processes(keep func(pid int, p proc) bool) []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		p, ok := readProc(pid)
		if ok && keep(pid, p) {
			out = append(out, p)
		}
	}
	return out
}

// marked returns the processes whose environment carries mark.
func marked(mark string) []proc {
	want := []byte(markEnv + "=" + mark + "\x00")
	return processes(func(pid int, _ proc) bool {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		return err == nil && bytes.Contains(append(env, 0), want)
	})
}

// simAddr waits until a marked sim process is running and returns its
// listen address and process group.
func simAddr(ctx context.Context, mark string) (addr string, pgid int, err error) {
	for {
		for _, p := range marked(mark) {
			for i, a := range p.cmdline {
				if a == "--listen" && i+1 < len(p.cmdline) {
					return p.cmdline[i+1], p.pgid, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", 0, fmt.Errorf("no sim process marked %s appeared", mark)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// simState is the part of the sim's /api/debug/state these tests read.
type simState struct {
	PID        int   `json:"pid"`
	Requests   int64 `json:"requests"` // those of the load: the polls are left out
	Boards     int   `json:"boards"`
	Broadcasts int64 `json:"broadcasts"`
}

// simPoller reads the state of a one-worker sim.
type simPoller struct {
	addr  string
	polls int64 // answered polls, which the sim counts as requests
}

func (p *simPoller) get() (simState, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + p.addr + "/api/debug/state")
	if err != nil {
		return simState{}, err
	}
	defer resp.Body.Close()
	p.polls++
	var s simState
	err = json.NewDecoder(resp.Body).Decode(&s)
	s.Requests -= p.polls
	return s, err
}

// wait polls the sim until cond holds and returns that state.
func (p *simPoller) wait(ctx context.Context, what string, cond func(simState) bool) (simState, error) {
	for {
		if s, err := p.get(); err == nil && cond(s) {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return simState{}, fmt.Errorf("sim at %s: gave up waiting until %s", p.addr, what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// noneLeft fails the test when a process of the target outlives the run:
// one with its mark, or one in its process group.
func noneLeft(t *testing.T, mark string, pgid int) {
	t.Helper()
	var left []proc
	deadline := time.Now().Add(3 * time.Second) // time for init to reap orphans
	for {
		left = append(marked(mark), processes(func(_ int, p proc) bool { return pgid > 0 && p.pgid == pgid })...)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range left {
		t.Errorf("target process left behind: pid %d pgid %d state %s: %q", p.pid, p.pgid, p.state, p.cmdline)
		syscall.Kill(p.pid, syscall.SIGKILL) // do not leak it into other tests
	}
}

var diedAt = regexp.MustCompile(`the target exited during the run, ([0-9.]+m?s) into the measured phase`)

// TestFaultTargetKilled kills the sim's worker part-way through: the
// requests that follow fail and are counted, the run goes on to its end
// (or stops at an abort condition), and the report says the target died.
func TestFaultTargetKilled(t *testing.T) {
	tests := []struct {
		name   string
		abort  string
		status result.Status
	}{
		{"run goes on to its end", "", result.Complete},
		{"abort condition stops it", "abort: {when: [\"http.errors > 20%\"]}\n", result.Aborted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mark := newMark(t)
			dir := simtest.Files(t, map[string]string{
				"target.yaml": simTargetFile(mark),
				"scenario.yaml": `name: target dies
target: target.yaml
duration: 5s
http:
  timeout: 2s
  load: {rate: 20/s}
  endpoints: [{name: health, path: /api/health}]
gates: ["http.errors < 1%"]
` + tc.abort,
			})
			out := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			var killed time.Time
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				addr, _, err := simAddr(ctx, mark)
				if err != nil {
					t.Error(err)
					return
				}
				sim := &simPoller{addr: addr}
				s, err := sim.wait(ctx, "the load has sent 20 requests", func(s simState) bool { return s.Requests >= 20 })
				if err != nil {
					t.Error(err)
					return
				}
				killed = time.Now()
				if err := syscall.Kill(s.PID, syscall.SIGKILL); err != nil {
					t.Errorf("kill worker %d: %v", s.PID, err)
				}
			}()
			start := time.Now()
			o := loadcheck(t, ctx, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
			took := time.Since(start)
			wg.Wait()
			if t.Failed() {
				return
			}
			if o.code != ExitFail {
				t.Errorf("exit %d, want 1 (the error gate fails); stderr:\n%s", o.code, o.stderr)
			}
			res := onlyResult(t, out)
			tot := res.HTTP.Total
			if res.Status != tc.status {
				t.Errorf("status %q, want %q (reason %q)", res.Status, tc.status, res.Reason)
			}
			if tot.Errors == 0 || tot.Errors == tot.Requests {
				t.Errorf("%d errors of %d requests, want the requests after the kill to fail and those before to pass", tot.Errors, tot.Requests)
			}
			kinds := map[string]uint64{}
			for _, k := range tot.ErrorKinds {
				kinds[k.Kind] = k.Count
			}
			if kinds["refused"] == 0 {
				t.Errorf("error kinds %v, want connection refused among them", kinds)
			}
			m := diedAt.FindStringSubmatch(res.Reason)
			if m == nil {
				t.Errorf("reason %q does not say when the target exited", res.Reason)
			} else if at, _ := time.ParseDuration(m[1]); (at - killed.Sub(res.Start)).Abs() > time.Second {
				t.Errorf("reason %q: the worker was killed %v into the measured phase", res.Reason, killed.Sub(res.Start).Round(time.Millisecond))
			}
			if !strings.Contains(o.stdout, "the target exited during the run") {
				t.Errorf("the report does not say the target exited:\n%s", o.stdout)
			}
			afterKill := took - killed.Sub(start)
			switch tc.status {
			case result.Complete:
				if res.Elapsed < 4500*time.Millisecond {
					t.Errorf("measured %v, want the whole 5 s: a dead target does not end the run", res.Elapsed)
				}
			case result.Aborted:
				if !strings.Contains(o.stdout, "ABORTED") || afterKill > 4*time.Second {
					t.Errorf("run ended %v after the kill, want an abort within 2–3 s; stdout:\n%s", afterKill.Round(time.Millisecond), o.stdout)
				}
			}
		})
	}
}

// TestFaultTargetHangs runs against a server that never answers the load's
// path: every request ends at http.timeout and counts as a timeout.
func TestFaultTargetHangs(t *testing.T) {
	release := make(chan struct{})
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hang" {
			return // the reachability check gets its answer
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	dir := scenarioFiles(t, url, `duration: 2s
http:
  timeout: 1s
  load: {rate: 10/s}
  endpoints: [{name: hang, path: /hang}]
gates: ["http.errors < 1%"]
`)
	out := t.TempDir()
	start := time.Now()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	took := time.Since(start)
	if o.code != ExitFail {
		t.Errorf("exit %d, want 1; stderr:\n%s", o.code, o.stderr)
	}
	if took > 8*time.Second {
		t.Errorf("run took %v, want about 2 s + the 1 s timeout", took)
	}
	res := onlyResult(t, out)
	tot := res.HTTP.Total
	if tot.Requests < 15 || tot.Errors != tot.Requests {
		t.Fatalf("%d errors of %d requests, want all ≈ 20 to fail", tot.Errors, tot.Requests)
	}
	if len(tot.ErrorKinds) != 1 || tot.ErrorKinds[0].Kind != "timeout" || tot.ErrorKinds[0].Count != tot.Requests {
		t.Errorf("error kinds %+v, want every request counted as a timeout", tot.ErrorKinds)
	}
	// The timeouts have their own latency; no success, so no percentile.
	if p50 := tot.ErrorLatency.P50.Duration(); p50 < time.Second || p50 > 1500*time.Millisecond {
		t.Errorf("error p50 %v, want the 1 s timeout", p50)
	}
	if tot.Latency.P50 != 0 {
		t.Errorf("latency p50 %v with no success, want none", tot.Latency.P50.Duration())
	}
	if !strings.Contains(o.stdout, "timeout") {
		t.Errorf("the report does not name the timeouts:\n%s", o.stdout)
	}
}

// TestFaultBoardsClosed has the sim close every board part-way through the
// broadcasts: the boards reconnect, and the report counts the reconnects
// and says how long the boards were away and which deliveries that
// excused, rather than hiding the window.
func TestFaultBoardsClosed(t *testing.T) {
	mark := newMark(t)
	dir := simtest.Files(t, map[string]string{
		"target.yaml": simTargetFile(mark, "--ws-close-after", "2s"),
		"scenario.yaml": "name: boards dropped\ntarget: target.yaml\nduration: 5s\n" +
			simtest.HealthAndBoards(3, "1s", "10/s") + `gates: ["ws.loss == 0%", "ws.connected == 3"]
`,
	})
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	o := loadcheck(t, ctx, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	if o.code != ExitPass {
		t.Errorf("exit %d, want 0: reconnected boards miss nothing they were expected to get; stdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
	}
	res := onlyResult(t, out)
	ws := res.WebSocket
	if ws == nil {
		t.Fatal("no websocket section in the result")
	}
	if ws.Reconnects < 3 || ws.Connected != 3 {
		t.Errorf("%d reconnects, %d boards connected at the end; want every board (3) to reconnect", ws.Reconnects, ws.Connected)
	}
	for _, b := range ws.PerBoard {
		if b.Reconnects < 1 || b.Disconnected <= 0 {
			t.Errorf("board %d: %d reconnects, away %v; want the drop on its account", b.ID, b.Reconnects, b.Disconnected)
		}
	}
	if ws.Disconnected <= 0 {
		t.Errorf("boards away for %v in total, want the window they missed", ws.Disconnected)
	}
	if ws.Missing != 0 || ws.Expected == 0 {
		t.Errorf("expected %d, missing %d; want deliveries while connected all to arrive", ws.Expected, ws.Missing)
	}
	for _, want := range []string{fmt.Sprintf("%d reconnects", ws.Reconnects), "away"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("the report does not say %q:\n%s", want, o.stdout)
		}
	}
}

// TestFaultOutUnwritable gives --out a folder that cannot be used — even by
// root — and one that does not exist yet: a clear message, the terminal
// report still printed, and the result saved (in the temporary folder
// when --out fails).
func TestFaultOutUnwritable(t *testing.T) {
	url := server(t, ok)
	dir := scenarioFiles(t, url, `duration: 1s
http:
  load: {rate: 10/s}
  endpoints: [{name: root, path: /}]
gates: ["http.errors < 1%"]
`)
	// The fallback is os.TempDir(): point it at a folder of the test's own.
	fallback := t.TempDir()
	t.Setenv("TMPDIR", fallback)

	base := t.TempDir()
	aFile := filepath.Join(base, "a-file")
	if err := os.WriteFile(aFile, []byte("not a folder\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(base, "a", "b", "c")
	fixed := func(p string) func(*testing.T) string { return func(*testing.T) string { return p } }
	tests := []struct {
		name     string
		out      func(*testing.T) string
		wantCode int
		wantErr  string // in stderr
		savedIn  string // where the result must be; "" for --out
	}{
		{"a file in place of the folder", fixed(aFile), ExitBadInput, "cannot be created", fallback},
		{"a folder under a file", fixed(filepath.Join(aFile, "results")), ExitBadInput, "cannot be created", fallback},
		{"read-only folder", readOnlyDir, ExitBadInput, "is not writable", fallback},
		{"missing nested folder", fixed(nested), ExitPass, "", nested},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearJSON(t, fallback)
			out := tc.out(t)
			o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
			if o.code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", o.code, tc.wantCode, o.stderr)
			}
			if !strings.Contains(o.stdout, "PASS: the one gate holds") {
				t.Errorf("the terminal report is missing:\n%s", o.stdout)
			}
			if tc.wantErr != "" {
				for _, want := range []string{"--out " + out, tc.wantErr, "saved to " + fallback} {
					if !strings.Contains(o.stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, o.stderr)
					}
				}
			}
			res := onlyResult(t, tc.savedIn)
			if res.Status != result.Complete || res.HTTP.Total.Requests == 0 {
				t.Errorf("saved result: status %q, %d requests", res.Status, res.HTTP.Total.Requests)
			}
		})
	}
}

// readOnlyDir returns a folder in which nobody can create files. Root
// ignores permission bits, so as root the folder is made immutable
// (chattr +i) instead; the test is skipped where neither works.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "read-only")
	if err := os.Mkdir(d, 0o555); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", d).CombinedOutput(); err != nil {
			t.Skipf("root, and chattr +i fails here (%v: %s): no folder is read-only for root", err, out)
		}
		// Registered after TempDir's clean-up, so it runs first.
		t.Cleanup(func() { exec.Command("chattr", "-i", d).Run() })
	}
	if f, err := os.CreateTemp(d, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("cannot make a read-only folder here")
	}
	return d
}

func clearJSON(t *testing.T, dir string) {
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range m {
		os.Remove(f)
	}
}

// buildLoadcheck builds cmd/loadcheck into dir, for tests that need a real
// loadcheck process to signal.
func buildLoadcheck(t *testing.T, dir string) string {
	t.Helper()
	// go test puts the toolchain's bin folder first on PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is not on PATH: %v", err)
	}
	bin := filepath.Join(dir, "loadcheck")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/loadcheck/loadcheck/cmd/loadcheck")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestFaultSignals sends SIGINT and SIGTERM to a real loadcheck process in
// each phase of a run — warm-up, measured, and the grace after the last
// broadcast — and checks that it exits 130, writes a partial result marked
// interrupted, and leaves no process of its target behind.
func TestFaultSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loadcheck and runs six real runs")
	}
	bin := buildLoadcheck(t, t.TempDir())
	phases := []struct {
		name string
		// Warm-up, measured duration, grace after the last broadcast.
		warmup, duration, grace string
		// at waits, from the moment the boards are connected, until the
		// run is in the phase.
		at func(ctx context.Context, sim *simPoller) error
	}{
		{
			name: "warm-up", warmup: "6s", duration: "2s", grace: "1s",
			at: func(ctx context.Context, sim *simPoller) error {
				time.Sleep(time.Second)
				if s, err := sim.get(); err != nil || s.Broadcasts > 0 || s.Requests == 0 {
					return fmt.Errorf("state %+v, %v: want the warm-up (requests, no broadcast yet)", s, err)
				}
				return nil
			},
		},
		{
			name: "measured", warmup: "1s", duration: "8s", grace: "1s",
			at: func(ctx context.Context, sim *simPoller) error {
				_, err := sim.wait(ctx, "the broadcasts began", func(s simState) bool { return s.Broadcasts > 0 })
				time.Sleep(time.Second)
				return err
			},
		},
		{
			name: "grace", warmup: "1s", duration: "2s", grace: "8s",
			at: func(ctx context.Context, sim *simPoller) error {
				s, err := sim.wait(ctx, "the broadcasts began", func(s simState) bool { return s.Broadcasts > 0 })
				if err != nil {
					return err
				}
				// The broadcasts (10/s) have ended when none came for
				// 700 ms: the run is in its grace.
				last, since := s.Broadcasts, time.Now()
				for time.Since(since) < 700*time.Millisecond {
					time.Sleep(100 * time.Millisecond)
					if s, err := sim.get(); err == nil && s.Broadcasts != last {
						last, since = s.Broadcasts, time.Now()
					}
					if ctx.Err() != nil {
						return errors.New("the broadcasts did not end")
					}
				}
				return nil
			},
		},
	}
	for _, ph := range phases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(ph.name+"/"+sig.String(), func(t *testing.T) {
				t.Parallel()
				mark := newMark(t)
				dir := simtest.Files(t, map[string]string{
					"target.yaml": simTargetFile(mark),
					"scenario.yaml": fmt.Sprintf(`name: interrupted
target: target.yaml
warmup: %s
duration: %s
http:
  load: {rate: 20/s}
  endpoints: [{name: health, path: /api/health}]
websocket:
  boards: 2
  path: /ws/dispatch
  grace: %s
  broadcast: {path: /api/dispatch/broadcast, rate: 10/s}
gates: ["http.errors < 1%%"]
`, ph.warmup, ph.duration, ph.grace),
				})
				out := t.TempDir()
				ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
				defer cancel()
				cmd := exec.Command(bin, "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				addr, pgid, err := simAddr(ctx, mark)
				if err == nil {
					sim := &simPoller{addr: addr}
					// The load starts once every board is connected.
					if _, err = sim.wait(ctx, "both boards connected", func(s simState) bool { return s.Boards >= 2 }); err == nil {
						err = ph.at(ctx, sim)
					}
				}
				if err != nil {
					t.Error(err)
					cmd.Process.Kill()
					<-exited
					noneLeft(t, mark, pgid)
					return
				}
				signalled := time.Now()
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				select {
				case err = <-exited:
				case <-time.After(15 * time.Second):
					// SIGQUIT makes a Go program print its goroutines.
					cmd.Process.Signal(syscall.SIGQUIT)
					select {
					case <-exited:
					case <-time.After(3 * time.Second):
						cmd.Process.Kill()
						<-exited
					}
					noneLeft(t, mark, pgid)
					t.Fatalf("loadcheck still running 15 s after %v; stderr:\n%s", sig, stderr.String())
				}
				if took := time.Since(signalled); took > 8*time.Second {
					t.Errorf("loadcheck took %v to exit after %v", took.Round(time.Millisecond), sig)
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
					t.Errorf("exit: %v, want status 130; stderr:\n%s", err, stderr.String())
				}
				if !strings.Contains(stdout.String(), "INTERRUPTED") {
					t.Errorf("the report does not say INTERRUPTED:\n%s", stdout.String())
				}
				res := onlyResult(t, out)
				if res.Status != result.Interrupted {
					t.Errorf("saved result: status %q, want interrupted", res.Status)
				}
				noneLeft(t, mark, pgid)
			})
		}
	}
}
