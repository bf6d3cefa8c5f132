package resource

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"

	"github.com/loadcheck/loadcheck/internal/proc"
)

// userHZ is the clock tick of /proc/<pid>/stat times, as procfs assumes.
const userHZ = 100

// procReader reads processes from a procfs: their CPU time, RSS, command
// line and role.
type procReader struct {
	procs proc.FS
	now   func() time.Time
	// sinceBoot returns the time since boot on the clock of
	// /proc/<pid>/stat start times.
	sinceBoot func() (time.Duration, error)
	cmds      map[int]cmdEntry // command lines read so far, by pid
}

// cmdEntry is a cached command line. It is read again when the process's
// start time or comm changes (a new process, or an exec).
type cmdEntry struct {
	start uint64
	comm  string
	text  string
}

// stamped is a process's stat with the time it was read.
type stamped struct {
	procfs.ProcStat
	at time.Time
}

func newProcReader() (*procReader, error) {
	procs, err := proc.Default()
	if err != nil {
		return nil, fmt.Errorf("resources: %v", err)
	}
	return &procReader{procs: procs, now: time.Now, sinceBoot: bootClock, cmds: map[int]cmdEntry{}}, nil
}

// scan reads the stat of every process. failed holds the processes that
// are there but could not be read; processes that exit while being read
// are left out.
func (pr *procReader) scan() (stats map[int]stamped, failed map[int]error, err error) {
	procs, err := pr.procs.List()
	if err != nil {
		return nil, nil, err
	}
	stats = make(map[int]stamped, len(procs))
	for _, p := range procs {
		pr.statInto(p, stats, &failed)
	}
	return stats, failed, nil
}

// stats reads the stat of the given processes, as scan does.
func (pr *procReader) stats(pids []int) (stats map[int]stamped, failed map[int]error) {
	stats = make(map[int]stamped, len(pids))
	for _, pid := range pids {
		p, err := pr.procs.Proc(pid)
		if err != nil {
			continue // exited
		}
		pr.statInto(p, stats, &failed)
	}
	return stats, failed
}

func (pr *procReader) statInto(p procfs.Proc, stats map[int]stamped, failed *map[int]error) {
	at := pr.now()
	st, err := p.Stat()
	switch {
	case err == nil:
		stats[p.PID] = stamped{st, at}
	case proc.Gone(err):
		// exited between listing and reading
	default:
		if *failed == nil {
			*failed = map[int]error{}
		}
		(*failed)[p.PID] = fmt.Errorf("pid %d: %v", p.PID, err)
	}
}

// cmdline returns the command line of a process, read once per process.
func (pr *procReader) cmdline(st stamped) string {
	if c, ok := pr.cmds[st.PID]; ok && c.start == st.Starttime && c.comm == st.Comm {
		return c.text
	}
	text, err := pr.procs.Cmdline(st.PID)
	if err != nil {
		return "" // exited, or a zombie; try again next time
	}
	if text != "" {
		pr.cmds[st.PID] = cmdEntry{start: st.Starttime, comm: st.Comm, text: text}
	}
	return text
}

// prune forgets the command lines of processes no longer in stats.
func (pr *procReader) prune(stats map[int]stamped) {
	for pid := range pr.cmds {
		if _, ok := stats[pid]; !ok {
			delete(pr.cmds, pid)
		}
	}
}

// rows turns the stats of the members of the target into a reading's
// processes, in pid order, with roles guessed from how they are related.
func (pr *procReader) rows(members []int, stats map[int]stamped) []procReading {
	boot, err := pr.sinceBoot()
	bootAt := pr.now()
	in := make(map[int]bool, len(members))
	for _, pid := range members {
		in[pid] = true
	}
	kids := map[int]int{}
	for _, pid := range members {
		if ppid := stats[pid].PPID; in[ppid] {
			kids[ppid]++
		}
	}
	slices.Sort(members)
	out := make([]procReading, 0, len(members))
	for _, pid := range members {
		st := stats[pid]
		cmd := pr.cmdline(st)
		parent := ""
		if in[st.PPID] {
			parent = stats[st.PPID].Comm
		}
		p := procReading{
			key:    proc.IDOf(st.ProcStat).String(),
			pid:    pid,
			name:   displayName(cmd, st.Comm),
			role:   guessRole(st.Comm, cmd, in[st.PPID], parent, kids[pid] > 0),
			at:     st.at,
			cpu:    time.Duration(math.Round(st.CPUTime() * float64(time.Second))),
			rss:    uint64(max(st.ResidentMemory(), 0)),
			exited: st.State == "Z" || st.State == "X",
		}
		if err == nil {
			p.started = bootAt.Add(time.Duration(st.Starttime)*time.Second/userHZ - boot)
		}
		out = append(out, p)
	}
	return out
}

