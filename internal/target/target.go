package target

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// ErrStart is matched (errors.Is) by every error of Start that means the
// target could not be started or did not become ready. The CLI maps it to
// exit code 2.
var ErrStart = errors.New("target did not start")

// Defaults for fields a scenario.Target leaves zero.
const (
	defaultReadyPath    = "/"
	defaultReadyTimeout = 30 * time.Second
	defaultGrace        = 10 * time.Second
)

const (
	// pollEvery is the pause between two readiness checks.
	pollEvery = 50 * time.Millisecond
	// pollTimeout bounds one readiness request.
	pollTimeout = 2 * time.Second
	// interruptedStartGrace bounds the stop signal's grace when Start is
	// interrupted: then the group is killed.
	interruptedStartGrace = time.Second
	// portAttempts is how often Start picks a new port when the target
	// says its port is taken.
	portAttempts = 3
	// watchdogScript leads the target's process group: it ignores the
	// usual stop signals and, once its stdin ends without a newline (its
	// only writer, loadcheck, died), kills its own process group.
	watchdogScript = `trap '' HUP INT QUIT TERM; read line || kill -s KILL 0`
)

// Options tunes Start.
type Options struct {
	// Log receives the target's stdout and stderr as they are written;
	// nil discards them. The last lines are kept in any case (see
	// Running.Tail). A slow Log slows the target, whose writes block.
	Log io.Writer
}

// Running is a target started by Start. Its methods are safe for
// concurrent use.
type Running struct {
	name    string
	baseURL string
	port    int // 0 when the target file uses no {port}
	sig     syscall.Signal
	grace   time.Duration

	cmd      *exec.Cmd
	pid      int
	pgid     int
	watchdog *exec.Cmd // nil when /bin/sh could not be started
	armed    *os.File  // write end of the watchdog's stdin

	out     *lineRing
	outR    *os.File
	outDone chan struct{} // closed when every writer of the output pipe is gone

	exited  chan struct{} // closed when the root process has exited
	exitErr error         // from cmd.Wait, set before exited is closed

	readyTime time.Duration
	ready     bool

	stopOnce sync.Once
	stopErr  error
}

// StartError reports a target that could not be started or did not become
// ready. errors.Is(err, ErrStart) holds for it.
type StartError struct {
	// Target is the target's name.
	Target string
	// Problem says what happened, e.g. "exited before it was ready (exit
	// status 1)".
	Problem string
	// Tail is the last lines of the target's output, oldest first.
	Tail []string
	// Err is the underlying error, if any.
	Err error
	// addrInUse: the target exited early complaining that its port is
	// taken, so Start may try another port.
	addrInUse bool
}

// Error returns the problem followed by the output tail, one indented line
// each.
func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "target %q %s", e.Target, e.Problem)
	if len(e.Tail) == 0 {
		b.WriteString("; no output")
		return b.String()
	}
	b.WriteString("; last output:")
	for _, l := range e.Tail {
		b.WriteString("\n  | ")
		b.WriteString(l)
	}
	return b.String()
}

// Is reports whether target is ErrStart.
func (e *StartError) Is(target error) bool { return target == ErrStart }

// Unwrap returns the underlying error.
func (e *StartError) Unwrap() error { return e.Err }

