package target

// The process tree of a target, as its tests see it: what treeStats and
// cmdline read, in a form that compares with cmp.

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
		procs[i] = Proc{PID: p.PID, PPID: p.ppid, PGID: p.pgid, Cmdline: cmdline(root, p)}
	}
	return procs, nil
}
