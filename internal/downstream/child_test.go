package downstream_test

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// startPython runs a python3 script as a child process, waits until it
// prints "ready", and kills it (by its pid) when the test ends. It returns
// the pid.
func startPython(t *testing.T, script string, args ...string) int {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 missing")
	}
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
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 missing")
	}
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return cmd.Process.Pid
}