// Start starts t, which must have a start command, and waits until it
// answers GET BaseURL+Ready.Path with a 2xx status, within Ready.Timeout:
// the readiness rule CheckReachable applies to targets started elsewhere.
//
// "{port}" in the base URL, the command, the directory and the environment
// values is replaced by a free loopback port. A command whose first word is
// "loadcheck" runs this very executable; any other is looked up in PATH (a
// relative path with a slash is taken relative to the directory). The
// environment is loadcheck's plus Start.Env. The target runs in a process
// group of its own and cannot outlive loadcheck (see the package
// documentation).
//
// When the target exits early or is not ready in time, Start stops
// everything it started and returns a *StartError with the exit status and
// the last lines of output. When ctx ends first, Start stops the target
// and returns an error wrapping ctx.Err(), which does not match ErrStart.
// After a successful Start the caller must call Stop, which also ends the
// goroutines that watch the target.
func Start(ctx context.Context, t *scenario.Target, opts Options) (*Running, error) {
	if t.Start == nil || len(t.Start.Command) == 0 {
		return nil, &StartError{Target: t.Name, Problem: "has no start command"}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("target %q: not started: %w", t.Name, err)
	}
	sig, err := parseSignal(t.Stop.Signal)
	if err != nil {
		return nil, &StartError{Target: t.Name, Problem: "has an invalid stop signal", Err: err}
	}
	usesPort := strings.Contains(t.BaseURL, "{port}") || strings.Contains(t.Start.Dir, "{port}") ||
		slices.ContainsFunc(t.Start.Command, hasPort)
	for _, v := range t.Start.Env {
		usesPort = usesPort || hasPort(v)
	}
	for attempt := 1; ; attempt++ {
		port := 0
		if usesPort {
			if port, err = freePort(); err != nil {
				return nil, &StartError{Target: t.Name, Problem: "could not get a free port", Err: err}
			}
		}
		r, err := start(ctx, t, opts, port, sig)
		var se *StartError
		if err != nil && usesPort && attempt < portAttempts && errors.As(err, &se) && se.addrInUse {
			continue
		}
		return r, err
	}
}

func hasPort(s string) bool { return strings.Contains(s, "{port}") }

func start(ctx context.Context, t *scenario.Target, opts Options, port int, sig syscall.Signal) (*Running, error) {
	fail := func(err error) error {
		return &StartError{Target: t.Name, Problem: fmt.Sprintf("could not be started: %v", err), Err: err}
	}
	sub := func(s string) string { return s }
	if port != 0 {
		p := strconv.Itoa(port)
		sub = func(s string) string { return strings.ReplaceAll(s, "{port}", p) }
	}
	cmd, err := command(t.Start, sub)
	if err != nil {
		return nil, fail(err)
	}
	r := &Running{
		name:    t.Name,
		baseURL: sub(t.BaseURL),
		port:    port,
		sig:     sig,
		grace:   t.Stop.Grace,
		out:     newLineRing(outputLines, opts.Log),
		outDone: make(chan struct{}),
		exited:  make(chan struct{}),
	}
	if r.grace <= 0 {
		r.grace = defaultGrace
	}
	began, err := r.spawn(cmd)
	if err != nil {
		return nil, fail(err)
	}
	go r.copyOutput()
	go r.wait()

	err = r.waitReady(ctx, began, t.Ready, t.TLSConfig())
	if err == nil {
		return r, nil
	}
	return nil, r.abandon(ctx, err)
}

// command is the target's start command with {port} substituted by sub:
// the executable found, in its folder, with its environment added to
// loadcheck's.
func command(s *scenario.Start, sub func(string) string) (*exec.Cmd, error) {
	args := make([]string, len(s.Command))
	for i, a := range s.Command {
		args[i] = sub(a)
	}
	dir := sub(s.Dir)
	path, err := scenario.ResolveCommand(args[0], dir)
	if err != nil {
		return nil, err
	}
	env := os.Environ()
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		env = append(env, k+"="+sub(s.Env[k]))
	}
	return &exec.Cmd{Path: path, Args: args, Dir: dir, Env: env}, nil
}

// spawn starts cmd in the process group of a new watchdog, its output
// into r's ring, sets r's pid and pgid, and returns when the process
// started, the start of target.ready_time.
func (r *Running) spawn(cmd *exec.Cmd) (time.Time, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return time.Time{}, err
	}
	r.outR = outR
	// Without /bin/sh the target leads its own group (pgid 0 below).
	r.watchdog, r.armed = startWatchdog()
	wdPID := 0
	if r.watchdog != nil {
		wdPID = r.watchdog.Process.Pid
	}
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pgid:      wdPID,
		Pdeathsig: syscall.SIGKILL,
	}
	r.cmd = cmd
	began := time.Now()
	err = r.cmd.Start()
	outW.Close() // the target holds its own copy now
	if err != nil {
		outR.Close()
		r.disarm()
		return time.Time{}, err
	}
	r.pid = r.cmd.Process.Pid
	r.pgid = r.pid
	if r.watchdog != nil {
		r.pgid = wdPID
	}
	return began, nil
}

