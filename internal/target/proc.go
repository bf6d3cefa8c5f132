package target

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Proc is one process of a target's process tree.
type Proc struct {
	PID  int
	PPID int
	// PGID is the process group; workers of a target loadcheck started
	// share the group of (*Running).Pgid.
	PGID int
	// Cmdline is the command line, arguments separated by spaces; for a
	// process without one (a kernel thread) it is the name in brackets.
	Cmdline string
}

// procStat is what loadcheck reads from /proc/<pid>/stat.
type procStat struct {
	pid, ppid, pgid int
	state           byte
	// startTicks is the start time after boot in clock ticks; with pid it
	// identifies a process across pid reuse.
	startTicks uint64
	comm       string
}

func (p procStat) zombie() bool { return p.state == 'Z' || p.state == 'X' }

// procRoot is where the kernel's process information is mounted. Tests of
// the parsing use a directory of fixtures instead.
const procRoot = "/proc"

// Tree returns the live process tree rooted at pid: the process itself
// first, then its descendants, parents before children and ascending pid
// among siblings. Zombies are left out. When pid is not running the error
// satisfies errors.Is(err, syscall.ESRCH).
//
// The tree is read anew on every call, so workers that a server forks
// after it started (uvicorn, gunicorn) appear on the next call.
func Tree(pid int) ([]Proc, error) {
	return tree(procRoot, pid)
}

// Descendants is Tree without the root process itself.
func Descendants(pid int) ([]Proc, error) {
	procs, err := tree(procRoot, pid)
	if err != nil {
		return nil, err
	}
	return procs[1:], nil
}

func tree(root string, pid int) ([]Proc, error) {
	stats, err := treeStats(root, pid)
	if err != nil {
		return nil, err
	}
	procs := make([]Proc, len(stats))
	for i, p := range stats {
		procs[i] = Proc{PID: p.pid, PPID: p.ppid, PGID: p.pgid, Cmdline: cmdline(root, p)}
	}
	return procs, nil
}

// treeStats returns pid and its live descendants, breadth first.
func treeStats(root string, pid int) ([]procStat, error) {
	all, err := scanProcs(root)
	if err != nil {
		return nil, err
	}
	byPID := make(map[int]procStat, len(all))
	children := make(map[int][]int)
	for _, p := range all {
		if p.zombie() {
			continue
		}
		byPID[p.pid] = p
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	if _, ok := byPID[pid]; !ok {
		return nil, fmt.Errorf("process %d: %w", pid, syscall.ESRCH)
	}
	var procs []procStat
	queue := []int{pid}
	seen := map[int]bool{pid: true}
	for len(queue) > 0 {
		p := byPID[queue[0]]
		queue = queue[1:]
		procs = append(procs, p)
		kids := children[p.pid]
		slices.Sort(kids)
		for _, k := range kids {
			if !seen[k] { // /proc is not read atomically: guard against cycles
				seen[k] = true
				queue = append(queue, k)
			}
		}
	}
	return procs, nil
}

// scanProcs reads the stat file of every process under root. Processes that
// exit during the scan are skipped.
func scanProcs(root string) ([]procStat, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list processes: %v", err)
	}
	procs := make([]procStat, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		p, err := readStat(root, pid)
		if err != nil {
			if gone(err) {
				continue
			}
			return nil, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// gone reports whether err means the process disappeared while being read.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// readStat reads and parses root/<pid>/stat.
func readStat(root string, pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	p, err := parseStat(b)
	if err != nil {
		return procStat{}, fmt.Errorf("process %d: %v", pid, err)
	}
	return p, nil
}

// parseStat parses the contents of /proc/<pid>/stat, see proc_pid_stat(5).
// The command name is in parentheses and may itself contain spaces and
// parentheses, so the fields are found after the last ')'.
func parseStat(b []byte) (procStat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return procStat{}, fmt.Errorf("stat: no command name in %q", b)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("stat: pid: %v", err)
	}
	// Fields from the third on: state ppid pgrp session tty_nr tpgid flags
	// minflt cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime ...
	f := strings.Fields(string(b[closing+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("stat: %d fields after the command name, want at least 20", len(f))
	}
	p := procStat{pid: pid, state: f[0][0], comm: string(b[open+1 : closing])}
	if p.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("stat: ppid: %v", err)
	}
	if p.pgid, err = strconv.Atoi(f[2]); err != nil {
		return procStat{}, fmt.Errorf("stat: pgrp: %v", err)
	}
	if p.startTicks, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("stat: starttime: %v", err)
	}
	return p, nil
}

// cmdline returns the command line of p, or its name in brackets when it
// has none or it cannot be read.
func cmdline(root string, p procStat) string {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(p.pid), "cmdline"))
	s := strings.TrimSpace(string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})))
	if err != nil || s == "" {
		return "[" + p.comm + "]"
	}
	return s
}

// groupMembers returns the live (not zombie) processes of process group
// pgid, except the process skip.
func groupMembers(root string, pgid, skip int) ([]procStat, error) {
	all, err := scanProcs(root)
	if err != nil {
		return nil, err
	}
	var members []procStat
	for _, p := range all {
		if p.pgid == pgid && p.pid != skip && !p.zombie() {
			members = append(members, p)
		}
	}
	return members, nil
}

// alive reports whether the process p, identified by pid and start time,
// still runs.
func alive(root string, p procStat) bool {
	now, err := readStat(root, p.pid)
	return err == nil && now.startTicks == p.startTicks && !now.zombie()
}

// describe formats processes for an error message: "123 (python3 -m ...)".
func describe(root string, procs []procStat) string {
	parts := make([]string, len(procs))
	for i, p := range procs {
		parts[i] = fmt.Sprintf("%d (%s)", p.pid, cmdline(root, p))
	}
	return strings.Join(parts, ", ")
}
