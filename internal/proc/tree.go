package proc

import (
	"slices"
	"strconv"

	"github.com/prometheus/procfs"
)

// ID identifies a process across pid reuse: the kernel gives the pid of an
// exited process to a new one, but never with the same start time.
type ID struct {
	PID int
	// Start is the start time after boot, in clock ticks.
	Start uint64
}

// IDOf is the identity of the process whose stat st is.
func IDOf(st procfs.ProcStat) ID { return ID{PID: st.PID, Start: st.Starttime} }

// String is "pid@start", a key that tells a process from a later one with
// the same pid.
func (id ID) String() string {
	return strconv.Itoa(id.PID) + "@" + strconv.FormatUint(id.Start, 10)
}

// Running reports whether the process id still runs: its pid names a
// process with the same start time, and that process is not a zombie.
func (f FS) Running(id ID) bool {
	st, err := f.Stat(id.PID)
	return err == nil && IDOf(st) == id && !Zombie(st)
}

// Walk returns roots and their descendants, breadth first: the roots in
// the order given, then their children, parents before children and
// ascending pid among siblings. A pid for which exists is false is left
// out with its descendants. Each pid appears once, even where /proc, which
// is not read atomically, shows a cycle.
func Walk(roots []int, exists func(pid int) bool, children func(pid int) []int) []int {
	var out []int
	queue := slices.Clone(roots)
	seen := map[int]bool{}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] || !exists(pid) {
			continue
		}
		seen[pid] = true
		out = append(out, pid)
		kids := slices.Clone(children(pid))
		slices.Sort(kids)
		queue = append(queue, kids...)
	}
	return out
}
