//go:build linux

package resource

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// TestCgroupV2 creates a cgroup, moves a burner into it and samples the
// cgroup. Where the system's cgroup2 mount is read-only (a container's
// /sys/fs/cgroup), it mounts the hierarchy again in a temporary
// directory. Where it still cannot make a cgroup it fails when CI is set
// and is skipped, with the reason, elsewhere.
func TestCgroupV2(t *testing.T) {
	t.Parallel()
	mount, dir := newCgroup(t)
	t.Cleanup(func() { // after the burner is killed (cleanups run last first)
		var err error
		for range 50 {
			if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cannot remove %s: %v", dir, err)
	})

	pid := startHelper(t, "burn:50").Process.Pid
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), fmt.Appendf(nil, "%d", pid), 0o644); err != nil {
		cgroupUnavailable(t, "cannot move a process into %s: %v", dir, err)
	}
	t.Cleanup(func() { // move it back to this process's cgroup, should it outlive the test
		home := mount
		if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
			for line := range strings.Lines(string(b)) {
				if p, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
					home = filepath.Join(mount, p)
				}
			}
		}
		os.WriteFile(filepath.Join(home, "cgroup.procs"), fmt.Appendf(nil, "%d", pid), 0o644)
	})
	time.Sleep(300 * time.Millisecond)

	s, err := New(scenario.ResourceSource{Kind: scenario.SourceCgroup, Arg: dir}, 0, scenario.Resources{Every: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cpu0, wall0 := procCPU(t, pid), time.Now()
	sum := runFor(t, s, 3*time.Second)
	cpu1, wall1 := procCPU(t, pid), time.Now()
	want := cpuPercent(cpu1-cpu0, wall1.Sub(wall0))
	t.Logf("%s: /proc %.1f %%, cgroup total %.1f %%, sustained %.1f %%, memory %d bytes", sum.Source, want, sum.CPUTotal, sum.CPUSustained, sum.RSSTotal)

	if math.Abs(sum.CPUTotal-want) > 5 {
		t.Errorf("CPUTotal = %.1f %%, want %.1f ± 5 (from /proc/%d/stat)", sum.CPUTotal, want, pid)
	}
	if sum.RSSTotal == 0 {
		t.Error("RSSTotal = 0, want the cgroup's memory")
	}
	if row, ok := rowOf(sum, pid); !ok || len(sum.Processes) != 1 || math.Abs(row.CPUMean-want) > 5 {
		t.Errorf("processes = %+v, want pid %d at %.1f ± 5 %%", sum.Processes, pid, want)
	}
	if len(sum.Errors) != 0 {
		t.Errorf("errors = %v", sum.Errors)
	}

	// The same cgroup, named inside the system's mount (the same
	// hierarchy as a mount of its own).
	sys := mount
	if m, err := cgroup2Mount(); err == nil {
		sys = m
	}
	if _, err := New(scenario.ResourceSource{Kind: scenario.SourceCgroup, Arg: strings.TrimPrefix(dir, sys)}, 0, scenario.Resources{}); err != nil {
		t.Errorf("cgroup named inside the mount: %v", err)
	}
}

// newCgroup makes a cgroup for the test, removed when it ends, and
// returns the cgroup2 mount it is in and its directory: under the
// system's mount, or where that is read-only under a mount of the
// hierarchy of the test's own, unmounted when the test ends.
func newCgroup(t *testing.T) (mount, dir string) {
	t.Helper()
	name := fmt.Sprintf("loadcheck-test-%d", os.Getpid())
	var tried []string
	if sys, err := cgroup2Mount(); err != nil {
		tried = append(tried, err.Error())
	} else if err := os.Mkdir(filepath.Join(sys, name), 0o755); err != nil {
		tried = append(tried, err.Error())
	} else {
		return sys, filepath.Join(sys, name)
	}
	own := t.TempDir()
	if err := syscall.Mount("cgroup2", own, "cgroup2", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		cgroupUnavailable(t, "%s; mount -t cgroup2 on %s: %v", strings.Join(tried, "; "), own, err)
	}
	t.Cleanup(func() { // after the cgroup is removed (cleanups run last first)
		if err := syscall.Unmount(own, syscall.MNT_DETACH); err != nil {
			t.Errorf("umount %s: %v", own, err)
		}
	})
	if _, err := os.Stat(filepath.Join(own, "cgroup.controllers")); err != nil {
		cgroupUnavailable(t, "%s is not a cgroup v2 root: %v", own, err)
	}
	if err := os.Mkdir(filepath.Join(own, name), 0o755); err != nil {
		cgroupUnavailable(t, "%s; in a mount of its own: %v", strings.Join(tried, "; "), err)
	}
	return own, filepath.Join(own, name)
}

// cgroupUnavailable fails the test where CI is set, to any value, and
// skips it with the reason elsewhere: the cgroup source's end-to-end test
// must not pass unseen where it could not run.
func cgroupUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("cannot make a cgroup v2 with CI set: "+format, args...)
	}
	t.Skipf("cannot make a cgroup v2 (run as root on Linux with cgroup v2): "+format, args...)
}

