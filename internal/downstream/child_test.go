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
	py := python(t)
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
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
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("python3 child: %q, %v\n%s", line, err, stderr.String())
	}
	return cmd.Process.Pid
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
	cmd := exec.Command(py, argv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
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
			t.Logf("service stderr:\n%s", stderr.String())
		}
	})
	s := &service{pid: cmd.Process.Pid, in: in, out: bufio.NewReader(out)}
	if line, err := s.out.ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("service: %q, %v\n%s", line, err, stderr.String())
	}
	return s
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