// displayName is a process's command line, shortened, or its comm in
// brackets when it has none.
func displayName(cmd, comm string) string {
	const maxRunes = 160
	if cmd == "" {
		return "[" + comm + "]"
	}
	if r := []rune(cmd); len(r) > maxRunes {
		return string(r[:maxRunes-1]) + "…"
	}
	return cmd
}

// guessRole names what a process does in the target, where its comm,
// command line and relations tell: "master" for a process with children
// in the target, "worker" for Python servers and for children with their
// parent's comm (forked workers), "nginx master", "nginx worker", "redis",
// "postgres" (the postmaster and its backends, which are not the service's
// workers although they fork from it), "helper" for multiprocessing's
// resource tracker; "" when unknown.
func guessRole(comm, cmd string, hasParent bool, parentComm string, hasChildren bool) string {
	python := strings.HasPrefix(comm, "python") || strings.HasPrefix(comm, "uvicorn") ||
		strings.HasPrefix(comm, "gunicorn") || strings.HasPrefix(comm, "hypercorn")
	switch {
	case strings.HasPrefix(comm, "redis"):
		return "redis"
	case comm == "postgres":
		return "postgres"
	case comm == "nginx":
		switch {
		case strings.Contains(cmd, "master process"):
			return "nginx master"
		case strings.Contains(cmd, "worker process"):
			return "nginx worker"
		}
		return "nginx"
	case strings.Contains(cmd, "multiprocessing.resource_tracker"), strings.Contains(cmd, "semaphore_tracker"):
		return "helper"
	case comm == "sh" || comm == "bash" || comm == "dash" || comm == "env":
		return "" // a launcher
	case hasChildren:
		return "master"
	case python, hasParent && comm == parentComm:
		return "worker"
	}
	return ""
}

// procSource samples process trees: the processes its roots function picks
// in each reading, the members of the previous reading still running, and
// all their descendants. So workers started later are picked up, and a
// worker whose parent died is still followed.
//
// Descendants are found through /proc/<pid>/task/<tid>/children where the
// kernel has them (CONFIG_PROC_CHILDREN), which costs a few reads per
// member, else by reading the stat of every process for its parent.
type procSource struct {
	*procReader
	roots func(v *procView) ([]int, error)
	// scanAll makes each reading read every process: for matching command
	// lines, or where there are no children files.
	scanAll bool
	known   []proc.ID // members of the previous reading
}

// procView is what one reading has read of the processes.
type procView struct {
	pr      *procReader
	stats   map[int]stamped
	failed  map[int]error
	all     bool          // stats holds every process
	byPPID  map[int][]int // children by parent, built from stats when all
	missing map[int]bool  // read and found gone
}

// get returns the stat of pid, reading it when the view does not hold
// every process.
func (v *procView) get(pid int) (stamped, bool) {
	if st, ok := v.stats[pid]; ok || v.all || v.missing[pid] {
		return st, ok
	}
	if p, err := v.pr.procs.Proc(pid); err == nil {
		v.pr.statInto(p, v.stats, &v.failed)
	}
	st, ok := v.stats[pid]
	if !ok {
		v.missing[pid] = true
	}
	return st, ok
}

// children returns the children of pid.
func (v *procView) children(pid int) []int {
	if v.all {
		if v.byPPID == nil {
			v.byPPID = make(map[int][]int, len(v.stats))
			for pid, st := range v.stats {
				v.byPPID[st.PPID] = append(v.byPPID[st.PPID], pid)
			}
		}
		return v.byPPID[pid]
	}
	return v.pr.procs.Children(pid)
}

