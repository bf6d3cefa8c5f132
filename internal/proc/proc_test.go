package proc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeProc writes /proc/<pid>/{stat,cmdline,task/<pid>/children} under
// root, with the 52 fields of proc_pid_stat(5).
func writeProc(t *testing.T, root string, pid, ppid, pgid int, comm, state string, start uint64, cmdline string, kids ...int) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(pid))
	task := filepath.Join(dir, "task", fmt.Sprint(pid))
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	stat := fmt.Sprintf("%d (%s) %s %d %d %d 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 %d 10000000 25 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		pid, comm, state, ppid, pgid, pid, start)
	var ks []string
	for _, k := range kids {
		ks = append(ks, fmt.Sprint(k))
	}
	for name, data := range map[string]string{
		filepath.Join(dir, "stat"):      stat,
		filepath.Join(dir, "cmdline"):   cmdline,
		filepath.Join(task, "children"): strings.Join(ks, " "),
	} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFixture(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeProc(t, root, 12, 1, 12, "sh", "S", 777, "sh\x00-c\x00sleep 9\x00", 13, 14)
	writeProc(t, root, 13, 12, 12, "a (b) c", "R", 9, "", 15)
	writeProc(t, root, 14, 12, 12, "python3", "Z", 1, "")
	if err := os.MkdirAll(filepath.Join(root, "self"), 0o755); err != nil { // not a process
		t.Fatal(err)
	}
	f, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}

	type view struct {
		PID, PPID, PGRP int
		Comm, State     string
		Start           uint64
		Zombie          bool
		Cmdline         string
		Children        []int
	}
	tests := []struct {
		name string
		pid  int
		want view
	}{
		{"plain", 12, view{12, 1, 12, "sh", "S", 777, false, "sh -c sleep 9", []int{13, 14}}},
		{"spaces and parens in the name", 13, view{13, 12, 12, "a (b) c", "R", 9, false, "", []int{15}}},
		{"zombie", 14, view{14, 12, 12, "python3", "Z", 1, true, "", nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := f.Stat(tc.pid)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := f.Cmdline(tc.pid)
			if err != nil {
				t.Fatal(err)
			}
			got := view{st.PID, st.PPID, st.PGRP, st.Comm, st.State, st.Starttime, Zombie(st), cmd, f.Children(tc.pid)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pid %d (-want +got):\n%s", tc.pid, diff)
			}
		})
	}

	procs, err := f.List()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range procs {
		pids = append(pids, p.PID)
	}
	if diff := cmp.Diff([]int{12, 13, 14}, pids); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}

	for _, read := range []func() error{
		func() error { _, err := f.Stat(99); return err },
		func() error { _, err := f.Cmdline(99); return err },
	} {
		if err := read(); !Gone(err) {
			t.Errorf("reading pid 99, which is not there: error %v, want one Gone accepts", err)
		}
	}
	if f.Children(99) != nil {
		t.Errorf("Children(99) = %v, want none", f.Children(99))
	}
}

func TestGone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("read: %w", os.ErrNotExist), true},
		{fmt.Errorf("read: %w", syscall.ESRCH), true},
		{fmt.Errorf("read: %w", os.ErrPermission), false},
		{errors.New("unexpected format"), false},
		{nil, false},
	} {
		if got := Gone(tc.err); got != tc.want {
			t.Errorf("Gone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestWalk(t *testing.T) {
	t.Parallel()
	// 1 → 3, 2; 2 → 4; 4 → 1 (a cycle, as a torn read of /proc can show); 5 is gone.
	children := map[int][]int{1: {3, 2, 5}, 2: {4}, 4: {1}, 6: {7}}
	exists := func(pid int) bool { return pid != 5 }
	for _, tc := range []struct {
		name  string
		roots []int
		want  []int
	}{
		{"siblings ascending, parents first, cycle cut", []int{1}, []int{1, 2, 3, 4}},
		{"roots in the order given, each pid once", []int{6, 2, 1}, []int{6, 2, 1, 7, 4, 3}},
		{"a gone root leaves nothing", []int{5}, nil},
	} {
		got := Walk(tc.roots, exists, func(pid int) []int { return children[pid] })
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Walk(%v) (-want +got):\n%s", tc.name, tc.roots, diff)
		}
	}
	if !slices.Equal(children[1], []int{3, 2, 5}) {
		t.Errorf("Walk sorted the caller's slice: %v", children[1])
	}
}

func TestRunning(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeProc(t, root, 12, 1, 12, "sh", "S", 777, "")
	writeProc(t, root, 14, 12, 12, "python3", "Z", 1, "")
	f, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   ID
		want bool
	}{
		{ID{12, 777}, true},
		{ID{12, 778}, false}, // the pid reused by a later process
		{ID{14, 1}, false},   // a zombie
		{ID{99, 1}, false},   // gone
	} {
		if got := f.Running(tc.id); got != tc.want {
			t.Errorf("Running(%v) = %v, want %v", tc.id, got, tc.want)
		}
	}
	if got := (ID{12, 777}).String(); got != "12@777" {
		t.Errorf("String() = %q, want 12@777", got)
	}
}
