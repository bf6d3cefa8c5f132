package run_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/capacity"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// needTitan skips where the Debian packages of the real target are missing;
// in CI (where make test installs them) their absence fails instead.
func needTitan(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import fastapi, uvicorn, uvloop, httptools, redis, websockets, asyncpg, psycopg2, httpx").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the real target's Debian packages are missing (make deps installs them): %v", err)
		}
		t.Skipf("the real target's Debian packages are missing (run make deps): %v", err)
	}
	pg, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(pg) == 0 {
		pg = []string{"/usr/lib/postgresql/VERSION/bin/postgres"}
	}
	for _, bin := range []string{"/usr/sbin/nginx", "/usr/bin/redis-server", "/usr/bin/gunicorn", pg[0]} {
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s missing (make deps installs it)", bin)
			}
			t.Skipf("%s missing (run make deps)", bin)
		}
	}
}

func executeFiles(t *testing.T, scenarioFile, targetFile string, edit func(*scenario.Scenario)) *result.Result {
	t.Helper()
	sc, err := scenario.Load(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(sc)
	}
	tg, err := scenario.LoadTarget(targetFile)
	if err != nil {
		t.Fatal(err)
	}
	ownPorts(t, tg)
	res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
	if err != nil {
		t.Fatalf("Execute %s: %v", filepath.Base(targetFile), err)
	}
	return res
}

// assertGone checks that no process the run sampled is alive and that the
// port no longer listens.
func assertGone(t *testing.T, res *result.Result) {
	t.Helper()
	if res.Resources != nil {
		for _, p := range res.Resources.Processes {
			if p.PID <= 0 {
				continue
			}
			if st, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/stat"); err == nil && !zombie(st) {
				t.Errorf("process %d (%s) outlived the run", p.PID, p.Name)
			}
		}
	}
	u, err := url.Parse(res.Target.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still listens after the run", u.Host)
	}
}

func zombie(stat []byte) bool {
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' && i+2 < len(stat) {
			return stat[i+2] == 'Z'
		}
	}
	return false
}

// Every shipped target file starts, answers every endpoint of the smoke
// scenario (websocket upgrade and SSE included) and stops leaving nothing.
func TestShippedTargetsPassSmoke(t *testing.T) {
	needTitan(t)
	targets, _ := filepath.Glob("../../targets/*.yaml")
	for _, tf := range targets {
		tg, err := scenario.LoadTarget(tf)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Start == nil {
			continue // production.example.yaml: nothing to start
		}
		t.Run(filepath.Base(tf), func(t *testing.T) {
			res := executeFiles(t, "../../scenarios/smoke.yaml", tf, nil)
			if !res.Pass {
				var b = new(bytesBuffer)
				report.Render(b, res, report.FormatTable)
				t.Errorf("smoke failed:\n%s", b)
			}
			for _, e := range res.HTTP.Endpoints {
				if e.Requests == 0 || e.Codes["200"] != e.Requests {
					t.Errorf("%s: %d requests, codes %v, want all 200", e.Name, e.Requests, e.Codes)
				}
			}
			if res.WebSocket == nil || res.WebSocket.Delivered == 0 || res.SSE == nil || res.SSE.Events == 0 {
				t.Errorf("real-time: websocket %+v, sse %+v, want deliveries and events", res.WebSocket, res.SSE)
			}
			if res.Target.ReadyTime <= 0 {
				t.Errorf("ready time not measured")
			}
			assertGone(t, res)
		})
	}
}