// abandon stops a target that did not become ready, and returns err, the
// reason, with the target's last output lines when it is a StartError.
func (r *Running) abandon(ctx context.Context, err error) error {
	// Stop what was started even when ctx is done; the stop bounds itself.
	// After an interrupt the grace is short: a target that never became
	// ready has no requests to drain, and Ctrl-C must take effect at once.
	sctx, cancel := context.WithoutCancel(ctx), context.CancelFunc(func() {})
	if ctx.Err() != nil {
		sctx, cancel = context.WithTimeout(sctx, interruptedStartGrace)
	}
	defer cancel()
	stopErr := r.stop(sctx)
	var se *StartError
	if errors.As(err, &se) {
		// After the stop every writer of the output is gone: the tail is
		// complete.
		se.Tail = r.out.Tail(errorTailLines)
		se.addrInUse = se.addrInUse && addrInUse(se.Tail)
	}
	if stopErr != nil {
		return errors.Join(err, stopErr)
	}
	return err
}

// waitReady polls the readiness URL until it answers 2xx. It returns
// a *StartError on early exit or timeout, and a wrapped ctx.Err() when ctx
// ends first.
func (r *Running) waitReady(ctx context.Context, began time.Time, ready scenario.Ready, tlsConf *tls.Config) error {
	timeout := ready.Timeout
	if timeout <= 0 {
		timeout = defaultReadyTimeout
	}
	path := ready.Path
	if path == "" {
		path = defaultReadyPath
	}
	readyURL := joinURL(r.baseURL, path)
	deadline := began.Add(timeout)
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: tlsConf}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	wait := time.NewTimer(0)
	defer wait.Stop()
	expire := time.NewTimer(time.Until(deadline))
	defer expire.Stop()
	var last string // the outcome of the last check, for the timeout error
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("target %q: interrupted while waiting until ready: %w", r.name, ctx.Err())
		case <-r.exited:
			return &StartError{
				Target:    r.name,
				Problem:   fmt.Sprintf("exited before it was ready (%s)", exitStatus(r.exitErr)),
				Err:       r.exitErr,
				addrInUse: true, // if the output says so; checked with the tail
			}
		case <-expire.C:
			select {
			case <-r.exited:
				continue // report the exit rather than the timeout
			default:
			}
			if last == "" {
				last = "none finished"
			}
			return &StartError{
				Target:  r.name,
				Problem: fmt.Sprintf("did not become ready (still running after %v; last check: %s)", timeout, last),
			}
		case <-wait.C:
		}
		limit := min(pollTimeout, time.Until(deadline))
		ok, timedOut, outcome := check(ctx, client, readyURL, limit)
		if ok {
			r.readyTime = time.Since(began)
			r.ready = true
			return nil
		}
		if !timedOut || limit == pollTimeout || last == "" {
			// A check cut short by the overall deadline says nothing new.
			last = outcome
		}
		wait.Reset(pollEvery)
	}
}

