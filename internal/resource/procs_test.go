//go:build linux

package resource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/loadcheck/loadcheck/internal/proc"
)

// fakeProc is one process of a procfs fixture.
type fakeProc struct {
	pid, ppid    int
	comm, state  string
	utime, stime uint64 // ticks
	start        uint64 // ticks since boot
	rssPages     int
	cmdline      []string
}

// writeFixture writes procs as /proc/<pid>/{stat,cmdline} under root,
// removing processes written before and not in procs.
func writeFixture(t *testing.T, root string, procs ...fakeProc) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(root, "[0-9]*"))
	for _, d := range old {
		os.RemoveAll(d)
	}
	for _, p := range procs {
		dir := filepath.Join(root, fmt.Sprint(p.pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		state := p.state
		if state == "" {
			state = "S"
		}
		// The 52 fields of proc(5).
		stat := fmt.Sprintf("%d (%s) %s %d %d %d 0 -1 4194560 100 0 0 0 %d %d 0 0 20 0 1 0 %d 10000000 %d 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			p.pid, p.comm, state, p.ppid, p.pid, p.pid, p.utime, p.stime, p.start, p.rssPages)
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := strings.Join(p.cmdline, "\x00")
		if cmd != "" {
			cmd += "\x00"
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(cmd), 0o644); err != nil {
			t.Fatal(err)
		}
		// One thread, whose children file lists the process's children.
		var kids []string
		for _, c := range procs {
			if c.ppid == p.pid {
				kids = append(kids, fmt.Sprint(c.pid))
			}
		}
		task := filepath.Join(dir, "task", fmt.Sprint(p.pid))
		if err := os.MkdirAll(task, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(task, "children"), []byte(strings.Join(kids, " ")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixtureReader reads a procfs fixture with a fake clock: now returns
// t0+*elapsed, and the boot clock 1000s+*elapsed.
func fixtureReader(t *testing.T, root string, elapsed *time.Duration) *procReader {
	t.Helper()
	procs, err := proc.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return &procReader{
		procs:     procs,
		now:       func() time.Time { return t0.Add(*elapsed) },
		sinceBoot: func() (time.Duration, error) { return 1000*time.Second + *elapsed, nil },
		cmds:      map[int]cmdEntry{},
	}
}

// TestTreeFixture runs the process-tree source over a procfs fixture:
// descendants found, strangers left out, a late worker credited from its
// start, a zombie and a vanished process marked exited.
func TestTreeFixture(t *testing.T) {
	t.Parallel()
	for _, scanAll := range []bool{false, true} {
		t.Run(fmt.Sprintf("scanAll=%v", scanAll), func(t *testing.T) {
			t.Parallel()
			testTreeFixture(t, scanAll)
		})
	}
}

func testTreeFixture(t *testing.T, scanAll bool) {
	root := t.TempDir()
	var elapsed time.Duration
	src := &procSource{procReader: fixtureReader(t, root, &elapsed), roots: fixedRoot(100), scanAll: scanAll}
	tl := newTally(10 * time.Second)
	page := uint64(os.Getpagesize())
	step := func(procs ...fakeProc) {
		t.Helper()
		writeFixture(t, root, procs...)
		r, err := src.read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tl.add(r)
		elapsed += time.Second
	}
	initp := fakeProc{pid: 1, ppid: 0, comm: "init", cmdline: []string{"/sbin/init"}}
	stranger := fakeProc{pid: 200, ppid: 1, comm: "python3", utime: 5000, cmdline: []string{"python3", "other.py"}}
	master := fakeProc{pid: 100, ppid: 1, comm: "python3", start: 50000, rssPages: 10,
		cmdline: []string{"python3", "-m", "uvicorn", "app:app", "--workers", "2"}}
	worker := fakeProc{pid: 101, ppid: 100, comm: "python3", start: 60000, rssPages: 20,
		cmdline: []string{"python3", "-c", "from multiprocessing.spawn import spawn_main"}}
	tracker := fakeProc{pid: 102, ppid: 100, comm: "python3", start: 60000, rssPages: 1,
		cmdline: []string{"python3", "-c", "from multiprocessing.resource_tracker import main;main(5)"}}

	step(initp, stranger, master, worker, tracker) // t=0: baselines

	master.utime, master.stime = 40, 10 // 50 %
	worker.utime = 25                   // 25 %
	late := fakeProc{pid: 103, ppid: 101, comm: "python3", start: 100050, utime: 10, rssPages: 5,
		cmdline: []string{"python3", "-c", "from multiprocessing.spawn import spawn_main"}}
	stranger.utime += 100
	step(initp, stranger, master, worker, tracker, late) // t=1s: 103 started at 0.5s

	master.utime += 50
	worker.utime += 10
	worker.state = "Z"                             // exited, not yet reaped: its last CPU still counts
	step(initp, stranger, master, worker, tracker) // t=2s: 103 vanished
	step(initp, stranger, master, tracker)         // t=3s: 101 reaped

	got := tl.summary()
	var rows []string
	for _, p := range got.Processes {
		ex := "-"
		if p.Exited != nil {
			ex = p.Exited.String()
		}
		rows = append(rows, fmt.Sprintf("%d %s seen=%v exited=%s rss=%d", p.PID, p.Role, p.Seen, ex, p.RSSPeak/page))
	}
	want := []string{
		"100 master seen=0s exited=- rss=10",
		"101 master seen=0s exited=2s rss=20",
		"102 helper seen=0s exited=- rss=1",
		"103 worker seen=1s exited=2s rss=5",
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantCPU := [][]float64{
		{50, 25, 0, 10},
		{50, 10, 0, 0},
		{0, 0, 0, 0},
	}
	for i, s := range got.Timeline {
		if diff := cmp.Diff(wantCPU[i], s.PerProcess, cmp.Comparer(approx)); diff != "" {
			t.Errorf("timeline[%d] CPU (-want +got):\n%s", i, diff)
		}
	}
	// (0.5+0.25+0.1 + 0.5+0.1 + 0) s over 3 s
	if want := 100 * 1.45 / 3; !approx(got.CPUTotal, want) {
		t.Errorf("CPUTotal = %v, want %v", got.CPUTotal, want)
	}
	if got.RSSTotal != (10+20+1+5)*page {
		t.Errorf("RSSTotal = %d pages, want 36", got.RSSTotal/page)
	}
	if !strings.HasPrefix(got.Processes[0].Name, "python3 -m uvicorn app:app") {
		t.Errorf("name = %q", got.Processes[0].Name)
	}
}

func TestMatchFixture(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	var elapsed time.Duration
	writeFixture(t, root,
		fakeProc{pid: 10, ppid: 1, comm: "gunicorn", cmdline: []string{"gunicorn: master [app:app]"}},
		fakeProc{pid: 11, ppid: 10, comm: "gunicorn", cmdline: []string{"gunicorn: worker [app:app]"}},
		fakeProc{pid: 20, ppid: 1, comm: "loadcheck", cmdline: []string{"loadcheck", "run", "--process", "app:app"}},
		fakeProc{pid: 30, ppid: 1, comm: "redis-server", cmdline: []string{"redis-server *:6379"}},
	)
	src := &procSource{procReader: fixtureReader(t, root, &elapsed), roots: matchRoots("app:app", 20), scanAll: true}
	r, err := src.read(context.Background())
	if err != nil || len(r.errs) > 0 {
		t.Fatal(err, r.errs)
	}
	var got []string
	for _, p := range r.procs {
		got = append(got, fmt.Sprint(p.pid, " ", p.role))
	}
	if diff := cmp.Diff([]string{"10 master", "11 worker"}, got); diff != "" {
		t.Errorf("matched (-want +got):\n%s", diff)
	}

	src.roots = matchRoots("no such text", 20)
	src.known = nil
	r, err = src.read(context.Background())
	if err != nil || len(r.procs) != 0 || len(r.errs) != 1 || errKind(r.errs[0]) != KindNoMatch {
		t.Errorf("no match: procs %v, errs %v, err %v; want one %q", r.procs, r.errs, err, KindNoMatch)
	}
}

func TestGuessRole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		comm, cmd   string
		hasParent   bool
		parentComm  string
		hasChildren bool
		want        string
	}{
		{"python3", "python3 -m uvicorn app:app", false, "", false, "worker"},
		{"python3", "python3 -m uvicorn app:app --workers 2", false, "", true, "master"},
		{"python3", "python3 -c from multiprocessing.spawn import spawn_main", true, "python3", false, "worker"},
		{"python3", "python3 -c from multiprocessing.resource_tracker import main", true, "python3", false, "helper"},
		{"gunicorn: worke", "gunicorn: worker [app:app]", true, "gunicorn: maste", false, "worker"},
		{"nginx", "nginx: master process /usr/sbin/nginx", false, "", true, "nginx master"},
		{"nginx", "nginx: worker process", true, "nginx", false, "nginx worker"},
		{"redis-server", "redis-server *:6379", true, "sh", false, "redis"},
		{"postgres", "/usr/lib/postgresql/15/bin/postgres -D /tmp/x/pgdata -p 55401", true, "python3", true, "postgres"},
		{"postgres", "postgres: titan titan 127.0.0.1(40112) idle", true, "postgres", false, "postgres"},
		{"sh", "sh -c run.sh", false, "", true, ""},
		{"sim", "loadcheck sim --workers 2", true, "sim", false, "worker"},
		{"sim", "loadcheck sim --workers 2", false, "", true, "master"},
		{"node", "node server.js", false, "", false, ""},
	} {
		got := guessRole(tc.comm, tc.cmd, tc.hasParent, tc.parentComm, tc.hasChildren)
		if got != tc.want {
			t.Errorf("guessRole(%q, %q, %v, %q, %v) = %q, want %q", tc.comm, tc.cmd, tc.hasParent, tc.parentComm, tc.hasChildren, got, tc.want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200)
	if got := displayName(long, "x"); len([]rune(got)) != 160 || !strings.HasSuffix(got, "…") {
		t.Errorf("displayName of 200 runes = %d runes", len([]rune(got)))
	}
	if got := displayName("", "kworker/0:1"); got != "[kworker/0:1]" {
		t.Errorf("displayName(\"\", kworker/0:1) = %q", got)
	}
}