// fakeCgroupRoot makes a directory that looks like a cgroup2 mount with
// the given cgroups.
func fakeCgroupRoot(t *testing.T, cgroups ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, cg := range cgroups {
		dir := filepath.Join(root, cg)
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "cpu.stat"), []byte("usage_usec 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolveUnit(t *testing.T) {
	t.Parallel()
	root := fakeCgroupRoot(t, "system.slice/titan.service", "custom.slice/redis.service")
	systemd := map[string]string{"redis.service": "/custom.slice/redis.service", "titan.service": "/system.slice/titan.service"}
	shown := func(_ context.Context, unit string) (string, error) { return systemd[unit], nil }
	noSystemd := func(context.Context, string) (string, error) {
		return "", errors.New("System has not been booted with systemd")
	}
	for _, tc := range []struct {
		unit    string
		show    func(context.Context, string) (string, error)
		want    string
		wantErr string
	}{
		{"titan.service", shown, "system.slice/titan.service", ""},
		{"titan", shown, "system.slice/titan.service", ""},
		{"redis", shown, "custom.slice/redis.service", ""},
		{"titan", noSystemd, "system.slice/titan.service", ""},
		{"redis", noSystemd, "", "redis.service: no cgroup v2 directory found (tried systemctl: System has not been booted with systemd; " + root + "/system.slice/redis.service)"},
	} {
		unit, dir, err := resolveUnit(context.Background(), tc.unit, root, tc.show)
		switch {
		case tc.wantErr != "":
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("resolveUnit(%q) = %v, want error %q", tc.unit, err, tc.wantErr)
			}
		case err != nil || dir != filepath.Join(root, tc.want) || !strings.HasSuffix(unit, ".service"):
			t.Errorf("resolveUnit(%q) = %q, %q, %v, want %q", tc.unit, unit, dir, err, tc.want)
		}
	}
}

func TestResolveCgroup(t *testing.T) {
	t.Parallel()
	root := fakeCgroupRoot(t, "system.slice/titan.service")
	for _, tc := range []struct {
		path, want string
	}{
		{filepath.Join(root, "system.slice/titan.service"), filepath.Join(root, "system.slice/titan.service")},
		{"/system.slice/titan.service", filepath.Join(root, "system.slice/titan.service")},
		{"system.slice/titan.service", filepath.Join(root, "system.slice/titan.service")},
		{"/system.slice/other.service", ""},
	} {
		got, err := resolveCgroup(tc.path, root)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("resolveCgroup(%q) = %q, %v, want %q", tc.path, got, err, tc.want)
		}
	}
}

func TestParseCPUUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n", 1500 * time.Millisecond, false},
		{"user_usec 1\nusage_usec 7\n", 7 * time.Microsecond, false},
		{"user_usec 1\n", 0, true},
		{"usage_usec x\n", 0, true},
	} {
		got, err := parseCPUUsage([]byte(tc.in))
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseCPUUsage(%q) = %v, %v, want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
