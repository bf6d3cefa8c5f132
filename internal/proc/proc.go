package proc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/prometheus/procfs"
)

// FS is a procfs mount.
type FS struct {
	fs   procfs.FS
	root string
}

// Open reads processes from the procfs mounted at root.
func Open(root string) (FS, error) {
	pfs, err := procfs.NewFS(root)
	if err != nil {
		return FS{}, fmt.Errorf("processes: %v", err)
	}
	return FS{fs: pfs, root: root}, nil
}

// Default reads processes from the kernel's /proc.
func Default() (FS, error) { return Open(procfs.DefaultMountPoint) }

// List returns every process, in pid order, without reading any of them.
func (f FS) List() (procfs.Procs, error) {
	procs, err := f.fs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("list processes: %v", err)
	}
	slices.SortFunc(procs, func(a, b procfs.Proc) int { return a.PID - b.PID })
	return procs, nil
}

// Proc returns the process pid; the error satisfies Gone when there is
// none.
func (f FS) Proc(pid int) (procfs.Proc, error) { return f.fs.Proc(pid) }

// Stat reads the stat of pid; the error satisfies Gone when the process
// has exited.
func (f FS) Stat(pid int) (procfs.ProcStat, error) {
	p, err := f.fs.Proc(pid)
	if err != nil {
		return procfs.ProcStat{}, err
	}
	return p.Stat()
}

// Cmdline returns the command line of pid, its arguments separated by
// spaces; it is "" for a process without one (a kernel thread, a zombie).
func (f FS) Cmdline(pid int) (string, error) {
	p, err := f.fs.Proc(pid)
	if err != nil {
		return "", err
	}
	args, err := p.CmdLine()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.Join(args, " ")), nil
}

// HasChildrenFiles reports whether the kernel lists each task's children
// in /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN); without them
// finding a process's children means reading every process's stat.
func (f FS) HasChildrenFiles() bool {
	self := strconv.Itoa(os.Getpid())
	_, err := os.Stat(filepath.Join(f.root, self, "task", self, "children"))
	return err == nil
}

// Children returns the children of pid from its tasks' children files;
// none when pid is gone.
func (f FS) Children(pid int) []int {
	dir := filepath.Join(f.root, strconv.Itoa(pid), "task")
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil // gone
	}
	var kids []int
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, task.Name(), "children"))
		if err != nil {
			continue
		}
		for f := range strings.FieldsSeq(string(b)) {
			if kid, err := strconv.Atoi(f); err == nil {
				kids = append(kids, kid)
			}
		}
	}
	return kids
}

// Gone reports whether err means the process exited before or while it
// was read.
func Gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// Zombie reports whether the process has exited and waits to be reaped
// (or is being reaped): it uses no more CPU and holds no memory.
func Zombie(st procfs.ProcStat) bool { return st.State == "Z" || st.State == "X" }