func (s *procSource) read(context.Context) (reading, error) {
	r := reading{at: s.now()}
	v := &procView{pr: s.procReader, stats: map[int]stamped{}, missing: map[int]bool{}}
	if s.scanAll {
		stats, failed, err := s.scan()
		if err != nil {
			return reading{}, err
		}
		v.stats, v.failed, v.all = stats, failed, true
	}
	roots, err := s.roots(v)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	queue := roots
	for _, id := range s.known {
		if st, ok := v.get(id.PID); ok && proc.IDOf(st.ProcStat) == id {
			queue = append(queue, id.PID)
		} else if err, ok := v.failed[id.PID]; ok {
			r.procs = append(r.procs, procReading{key: id.String(), failed: true})
			r.errs = append(r.errs, err)
		}
	}
	members := proc.Walk(queue, func(pid int) bool { _, ok := v.get(pid); return ok }, v.children)
	s.known = s.known[:0]
	for _, pid := range members {
		s.known = append(s.known, proc.IDOf(v.stats[pid].ProcStat))
	}
	r.procs = append(r.procs, s.rows(members, v.stats)...)
	s.prune(v.stats)
	return r, nil
}

// newTreeSource samples the process tree of the target loadcheck started.
func newTreeSource(pid int) (source, string, error) {
	return newRootSource(pid, "resources: started target")
}

// newPIDSource samples the process tree of a named pid.
func newPIDSource(pid int) (source, string, error) {
	return newRootSource(pid, "resources.pid")
}

func newRootSource(pid int, field string) (source, string, error) {
	pr, err := newProcReader()
	if err != nil {
		return nil, "", err
	}
	if _, err := pr.procs.Proc(pid); err != nil {
		return nil, "", fmt.Errorf("%s: pid %d: no such process", field, pid)
	}
	return &procSource{procReader: pr, roots: fixedRoot(pid), scanAll: !pr.procs.HasChildrenFiles()},
		fmt.Sprintf("process tree of pid %d", pid), nil
}

// fixedRoot picks pid, as long as it is the process first seen with that
// pid: a reused pid is not the root.
func fixedRoot(pid int) func(*procView) ([]int, error) {
	var first proc.ID
	return func(v *procView) ([]int, error) {
		st, ok := v.get(pid)
		if ok && first == (proc.ID{}) {
			first = proc.IDOf(st.ProcStat)
		}
		if !ok || proc.IDOf(st.ProcStat) != first {
			return nil, failure(KindGone, "pid %d: process gone", pid)
		}
		return []int{pid}, nil
	}
}

// newPIDFileSource samples the process tree of the pid in a file, read
// again at each sample so that a restarted service is followed.
func newPIDFileSource(path string) (source, string, error) {
	pr, err := newProcReader()
	if err != nil {
		return nil, "", err
	}
	pid, err := readPIDFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("resources.pidfile: %v", err)
	}
	if _, err := pr.procs.Proc(pid); err != nil {
		return nil, "", fmt.Errorf("resources.pidfile: %s: pid %d: no such process", path, pid)
	}
	return &procSource{procReader: pr, roots: pidFileRoot(path), scanAll: !pr.procs.HasChildrenFiles()},
		fmt.Sprintf("process tree of the pid in %s", path), nil
}

func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%q is not a process id", strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// pidFileRoot picks the process whose pid is in the file.
func pidFileRoot(path string) func(*procView) ([]int, error) {
	return func(v *procView) ([]int, error) {
		pid, err := readPIDFile(path)
		if err != nil {
			return nil, failure(KindPIDFile, "pidfile %s: %v", path, err)
		}
		if _, ok := v.get(pid); !ok {
			return nil, failure(KindGone, "pidfile %s: pid %d: process gone", path, pid)
		}
		return []int{pid}, nil
	}
}

// newMatchSource samples every process whose command line contains text,
// except loadcheck itself, and their descendants (uvicorn's workers have
// command lines of their own).
func newMatchSource(text string) (source, string, error) {
	pr, err := newProcReader()
	if err != nil {
		return nil, "", err
	}
	s := &procSource{procReader: pr, roots: matchRoots(text, os.Getpid()), scanAll: true}
	r, err := s.read(context.Background())
	if err == nil && len(r.errs) > 0 {
		err = r.errs[0]
	}
	if err != nil {
		return nil, "", fmt.Errorf("resources.process: %v", err)
	}
	s.known = nil
	return s, fmt.Sprintf("processes matching %q and their descendants", text), nil
}

// matchRoots picks every process but self whose command line contains
// text. It needs a view of every process.
func matchRoots(text string, self int) func(*procView) ([]int, error) {
	return func(v *procView) ([]int, error) {
		var roots []int
		for pid, st := range v.stats {
			if pid != self && strings.Contains(v.pr.cmdline(st), text) {
				roots = append(roots, pid)
			}
		}
		if len(roots) == 0 {
			return nil, failure(KindNoMatch, "no process matches %q", text)
		}
		return roots, nil
	}
}