// The default client model against the real service: uvicorn --workers 2
// and gunicorn with 2 UvicornWorkers, search burning 20 ms of CPU, 40
// req/s. Each worker does 35–65 % of the work, from the CPU the target's
// own processes used (/proc, per process, over the measured phase). One
// kept-alive connection used to give one worker all of it.
func TestTitanWorkersShareTheLoad(t *testing.T) {
	needTitan(t)
	dir := t.TempDir()
	sf := filepath.Join(dir, "spread.yaml")
	if err := os.WriteFile(sf, []byte(`name: spread
duration: 10s
warmup: 2s
http:
  timeout: 20s
  load: {rate: 40/s}
  endpoints: [{name: search, path: "/api/zeus/search?q=pump"}]
resources: {every: 500ms, sustained_window: 5s}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"titan-2w.yaml", "titan-gunicorn-redis.yaml"} {
		t.Run(target, func(t *testing.T) {
			res := executeTarget(t, sf, "../../targets/"+target, func(tg *scenario.Target) {
				if tg.Start.Env == nil {
					tg.Start.Env = map[string]string{}
				}
				tg.Start.Env["SEARCH_DB"] = "none" // the simulated search, not PostgreSQL's
				tg.Start.Env["SEARCH_MODE"] = "cpu"
				tg.Start.Env["SEARCH_CPU_MS"] = "20"
			})
			shares := report.Spread(res)
			if len(shares) != 2 {
				t.Fatalf("spread over %d workers, want 2: %+v", len(shares), res.Resources.Processes)
			}
			for _, w := range shares {
				t.Logf("worker %d: %.1f%% of a core, %.1f%% of the workers' CPU", w.PID, w.CPU, w.Share)
				if w.Share < 35 || w.Share > 65 {
					t.Errorf("worker %d did %.1f%% of the workers' CPU, want 35–65%%", w.PID, w.Share)
				}
			}
			if n := res.HTTP.Total.Requests; n < 380 {
				t.Errorf("%d requests measured, want about 400", n)
			}
			if v := report.Verdict(res); strings.Contains(v, "did not spread") {
				t.Errorf("verdict warns of an even spread:\n%s", v)
			}
			assertGone(t, res)
		})
	}
}

// The shipped pre-launch scenario, with nothing changed but its length,
// compared across the scaling options of the real service: the trap
// (uvicorn --workers 2) and nginx ip_hash lose broadcasts, gunicorn with
// Redis fan-out and the nginx split do not. nginx loses because the boards
// whose /24 hashes to the other upstream than the broadcaster's never see
// an event, and the report says so. Pinned to one address (one office
// behind NAT) every client lands on one upstream and nothing is lost: the
// client model decides, not luck.
func TestTitanCompareScalingOptions(t *testing.T) {
	needTitan(t)
	sc, err := scenario.Load("../../scenarios/prelaunch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc = sc.WithDuration(6 * time.Second)
	sc.Warmup = 0
	var targets []*scenario.Target
	for _, f := range []string{"titan-1w", "titan-2w", "titan-gunicorn-redis", "titan-nginx-sticky", "titan-split"} {
		tg, err := scenario.LoadTarget("../../targets/" + f + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		ownPorts(t, tg)
		targets = append(targets, tg)
	}
	cmp, err := capacity.Compare(context.Background(), sc, targets, capacity.Options{TargetLog: io.Discard})
	if err != nil {
		t.Fatalf("compare: %v", err)
	}
	var text strings.Builder
	report.Render(&text, cmp, report.FormatTable)
	t.Logf("compare:\n%s", text.String())
	wantLoss := []bool{false, true, false, true, false}
	for i, res := range cmp.Results {
		if ws := res.WebSocket; ws == nil || ws.Connected != 6 || ws.Acked < 10 {
			t.Fatalf("%s: websocket %+v, want 6 boards and 10+ acknowledged events", res.Target.Name, ws)
		}
		if pass := gatePass(t, res, "ws.loss == 0%"); pass == wantLoss[i] {
			t.Errorf("%s: ws.loss %.1f%%, gate ws.loss == 0%% pass = %v, want %v", res.Target.Name, res.WebSocket.Loss, pass, !wantLoss[i])
		}
		if res.Sources == nil || res.Sources.Mode != "spread" {
			t.Errorf("%s: sources %+v, want a loopback /24 per client", res.Target.Name, res.Sources)
		}
		assertGone(t, res)
	}
	// Why nginx loses: its boards, grouped by the upstream that holds them,
	// with their networks; one group received nothing.
	sticky := cmp.Results[3]
	lost := false
	for _, b := range sticky.WebSocket.PerBoard {
		lost = lost || b.Delivered == 0 && b.Expected > 0
	}
	if !lost || !strings.Contains(text.String(), "received 0.0% of expected events, from 127.1.") {
		t.Errorf("nginx ip_hash: no board group that received nothing named with its networks (per board: %+v)", sticky.WebSocket.PerBoard)
	}

	pinned := *sc
	pinned.SourceAddress = mustAddr(t, "127.0.0.1")
	res, err := run.Execute(context.Background(), run.Options{Scenario: &pinned, Target: targets[3], TargetLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if ws := res.WebSocket; ws == nil || ws.Connected != 6 || ws.Acked < 10 || ws.Loss != 0 {
		t.Errorf("nginx ip_hash, every client from 127.0.0.1: websocket %+v, want 6 boards, 10+ events, no loss", ws)
	}
	if res.Sources == nil || res.Sources.Pinned != "127.0.0.1" {
		t.Errorf("sources %+v, want pinned to 127.0.0.1", res.Sources)
	}
	assertGone(t, res)
}

// gatePass returns whether the named gate passed in res.
func gatePass(t *testing.T, res *result.Result, g string) bool {
	t.Helper()
	for _, o := range res.Gates {
		if o.Gate == g {
			return o.Pass
		}
	}
	t.Fatalf("%s: no gate %q in %+v", res.Target.Name, g, res.Gates)
	return false
}

// executeTarget runs the scenario file against the target file after edit
// changes the target.
func executeTarget(t *testing.T, scenarioFile, targetFile string, edit func(*scenario.Target)) *result.Result {
	t.Helper()
	sc, err := scenario.Load(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := scenario.LoadTarget(targetFile)
	if err != nil {
		t.Fatal(err)
	}
	ownPorts(t, tg)
	edit(tg)
	res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
	if err != nil {
		t.Fatalf("Execute %s: %v", filepath.Base(targetFile), err)
	}
	return res
}

type bytesBuffer = strings.Builder

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
