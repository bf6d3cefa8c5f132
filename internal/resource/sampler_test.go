//go:build linux

package resource

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// runFor runs s for d and returns its Summary.
// pidSource is a target file's resources: {pid: PID}.
func pidSource(pid int) scenario.ResourceSource {
	return scenario.ResourceSource{Kind: scenario.SourcePID, Arg: strconv.Itoa(pid)}
}

func runFor(t *testing.T, s *Sampler, d time.Duration) Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s.Summary()
}

// loadAvg is the 1-minute load average.
func loadAvg(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

func rowOf(sum Summary, pid int) (Process, bool) {
	for _, p := range sum.Processes {
		if p.PID == pid {
			return p, true
		}
	}
	return Process{}, false
}

// TestBurner checks the CPU of a process that burns a known share of one
// core against utime+stime read from /proc/<pid>/stat over the same
// window.
func TestBurner(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pct    int
		byTree bool // sample it as a started target, else as a pid source
	}{
		{30, false},
		{70, true},
	} {
		t.Run(fmt.Sprint(tc.pct), func(t *testing.T) {
			t.Parallel()
			pid := startHelper(t, fmt.Sprintf("burn:%d", tc.pct)).Process.Pid
			time.Sleep(300 * time.Millisecond) // past the runtime's start-up
			src, root := pidSource(pid), 0
			if tc.byTree {
				src, root = scenario.ResourceSource{}, pid
			}
			s, err := New(src, root, scenario.Resources{Every: 250 * time.Millisecond, SustainedWindow: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			cpu0, wall0 := procCPU(t, pid), time.Now()
			sum := runFor(t, s, 4*time.Second)
			cpu1, wall1 := procCPU(t, pid), time.Now()
			want := cpuPercent(cpu1-cpu0, wall1.Sub(wall0))

			row, ok := rowOf(sum, pid)
			if !ok || len(sum.Processes) != 1 {
				t.Fatalf("processes = %+v, want one row for pid %d", sum.Processes, pid)
			}
			t.Logf("nominal %d %%, /proc %.1f %%, sampler mean %.1f %%, total %.1f %%, sustained %.1f %% over %d samples",
				tc.pct, want, row.CPUMean, sum.CPUTotal, sum.CPUSustained, sum.Samples)
			if math.Abs(row.CPUMean-want) > 5 {
				t.Errorf("CPUMean = %.1f %%, want %.1f ± 5 (from /proc/%d/stat)", row.CPUMean, want, pid)
			}
			if math.Abs(sum.CPUTotal-want) > 5 {
				t.Errorf("CPUTotal = %.1f %%, want %.1f ± 5", sum.CPUTotal, want)
			}
			// The highest 2 s window is at least about the mean, and at
			// most the nominal share: the burner spins for wall time, so a
			// busy machine gives it less, never more.
			if sum.CPUSustained < want-5 || sum.CPUSustained > float64(tc.pct)+5 {
				t.Errorf("CPUSustained = %.1f %%, want between %.1f-5 and %d+5", sum.CPUSustained, want, tc.pct)
			}
			if math.Abs(want-float64(tc.pct)) > 20 {
				// The comparison above is the test; this one needs a core
				// free enough for the burner to get its share.
				if load := loadAvg(t); load > float64(runtime.NumCPU()) {
					t.Logf("burner got %.1f %% of a core, nominal %d %%: load average %.1f on %d cores", want, tc.pct, load, runtime.NumCPU())
				} else {
					t.Errorf("burner used %.1f %% of a core, want about %d %%", want, tc.pct)
				}
			}
			if row.RSSPeak == 0 || sum.RSSTotal < row.RSSPeak || sum.RSSMaxProcess != row.RSSPeak {
				t.Errorf("RSS: row %d, total %d, max %d", row.RSSPeak, sum.RSSTotal, sum.RSSMaxProcess)
			}
			if len(sum.Timeline) < 10 || len(sum.Errors) != 0 {
				t.Errorf("timeline of %d samples, errors %v; want ≥ 10 samples, no errors", len(sum.Timeline), sum.Errors)
			}
		})
	}
}

// runUntil runs s until done reports true of its Summary so far (checked
// every 50ms, for at most limit), then for another extra.
func runUntil(t *testing.T, s *Sampler, limit, extra time.Duration, done func(Summary) bool) Summary {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := make(chan error)
	go func() { ran <- s.Run(ctx) }()
	deadline := time.Now().Add(limit)
	for !done(s.Summary()) {
		if time.Now().After(deadline) {
			cancel()
			<-ran
			t.Fatalf("not done after %v: %+v", limit, s.Summary().Processes)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(extra)
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s.Summary()
}

// TestTree checks that workers started later are found, with roles, and
// that one exiting is marked so.
func TestTree(t *testing.T) {
	t.Parallel()
	root := startHelper(t, "tree:500ms").Process.Pid
	s, err := New(scenario.ResourceSource{}, root, scenario.Resources{Every: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sum := runUntil(t, s, 20*time.Second, 500*time.Millisecond, func(sum Summary) bool {
		return len(sum.Processes) == 3 && (sum.Processes[1].Exited != nil || sum.Processes[2].Exited != nil)
	})
	if len(sum.Processes) != 3 {
		t.Fatalf("processes = %+v, want the root and two children", sum.Processes)
	}
	if p := sum.Processes[0]; p.PID != root || p.Role != "master" || p.Exited != nil || p.Seen != 0 {
		t.Errorf("root row = %+v, want pid %d, role master, running, seen at 0", p, root)
	}
	exited := 0
	for _, p := range sum.Processes[1:] {
		if p.Role != "worker" || p.Seen < 400*time.Millisecond {
			t.Errorf("child row = %+v, want role worker, seen after the delay", p)
		}
		if p.Exited != nil {
			exited++
			if *p.Exited <= p.Seen {
				t.Errorf("child exited after %v, seen at %v", *p.Exited, p.Seen)
			}
		}
	}
	if exited != 1 {
		t.Errorf("%d children marked exited, want 1: %+v", exited, sum.Processes)
	}
	if sum.Source != fmt.Sprintf("process tree of pid %d", root) {
		t.Errorf("Source = %q", sum.Source)
	}
	last := sum.Timeline[len(sum.Timeline)-1]
	if len(last.PerProcess) != 3 || len(last.PerProcessRSS) != 3 || last.PerProcessRSS[0] == 0 {
		t.Errorf("last sample = %+v, want three processes with the root's RSS", last)
	}
	if len(sum.Errors) != 0 {
		t.Errorf("errors = %v, want none", sum.Errors)
	}
}

// TestPIDGone checks that a named process that exits is marked so and
// counted as a failure, without stopping Run.
func TestPIDGone(t *testing.T) {
	t.Parallel()
	pid := startHelper(t, "idle:300ms").Process.Pid
	s, err := New(pidSource(pid), 0, scenario.Resources{Every: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sum := runUntil(t, s, 20*time.Second, 300*time.Millisecond, func(sum Summary) bool {
		return len(sum.Processes) == 1 && sum.Processes[0].Exited != nil
	})
	if p, ok := rowOf(sum, pid); !ok || p.Exited == nil {
		t.Errorf("row = %+v, want pid %d marked exited", p, pid)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Kind != KindGone || sum.Errors[0].Count < 1 {
		t.Errorf("errors = %+v, want %q", sum.Errors, KindGone)
	}
}

func TestPIDFile(t *testing.T) {
	t.Parallel()
	pid := startHelper(t, "idle").Process.Pid
	file := filepath.Join(t.TempDir(), "target.pid")
	if err := os.WriteFile(file, fmt.Appendf(nil, "%d\n", pid), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(scenario.ResourceSource{Kind: scenario.SourcePIDFile, Arg: file}, 0, scenario.Resources{Every: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	os.Remove(file) // sampling goes on, counting the failure
	time.Sleep(500 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sum := s.Summary()
	if _, ok := rowOf(sum, pid); !ok {
		t.Errorf("processes = %+v, want pid %d", sum.Processes, pid)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Kind != KindPIDFile {
		t.Errorf("errors = %+v, want %q", sum.Errors, KindPIDFile)
	}
}

func TestProcessMatch(t *testing.T) {
	t.Parallel()
	marker := fmt.Sprintf("loadcheck-match-%d-%d", os.Getpid(), time.Now().UnixNano())
	pid := startHelper(t, "idle", marker).Process.Pid
	s, err := New(scenario.ResourceSource{Kind: scenario.SourceProcess, Arg: marker}, 0, scenario.Resources{Every: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sum := runFor(t, s, 500*time.Millisecond)
	if len(sum.Processes) != 1 || sum.Processes[0].PID != pid || !strings.Contains(sum.Processes[0].Name, marker) {
		t.Errorf("processes = %+v, want pid %d with %q in its name", sum.Processes, pid, marker)
	}

	// Every test helper's command line holds os.Args[0], and so does this
	// process's, which is left out.
	s, err = New(scenario.ResourceSource{Kind: scenario.SourceProcess, Arg: os.Args[0]}, 0, scenario.Resources{})
	if err != nil {
		t.Fatal(err)
	}
	if sum := runFor(t, s, 50*time.Millisecond); len(sum.Processes) == 0 {
		t.Error("no process matches os.Args[0]")
	} else if _, ok := rowOf(sum, os.Getpid()); ok {
		t.Errorf("loadcheck's own process %d was sampled", os.Getpid())
	}
}

func TestCurrent(t *testing.T) {
	t.Parallel()
	pid := startHelper(t, "burn:50").Process.Pid
	s, err := New(pidSource(pid), 0, scenario.Resources{Every: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := s.Current(); ok {
		t.Error("Current before Run: ok")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sus, tot, rss, ok := s.Current()
		if ok && tot > 0 {
			if sus <= 0 || rss == 0 {
				t.Errorf("Current() = %v, %v, %v, ok; want figures > 0", sus, tot, rss)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Current() = %v, %v, %v, %v after 10s; want ok, CPU > 0", sus, tot, rss, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); err == nil {
		t.Error("second Run: no error")
	}
}

// TestEveryKindHasReader checks that every kind of source a target file
// can name has a reader here, and nothing else does.
func TestEveryKindHasReader(t *testing.T) {
	t.Parallel()
	kinds := scenario.SourceKinds()
	for _, k := range kinds {
		if readers[k] == nil {
			t.Errorf("resources: {%s: ...} validates, but resource has no reader of it", k)
		}
	}
	if len(readers) != len(kinds) {
		t.Errorf("%d readers for %d kinds of source %v", len(readers), len(kinds), kinds)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pid")
	os.WriteFile(bad, []byte("twelve\n"), 0o644)
	const noPID = 1 << 30 // above pid_max
	for _, tc := range []struct {
		name string
		src  scenario.ResourceSource
		root int
		cfg  scenario.Resources
		want string
	}{
		{"nothing", scenario.ResourceSource{}, 0, scenario.Resources{}, "resources: no source"},
		{"pid", pidSource(noPID), 0, scenario.Resources{}, "resources.pid: pid 1073741824: no such process"},
		{"started target", scenario.ResourceSource{}, noPID, scenario.Resources{}, "resources: started target: pid 1073741824: no such process"},
		{"pidfile missing", scenario.ResourceSource{Kind: scenario.SourcePIDFile, Arg: filepath.Join(dir, "none.pid")}, 0, scenario.Resources{}, "resources.pidfile: open "},
		{"pidfile bad", scenario.ResourceSource{Kind: scenario.SourcePIDFile, Arg: bad}, 0, scenario.Resources{}, `resources.pidfile: "twelve" is not a process id`},
		{"process", scenario.ResourceSource{Kind: scenario.SourceProcess, Arg: "no such command line 8c1e"}, 0, scenario.Resources{}, `resources.process: no process matches "no such command line 8c1e"`},
		{"cgroup", scenario.ResourceSource{Kind: scenario.SourceCgroup, Arg: filepath.Join(dir, "cg")}, 0, scenario.Resources{}, "resources.cgroup: " + filepath.Join(dir, "cg") + ": not a cgroup v2 directory"},
		{"unknown kind", scenario.ResourceSource{Kind: "docker", Arg: "titan"}, 0, scenario.Resources{}, `resources: source "docker": loadcheck has no reader of it`},
		{"every", scenario.ResourceSource{}, 1, scenario.Resources{Every: -time.Second}, "resources: every -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.src, tc.root, tc.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("New(%+v, %d) = %v, want an error starting %q", tc.src, tc.root, err, tc.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s, err := New(pidSource(os.Getpid()), 0, scenario.Resources{})
	if err != nil {
		t.Fatal(err)
	}
	sum := s.Summary()
	if sum.Every != time.Second || sum.SustainedWindow != 30*time.Second || sum.Cores < 1 {
		t.Errorf("Every, SustainedWindow, Cores = %v, %v, %v", sum.Every, sum.SustainedWindow, sum.Cores)
	}
}
