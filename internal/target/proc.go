package target

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/prometheus/procfs"

	"github.com/loadcheck/loadcheck/internal/proc"
)

// procStat is what target reads from /proc/<pid>/stat.
type procStat struct {
	proc.ID
	ppid, pgid int
	zombie     bool
	comm       string
}

// procRoot is where the kernel's process information is mounted. Tests of
// the tree use a directory of fixtures instead.
const procRoot = "/proc"

// treeStats returns pid and its live descendants, breadth first.
func treeStats(root string, pid int) ([]procStat, error) {
	all, err := scanProcs(root)
	if err != nil {
		return nil, err
	}
	byPID := make(map[int]procStat, len(all))
	children := make(map[int][]int)
	for _, p := range all {
		if p.zombie {
			continue
		}
		byPID[p.PID] = p
		children[p.ppid] = append(children[p.ppid], p.PID)
	}
	if _, ok := byPID[pid]; !ok {
		return nil, fmt.Errorf("process %d: %w", pid, syscall.ESRCH)
	}
	live := func(pid int) bool { _, ok := byPID[pid]; return ok }
	kids := func(pid int) []int { return children[pid] }
	var procs []procStat
	for _, p := range proc.Walk([]int{pid}, live, kids) {
		procs = append(procs, byPID[p])
	}
	return procs, nil
}

// scanProcs reads the stat of every process under root. Processes that
// exit during the scan are skipped.
func scanProcs(root string) ([]procStat, error) {
	fsys, err := proc.Open(root)
	if err != nil {
		return nil, err
	}
	all, err := fsys.List()
	if err != nil {
		return nil, err
	}
	procs := make([]procStat, 0, len(all))
	for _, p := range all {
		st, err := p.Stat()
		if err != nil {
			if proc.Gone(err) {
				continue
			}
			return nil, fmt.Errorf("process %d: %v", p.PID, err)
		}
		procs = append(procs, fromStat(st))
	}
	return procs, nil
}

// readStat reads the stat of process pid under root.
func readStat(root string, pid int) (procStat, error) {
	fsys, err := proc.Open(root)
	if err != nil {
		return procStat{}, err
	}
	st, err := fsys.Stat(pid)
	if err != nil {
		return procStat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return fromStat(st), nil
}

func fromStat(st procfs.ProcStat) procStat {
	return procStat{ID: proc.IDOf(st), ppid: st.PPID, pgid: st.PGRP, zombie: proc.Zombie(st), comm: st.Comm}
}

// cmdline returns the command line of p, or its name in brackets when it
// has none or it cannot be read.
func cmdline(root string, p procStat) string {
	s := ""
	if fsys, err := proc.Open(root); err == nil {
		s, _ = fsys.Cmdline(p.PID)
	}
	if s == "" {
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
		if p.pgid == pgid && p.PID != skip && !p.zombie {
			members = append(members, p)
		}
	}
	return members, nil
}

// alive reports whether the process p, identified by pid and start time,
// still runs.
func alive(root string, p procStat) bool {
	fsys, err := proc.Open(root)
	return err == nil && fsys.Running(p.ID)
}

// describe formats processes for an error message: "123 (python3 -m ...)".
func describe(root string, procs []procStat) string {
	parts := make([]string, len(procs))
	for i, p := range procs {
		parts[i] = fmt.Sprintf("%d (%s)", p.PID, cmdline(root, p))
	}
	return strings.Join(parts, ", ")
}
