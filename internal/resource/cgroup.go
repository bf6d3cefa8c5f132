package resource

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// cgroupSource samples a cgroup v2. The totals come from the cgroup itself
// (cpu.stat usage_usec, memory.current), so they include processes that
// came and went between samples; the rows, and so cpu.sustained, come
// from the processes listed in cgroup.procs.
type cgroupSource struct {
	*procReader
	dir    string
	hasMem bool // memory.current exists (the memory controller is enabled)
}

func (s *cgroupSource) read(context.Context) (reading, error) {
	r := reading{at: s.now()}
	usage, err := readCPUUsage(filepath.Join(s.dir, "cpu.stat"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return reading{}, failure(KindGone, "cgroup %s: %v", s.dir, err)
		}
		return reading{}, fmt.Errorf("cgroup %s: %w", s.dir, err)
	}
	g := &groupReading{cpu: usage}
	if s.hasMem {
		if mem, err := readUint(filepath.Join(s.dir, "memory.current")); err != nil {
			r.errs = append(r.errs, fmt.Errorf("cgroup %s: %w", s.dir, err))
		} else {
			g.mem, g.hasMem = mem, true
		}
	}
	r.group = g

	pids, err := readPIDs(filepath.Join(s.dir, "cgroup.procs"))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("cgroup %s: %w", s.dir, err))
		return r, nil
	}
	stats, failed := s.stats(pids)
	for _, err := range failed {
		r.errs = append(r.errs, err)
	}
	members := make([]int, 0, len(stats))
	for pid := range stats {
		members = append(members, pid)
	}
	r.procs = s.rows(members, stats)
	s.prune(stats)
	return r, nil
}

// newCgroupSource samples the cgroup v2 at path: a directory, or a path
// inside the cgroup2 mount (such as /system.slice/x.service).
func newCgroupSource(path string) (source, string, error) {
	mount, merr := cgroup2Mount()
	dir, err := resolveCgroup(path, mount)
	if err != nil {
		if merr != nil {
			err = fmt.Errorf("%v (%v)", err, merr)
		}
		return nil, "", fmt.Errorf("resources.cgroup: %v", err)
	}
	return newCgroupAt(dir, "cgroup "+dir)
}

// newUnitSource samples the cgroup of a systemd unit.
func newUnitSource(unit string) (source, string, error) {
	mount, err := cgroup2Mount()
	if err != nil {
		return nil, "", fmt.Errorf("resources.systemd_unit: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unit, dir, err := resolveUnit(ctx, unit, mount, systemctlControlGroup)
	if err != nil {
		return nil, "", fmt.Errorf("resources.systemd_unit: %v", err)
	}
	return newCgroupAt(dir, fmt.Sprintf("systemd unit %s, cgroup %s", unit, dir))
}

func newCgroupAt(dir, desc string) (source, string, error) {
	pr, err := newProcReader()
	if err != nil {
		return nil, "", err
	}
	s := &cgroupSource{procReader: pr, dir: dir}
	if _, err := os.Stat(filepath.Join(dir, "memory.current")); err == nil {
		s.hasMem = true
		desc += " (memory: memory.current)"
	} else {
		desc += " (memory: sum of process RSS; no memory.current)"
	}
	return s, desc, nil
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted:
// /sys/fs/cgroup on a unified system, /sys/fs/cgroup/unified on a hybrid
// one.
func cgroup2Mount() (string, error) {
	mounts, err := procfs.GetMounts()
	if err != nil {
		return "", err
	}
	for _, m := range mounts {
		if m.FSType == "cgroup2" {
			return m.MountPoint, nil
		}
	}
	return "", errors.New("no cgroup2 file system is mounted")
}

// resolveCgroup returns the cgroup directory path names: path itself when
// it is a cgroup v2 directory, else path inside mount.
func resolveCgroup(path, mount string) (string, error) {
	tried := []string{filepath.Clean(path)}
	if mount != "" && !strings.HasPrefix(tried[0], filepath.Clean(mount)+"/") {
		tried = append(tried, filepath.Join(mount, path))
	}
	for _, dir := range tried {
		if isCgroup2(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%s: not a cgroup v2 directory (no cpu.stat in %s)", path, strings.Join(tried, " or "))
}

func isCgroup2(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "cpu.stat"))
	return err == nil
}

// resolveUnit returns the full unit name and its cgroup directory: the
// ControlGroup systemd reports, else system.slice/UNIT, inside mount. A
// unit named without a suffix is a .service.
func resolveUnit(ctx context.Context, unit, mount string, controlGroup func(ctx context.Context, unit string) (string, error)) (string, string, error) {
	if !strings.Contains(unit, ".") {
		unit += ".service"
	}
	var tried []string
	cg, err := controlGroup(ctx, unit)
	if err != nil {
		tried = append(tried, fmt.Sprintf("systemctl: %v", err))
	} else if cg != "" {
		dir := filepath.Join(mount, cg)
		if isCgroup2(dir) {
			return unit, dir, nil
		}
		tried = append(tried, dir)
	}
	dir := filepath.Join(mount, "system.slice", unit)
	if isCgroup2(dir) {
		return unit, dir, nil
	}
	tried = append(tried, dir)
	return "", "", fmt.Errorf("%s: no cgroup v2 directory found (tried %s)", unit, strings.Join(tried, "; "))
}

// systemctlControlGroup asks systemd for a unit's cgroup path, relative to
// the cgroup2 mount.
func systemctlControlGroup(ctx context.Context, unit string) (string, error) {
	out, err := exec.CommandContext(ctx, "systemctl", "show", "-p", "ControlGroup", "--value", unit).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("%v: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// readCPUUsage reads usage_usec from a cgroup v2 cpu.stat.
func readCPUUsage(path string) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseCPUUsage(b)
}

func parseCPUUsage(b []byte) (time.Duration, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || k != "usage_usec" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu.stat: usage_usec %q: %v", v, err)
		}
		return time.Duration(n) * time.Microsecond, nil
	}
	return 0, errors.New("cpu.stat: no usage_usec")
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", path, err)
	}
	return n, nil
}

func readPIDs(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pids []int
	for f := range strings.FieldsSeq(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a pid", path, f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
