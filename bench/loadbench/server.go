// The target: bench/fastserver, started on its own CPU.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

type server struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	done    chan error
}

// startServer starts bench/fastserver on CPU 1 and waits for its address.
func (b *bench) startServer(ctx context.Context, args ...string) (*server, error) {
	cmd := exec.Command("taskset", append([]string{"-c", targetCPU, b.server, "-listen", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	for i, a := range args {
		if a == "-log" && i+1 < len(args) {
			s.logPath = args[i+1]
		}
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
		s.done <- cmd.Wait()
	}()
	select {
	case l, ok := <-line:
		if !ok {
			return nil, fmt.Errorf("fastserver exited: %v", <-s.done)
		}
		s.addr = strings.TrimSpace(l)
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		return nil, errors.New("fastserver did not start within 10 s")
	case <-ctx.Done():
		cmd.Process.Kill()
		return nil, ctx.Err()
	}
	return s, nil
}

// stop ends the server (SIGTERM, then SIGKILL after 5 s) and returns its
// schedule when it kept one.
func (s *server) stop() (*serverLog, error) {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	if s.logPath == "" {
		return nil, nil
	}
	defer os.Remove(s.logPath)
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("fastserver log: %v", err)
	}
	var l serverLog
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("fastserver log: %v", err)
	}
	return &l, nil
}