// check sends one readiness request. timedOut reports that it got no
// answer within timeout.
func check(ctx context.Context, client *http.Client, readyURL string, timeout time.Duration) (ok, timedOut bool, outcome string) {
	rctx, cancel := context.WithTimeout(ctx, max(timeout, time.Millisecond))
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, readyURL, nil)
	if err != nil {
		return false, false, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return false, true, fmt.Sprintf("GET %s: no answer within %v", readyURL, timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop `Get "url":`, said here
		}
		return false, false, fmt.Sprintf("GET %s: %v", readyURL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if ready(resp.StatusCode) {
		return true, false, ""
	}
	return false, false, fmt.Sprintf("GET %s: %s", readyURL, resp.Status)
}

// copyOutput copies the target's output into the ring until every process
// holding the pipe has exited (or Stop closes the pipe).
func (r *Running) copyOutput() {
	defer close(r.outDone)
	_, _ = io.Copy(r.out, r.outR)
}

// wait reaps the root process.
func (r *Running) wait() {
	r.exitErr = r.cmd.Wait()
	close(r.exited)
}

// BaseURL returns the target's base URL with {port} replaced.
func (r *Running) BaseURL() string { return r.baseURL }

// Port returns the loopback port chosen for {port}, or 0 when the target
// file uses none.
func (r *Running) Port() int { return r.port }

// PID returns the pid of the root process, the one Start ran.
func (r *Running) PID() int { return r.pid }

// Pgid returns the id of the target's process group. Workers of the target
// are in it unless they leave it on purpose. The group is led by
// loadcheck's watchdog (a /bin/sh that does nothing until loadcheck dies),
// so Pgid differs from PID.
func (r *Running) Pgid() int { return r.pgid }

// ReadyTime returns the time from starting the process to the first
// readiness answer, measured on the monotonic clock.
func (r *Running) ReadyTime() time.Duration { return r.readyTime }

// Tail returns up to n of the last lines the target wrote to stdout and
// stderr, oldest first. At most 200 lines are kept.
func (r *Running) Tail(n int) []string { return r.out.Tail(n) }

// Exited returns a channel that is closed when the root process exits, so
// a run can stop early when the target dies under load.
func (r *Running) Exited() <-chan struct{} { return r.exited }

// ExitErr returns the root process's exit as an error ("exit status 1",
// "signal: killed") once Exited is closed; nil while it runs or when it
// exited with status 0.
func (r *Running) ExitErr() error {
	select {
	case <-r.exited:
		return r.exitErr
	default:
		return nil
	}
}

// startWatchdog starts the watchdog that leads the target's process group
// and returns it with the write end of its stdin. It returns nils when the
// watchdog cannot be started.
func startWatchdog() (*exec.Cmd, *os.File) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, nil
	}
	defer rd.Close()
	cmd := &exec.Cmd{
		Path:        "/bin/sh",
		Args:        []string{"sh", "-c", watchdogScript},
		Stdin:       rd,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if err := cmd.Start(); err != nil {
		wr.Close()
		return nil, nil
	}
	return cmd, wr
}

// disarm ends the watchdog without letting it act: by SIGKILL, which it
// cannot ignore, before its stdin is closed. It then reaps it, which frees
// the group id. Call it only once the group is empty or has been killed.
func (r *Running) disarm() {
	if r.watchdog == nil {
		return
	}
	_ = r.watchdog.Process.Kill()
	_ = r.watchdog.Wait()
	r.armed.Close()
	r.watchdog = nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, err
	}
	return port, nil
}

// parseSignal parses a stop signal name: TERM, INT, QUIT, KILL, HUP, USR1
// or USR2, with or without "SIG"; "" is TERM.
func parseSignal(name string) (syscall.Signal, error) {
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "SIG")
	sig, ok := map[string]syscall.Signal{
		"": syscall.SIGTERM, "TERM": syscall.SIGTERM, "INT": syscall.SIGINT,
		"QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL, "HUP": syscall.SIGHUP,
		"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	}[n]
	if !ok {
		return 0, fmt.Errorf("signal %q: want TERM, INT, QUIT, KILL, HUP, USR1 or USR2", name)
	}
	return sig, nil
}

// exitStatus describes how a process ended: "exit status 3", "signal:
// killed".
func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// addrInUse reports whether output says that a port was taken.
func addrInUse(lines []string) bool {
	for _, l := range lines {
		l = strings.ToLower(l)
		if strings.Contains(l, "address already in use") || strings.Contains(l, "address in use") {
			return true
		}
	}
	return false
}

// joinURL appends path to base with exactly one slash between them.
func joinURL(base, path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return strings.TrimRight(base, "/") + path
}
