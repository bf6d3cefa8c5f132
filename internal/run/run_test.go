package run_test

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/sim"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestMain lets the test binary stand in for loadcheck: target files start
// "loadcheck sim …".
func TestMain(m *testing.M) {
	simtest.MaybeServe()
	os.Exit(simtest.RunLeakChecked(m))
}

// execute writes a sim target with the given sim flags and the scenario,
// and runs it.
func execute(t *testing.T, simFlags []string, scenarioYAML string) *result.Result {
	t.Helper()
	sc, tg := prepare(t, simFlags, scenarioYAML)
	res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return res
}

// prepare writes a sim target with the given sim flags and the scenario,
// and loads them.
func prepare(t *testing.T, simFlags []string, scenarioYAML string) (*scenario.Scenario, *scenario.Target) {
	t.Helper()
	return loadFiles(t, simtest.Target("sim under test", simFlags...), scenarioYAML)
}

// loadFiles writes the target and the scenario files and loads them.
func loadFiles(t *testing.T, tgt, scenarioYAML string) (*scenario.Scenario, *scenario.Target) {
	t.Helper()
	return loadDir(t, simtest.Scenario(t, tgt, scenarioYAML))
}

// loadDir loads dir's scenario.yaml and its target file.
func loadDir(t *testing.T, dir string) (*scenario.Scenario, *scenario.Target) {
	t.Helper()
	sc, err := scenario.Load(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := scenario.LoadTarget(sc.TargetFile)
	if err != nil {
		t.Fatal(err)
	}
	return sc, tg
}

var boards = "duration: 6s\n" + simtest.HealthAndBoards(6, "1s", "20/s") + `gates: ["ws.loss == 0%"]
`

func TestBroadcastLoss(t *testing.T) {
	tests := []struct {
		name             string
		flags            []string
		minLoss, maxLoss float64
		wantWorkers      int
	}{
		{"1 worker", []string{"--workers", "1"}, 0, 0, 1},
		{"2 workers", []string{"--workers", "2"}, 35, 65, 2},
		{"2 workers, shared fan-out", []string{"--workers", "2", "--fanout", "shared"}, 0, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := execute(t, tc.flags, boards)
			ws := res.WebSocket
			if ws == nil || ws.Connected != 6 || ws.Acked < 100 {
				t.Fatalf("websocket = %+v, want 6 boards connected and 100+ events", ws)
			}
			if ws.Loss < tc.minLoss || ws.Loss > tc.maxLoss {
				t.Errorf("ws.loss = %.1f%%, want %v–%v%%", ws.Loss, tc.minLoss, tc.maxLoss)
			}
			workers := map[string]bool{}
			for _, b := range ws.PerBoard {
				workers[b.Worker] = true
				// With the split, each board sees about half of the events.
				if tc.maxLoss > 0 && (b.Ratio < 0.2 || b.Ratio > 0.8) {
					t.Errorf("board %d on worker %s received %.0f%%, want about half", b.ID, b.Worker, 100*b.Ratio)
				}
			}
			// The kernel may put every board on one worker of the shared
			// socket; with a connection per broadcast the POSTs still spread,
			// so the loss does not depend on where the boards landed.
			if len(workers) > tc.wantWorkers || len(workers) == 0 {
				t.Errorf("boards held by %d workers (%v), want 1 to %d", len(workers), workers, tc.wantWorkers)
			}
			if pass := res.Pass; pass != (tc.maxLoss == 0) {
				t.Errorf("gate ws.loss == 0%%: pass = %v, want %v", pass, tc.maxLoss == 0)
			}
			if tc.maxLoss > 0 {
				var b strings.Builder
				report.Render(&b, res, report.FormatTable)
				if !strings.Contains(b.String(), "boards on worker") {
					t.Errorf("the report does not show the split by worker:\n%s", b.String())
				}
			}
		})
	}
}

// The sim burns a known CPU cost per search: loadcheck's sampler must see
// it. 10 ms a search is 1 % of a core per search served each second, plus
// the HTTP overhead. The searches served are the run's achieved rate, so
// the figure is held to the work the target did, not to the work offered:
// on a busy machine the target gets less CPU and serves fewer searches,
// and both show. At 60/s over two workers the busiest one is read: the
// spread allows it 30–70 % of the searches, far less than both workers'
// sum.
// overheadPP is what the sim's HTTP handling adds to a worker's CPU at
// these rates, in points of a core: enough for the parsing and the
// event loop, too little to pass the sum of two workers as one.
const overheadPP = 10

