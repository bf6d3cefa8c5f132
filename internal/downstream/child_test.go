package downstream_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// python is Debian's python3, whose packages make deps installs.
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		missing(t, py)
	}
	return py
}

// missing skips a test whose dependency is missing, or fails it in CI,
// where make deps installs it.
func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s missing (make deps installs it)", what)
	}
	t.Skipf("%s missing (run make deps)", what)
}

// startPython runs a python3 script as a child process, waits until it
// prints "ready", and kills it (by its pid) when the test ends. It returns
// the pid.
func startPython(t *testing.T, script string, args ...string) int {
	t.Helper()
	pid, _, _ := startChild(t, "python3 child", append([]string{"-c", script}, args...)...)
	return pid
}

// startChild runs python3 with argv as a child process that dies with
// the test binary and is killed when the test ends (its stderr logged if
// the test failed), and waits until it prints "ready"; name names it in
// messages. It returns the child's pid, stdin and stdout.
func startChild(t *testing.T, name string, argv ...string) (pid int, in io.Writer, out *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(python(t), argv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, stderr.String())
		}
	})
	out = bufio.NewReader(stdout)
	if line, err := out.ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("%s: %q, %v\n%s", name, line, err, stderr.String())
	}
	return cmd.Process.Pid, in, out
}

// runPython runs a python3 script to its end and returns its pid.
func runPython(t *testing.T, script string, args ...string) int {
	t.Helper()
	py := python(t)
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return cmd.Process.Pid
}

// service is a python3 child driven step by step over its stdin.
type service struct {
	pid int
	in  io.Writer
	out *bufio.Reader
}

// startService runs serviceScript with its arguments and waits until it
// is ready.
func startService(t *testing.T, args ...any) *service {
	t.Helper()
	py := python(t)
	if exec.Command(py, "-c", "import psycopg2").Run() != nil {
		missing(t, "python3-psycopg2")
	}
	argv := []string{"-c", serviceScript}
	for _, a := range args {
		argv = append(argv, fmt.Sprint(a))
	}
	pid, in, out := startChild(t, "service", argv...)
	return &service{pid: pid, in: in, out: out}
}

// step tells the service to go on and waits until it prints want.
func (s *service) step(t *testing.T, want string) {
	t.Helper()
	if _, err := io.WriteString(s.in, "go\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := s.out.ReadString('\n'); strings.TrimSpace(line) != want {
		t.Fatalf("service: %q, %v; want %q", line, err, want)
	}
}
