// Running a tool on the generator's CPU and reading its rusage.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/proc"
)

// pinned runs a command on the generator's CPU and returns its output and
// resource usage.
func pinned(ctx context.Context, limit time.Duration, name string, args ...string) ([]byte, *usageFigures, error) {
	return pinnedWatch(ctx, limit, nil, name, args...)
}

// usageFigures are a tool's CPU time and peak RSS.
type usageFigures struct {
	cpu    time.Duration
	maxRSS int64 // bytes
}

// timeFormat makes GNU time write user and system seconds and the peak
// RSS in KiB. The tool runs under /usr/bin/time rather than straight from
// this process: Linux keeps a process's peak RSS across exec, and Go
// starts children with vfork, so a child of loadbench would report
// loadbench's own RSS when that is larger than the tool's.
const timeFormat = "%U %S %M"

func readUsage(path string) (*usageFigures, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	f := strings.Fields(lines[len(lines)-1]) // after any "Command exited with..." line
	if len(f) != 3 {
		return nil, fmt.Errorf("/usr/bin/time wrote %q", b)
	}
	user, err1 := strconv.ParseFloat(f[0], 64)
	sys, err2 := strconv.ParseFloat(f[1], 64)
	kib, err3 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("/usr/bin/time wrote %q: %v", b, err)
	}
	return &usageFigures{cpu: time.Duration((user + sys) * float64(time.Second)), maxRSS: kib << 10}, nil
}

type exitError struct {
	code   int
	stderr string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, tail(e.stderr)) }

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}

func usage(m *measure, u *usageFigures) {
	if u != nil {
		m.CPU, m.MaxRSS = u.cpu, u.maxRSS
	}
}

// pinnedWatch is pinned with a callback, run while the tool runs, that
// gets the tool's process id; watch may be nil.
func pinnedWatch(ctx context.Context, limit time.Duration, watch func(pid int), name string, args ...string) ([]byte, *usageFigures, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	usageFile, err := os.CreateTemp("", "loadbench-time-")
	if err != nil {
		return nil, nil, err
	}
	usageFile.Close()
	defer os.Remove(usageFile.Name())
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", genCPU, "/usr/bin/time", "-o", usageFile.Name(), "-f", timeFormat, name}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	if watch != nil {
		go func() {
			// taskset execs /usr/bin/time, which forks the tool.
			procs, err := proc.Default()
			for err == nil && ctx.Err() == nil {
				if kids := procs.Children(cmd.Process.Pid); len(kids) == 1 {
					watch(kids[0])
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	err = cmd.Wait()
	u, uerr := readUsage(usageFile.Name())
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ctx.Err() == nil {
			return out.Bytes(), u, &exitError{code: ee.ExitCode(), stderr: errb.String()}
		}
		return nil, nil, fmt.Errorf("%s: %v: %s", name, err, tail(errb.String()))
	}
	if uerr != nil {
		return nil, nil, uerr
	}
	return out.Bytes(), u, nil
}