func TestCPUSustained(t *testing.T) {
	tests := []struct {
		name       string
		flags      []string
		rate       string
		minShare   float64 // of the searches the busiest worker served
		maxShare   float64
		wantWorker int
	}{
		{"1 worker at 30/s", []string{"--workers", "1", "--search-cpu", "10ms"}, "30/s", 1, 1, 1},
		{"2 workers at 60/s", []string{"--workers", "2", "--search-cpu", "10ms"}, "60/s", 0.30, 0.70, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := execute(t, tc.flags, `duration: 8s
warmup: 1s
http:
  load: {rate: `+tc.rate+`}
  endpoints: [{name: search, path: /api/zeus/search?q=x}]
gates: ["cpu.sustained < 60%"]
`)
			r := res.Resources
			if r == nil {
				t.Fatal("no resources measured")
			}
			// 10 ms a search: 1 % of a core per search a second.
			served := res.HTTP.Total.Achieved
			lo, hi := 0.9*tc.minShare*served, tc.maxShare*served+overheadPP
			t.Logf("cpu.sustained %.1f%% with %.1f searches/s served (bounds %.1f–%.1f%%)", r.CPUSustained, served, lo, hi)
			if served < 10 || r.CPUSustained < lo || r.CPUSustained > hi {
				t.Errorf("cpu.sustained = %.1f%% with %.1f searches/s served, want %.1f–%.1f%%", r.CPUSustained, served, lo, hi)
			}
			workers := 0
			for _, p := range r.Processes {
				if p.Role == "worker" {
					workers++
				}
			}
			if workers != tc.wantWorker {
				t.Errorf("%d worker rows, want %d: %+v", workers, tc.wantWorker, r.Processes)
			}
			// The default client model spreads the load like real
			// traffic: each of two workers does a good part of the work
			// (the kernel hands 100 connections to two accepting workers
			// unevenly: 65.8 % seen in CI; one shared connection gives
			// one worker all of it).
			for _, w := range report.Spread(res) {
				if w.Share < 30 || w.Share > 70 {
					t.Errorf("worker %d did %.1f%% of the workers' CPU, want 30–70%%", w.PID, w.Share)
				}
			}
			if math.IsNaN(r.CPUTotal) || r.CPUTotal < r.CPUSustained*0.5 {
				t.Errorf("cpu.total = %.1f%%, want at least half the sustained figure", r.CPUTotal)
			}
			if !res.Target.Started || res.Target.ReadyTime <= 0 {
				t.Errorf("target.ready_time = %v, want it measured", res.Target.ReadyTime)
			}
		})
	}
}

// A pinned source address the machine does not have stops the run before
// the target starts, naming the field and the fix.
func TestSourceAddressNotOnThisMachine(t *testing.T) {
	sc, tg := loadFiles(t, "name: nothing\nbase_url: http://127.0.0.1:9\n", `source_address: 192.0.2.7
duration: 1s
http:
  load: {rate: 1/s}
  endpoints: [{name: health, path: /api/health}]
`)
	res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
	if res != nil || err == nil || !strings.Contains(err.Error(), "scenario.yaml:3:17: source_address 192.0.2.7: not an address this machine can connect from") {
		t.Errorf("Execute = %v, %v; want no result and the field's position in the error", res, err)
	}
}

// A run that fails after its probes connected closes them before Execute
// returns: no board or SSE client is left reading, on any of the early
// returns once the probes are up.
func TestEarlyEndClosesProbes(t *testing.T) {
	yaml := "duration: 2s\n" + simtest.HealthAndBoards(3, "", "5/s") + `sse:
  clients: 2
  path: /api/stream
`
	tests := []struct {
		name    string
		prepare func(sc *scenario.Scenario, o *run.Options, cancel context.CancelFunc)
		want    string
	}{
		// The load cannot be built: a placeholder no feed fills (validation
		// catches it in a scenario file; this one is changed after).
		{"load fails to start", func(sc *scenario.Scenario, o *run.Options, _ context.CancelFunc) {
			sc.HTTP.Endpoints[0].Path = "/api/{{.missing}}"
		}, "names no feed column"},
		// Interrupted while waiting for --start.
		{"interrupted before --start", func(_ *scenario.Scenario, o *run.Options, cancel context.CancelFunc) {
			o.Start = time.Now().Add(time.Hour)
			o.Progress = &progressHook{on: "connecting 2 SSE clients … done", do: cancel}
		}, "interrupted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A target already running, so that no target stop hides what
			// Execute left behind.
			simCtx, stopSim := context.WithCancel(context.Background())
			srv, err := sim.Start(simCtx, sim.Options{Workers: 1, Listen: "127.0.0.1:0", Log: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { stopSim(); srv.Wait() }()
			sc, tg := loadFiles(t, "name: sim\nbase_url: "+srv.URL()+"\nready: {path: /api/health}\n", yaml)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard}
			tc.prepare(sc, &o, cancel)
			res, err := run.Execute(ctx, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) || res != nil {
				t.Fatalf("Execute = %v, %v; want no result and an error with %q", res, err, tc.want)
			}
			if left := probeGoroutines(); left != "" {
				t.Errorf("probe goroutines still running after Execute returned:\n%s", left)
			}
		})
	}
}

// progressHook calls do once the progress output has shown on.
type progressHook struct {
	on   string
	do   func()
	seen strings.Builder
}

func (p *progressHook) Write(b []byte) (int, error) {
	p.seen.Write(b)
	if strings.Contains(p.seen.String(), p.on) {
		p.do()
	}
	return len(b), nil
}

// probeGoroutines returns the stacks of the goroutines running code of
// package probe, or "" when there are none.
func probeGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			if strings.Contains(line, "/internal/probe.") && !strings.HasPrefix(line, "created by") {
				left = append(left, g)
				break
			}
		}
	}
	return strings.Join(left, "\n\n")
}
