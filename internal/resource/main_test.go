//go:build linux

package resource

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary a helper process instead of running
// tests: see runHelper.
const helperEnv = "LOADCHECK_RESOURCE_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		runHelper(mode)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// runHelper plays a process of a target:
//
//	burn:PCT        busy PCT ms of every 100 ms, until killed
//	idle            sleep until killed
//	idle:DUR        sleep DUR, then exit
//	tree:DELAY      after DELAY start two children with this binary's comm,
//	                "idle" and "idle:1200ms", reap the one that exits, and
//	                sleep until killed
//	spawn:N         start N "idle" children at once, sleep until killed
func runHelper(mode string) {
	name, arg, _ := strings.Cut(mode, ":")
	switch name {
	case "burn":
		pct, _ := strconv.Atoi(arg)
		busy := time.Duration(pct) * time.Millisecond
		for start := time.Now(); ; start = start.Add(100 * time.Millisecond) {
			for time.Since(start) < busy {
			}
			time.Sleep(time.Until(start.Add(100 * time.Millisecond)))
		}
	case "idle":
		if d, err := time.ParseDuration(arg); err == nil {
			time.Sleep(d)
			return
		}
	case "tree":
		d, _ := time.ParseDuration(arg)
		time.Sleep(d)
		spawnHelper("idle")
		if c := spawnHelper("idle:1200ms"); c != nil {
			go c.Wait()
		}
	case "spawn":
		n, _ := strconv.Atoi(arg)
		for range n {
			spawnHelper("idle")
		}
	}
	for {
		time.Sleep(time.Hour)
	}
}

// spawnHelper starts this binary as a helper; it dies with its parent.
func spawnHelper(mode string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil
	}
	return cmd
}

// startHelper starts a helper process that is killed when the test ends.
// Extra args end up on its command line, for tests that match it.
func startHelper(t testing.TB, mode string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := spawnHelper(mode, args...)
	if cmd == nil {
		t.Fatalf("cannot start helper %q", mode)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	return cmd
}

// procCPU reads utime+stime of a process from /proc/<pid>/stat itself, to
// check the sampler against; USER_HZ is 100 on Linux.
func procCPU(t testing.TB, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
