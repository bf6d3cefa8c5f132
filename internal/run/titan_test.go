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

	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// needTitan skips where the Debian packages of the real target are missing;
// in CI (where make test installs them) their absence fails instead.
func needTitan(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import fastapi, uvicorn, uvloop, httptools, redis, websockets").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the real target's Debian packages are missing (make deps installs them): %v", err)
		}
		t.Skipf("the real target's Debian packages are missing (run make deps): %v", err)
	}
	for _, bin := range []string{"/usr/sbin/nginx", "/usr/bin/redis-server", "/usr/bin/gunicorn"} {
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s missing (make deps installs it)", bin)
			}
			t.Skipf("%s missing (run make deps)", bin)
		}
	}
}

func executeFiles(t *testing.T, scenarioFile, targetFile string, edit func(*scenario.Scenario)) *report.Result {
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
	res, err := run.Execute(context.Background(), run.Options{Scenario: sc, Target: tg, TargetLog: io.Discard})
	if err != nil {
		t.Fatalf("Execute %s: %v", filepath.Base(targetFile), err)
	}
	return res
}

// assertGone checks that no process the run sampled is alive and that the
// port no longer listens.
func assertGone(t *testing.T, res *report.Result) {
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
				report.WriteText(b, res)
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

// The four scaling options against broadcast loss, on the real service.
func TestTitanBroadcastLoss(t *testing.T) {
	needTitan(t)
	tests := []struct {
		target           string
		from             string // the one source address of every client; "" spreads them
		minLoss, maxLoss float64
	}{
		{"titan-1w.yaml", "", 0, 0},
		{"titan-2w.yaml", "", 35, 65},
		{"titan-gunicorn-redis.yaml", "", 0, 0},
		{"titan-split.yaml", "", 0, 0},
		// nginx ip_hash pins each client by the first three octets of its
		// IPv4 address: the boards whose /24 hashes to the other upstream
		// than the broadcaster's miss every event.
		{"titan-nginx-sticky.yaml", "", 15, 100},
		// One office behind NAT: one address, one upstream, nothing lost.
		{"titan-nginx-sticky.yaml", "127.0.0.1", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.target+tc.from, func(t *testing.T) {
			res := executeFiles(t, "../../scenarios/smoke.yaml", "../../targets/"+tc.target, func(sc *scenario.Scenario) {
				sc.WebSocket.Boards = 6
				sc.WebSocket.Broadcast.Rate = scenario.Rate{Freq: 10, Per: time.Second}
				sc.WebSocket.Broadcast.Stages = nil
				if tc.from != "" {
					sc.SourceAddress = mustAddr(t, tc.from)
				}
			})
			ws := res.WebSocket
			if ws == nil || ws.Connected != 6 || ws.Acked < 50 {
				t.Fatalf("websocket %+v: want 6 boards and 50+ acknowledged events", ws)
			}
			if ws.Loss < tc.minLoss || ws.Loss > tc.maxLoss {
				t.Errorf("ws.loss = %.1f%%, want %v–%v%% (per board: %+v)", ws.Loss, tc.minLoss, tc.maxLoss, ws.PerBoard)
			}
			assertGone(t, res)
		})
	}
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
