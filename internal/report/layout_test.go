package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/report/table"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// titan builds one of the five titan configurations of fiveTargets: its
// file and name, the search p95, the broadcast loss, the busiest
// process's sustained CPU and its processes.
func titan(t *testing.T, file, name string, p95ms, loss, cpu float64, procs []resource.Process) *result.Result {
	t.Helper()
	r := fixture(t)
	r.RunID = "20261123T100000Z-" + file
	r.Target = result.TargetInfo{Name: name, File: "targets/" + file + ".yaml", BaseURL: "http://127.0.0.1:41234", Started: true, ReadyTime: 1100 * time.Millisecond}
	s := &r.HTTP.Endpoints[0]
	s.Latency.P50, s.Latency.P90, s.Latency.P95, s.Latency.P99 = msv(p95ms*0.42), msv(p95ms*0.85), msv(p95ms), msv(p95ms*1.35)
	s.Errors, s.ErrorKinds = 0, nil
	r.HTTP.Total.Errors = 0
	r.HTTP.Total.Latency.P95 = msv(p95ms * 0.9)
	ws := *r.WebSocket
	ws.Loss = loss
	ws.Delivered = ws.Expected - int64(loss/100*float64(ws.Expected))
	ws.Missing = ws.Expected - ws.Delivered
	// A target that loses broadcasts delivers them to the boards of one
	// worker only.
	var workers []int
	for _, p := range procs {
		if p.Role == "worker" {
			workers = append(workers, p.PID)
		}
	}
	ws.PerBoard = nil
	for i := range 6 {
		b := probe.Board{ID: i, Expected: 240, Delivered: 240, Ratio: 1, Worker: strconv.Itoa(workers[i%len(workers)])}
		if loss > 0 && i%len(workers) != 0 {
			b.Delivered, b.Ratio = 0, 0
		}
		ws.PerBoard = append(ws.PerBoard, b)
	}
	r.WebSocket = &ws
	res := *r.Resources
	res.Processes = procs
	res.RSSTotal = 0
	res.CPUTotal = 0
	var per []float64
	for _, p := range procs {
		res.RSSTotal += p.RSSPeak
		res.CPUTotal += p.CPUMean
		per = append(per, p.CPUMean)
	}
	res.Start = time.Time{}
	res.Timeline = []resource.Sample{{T: time.Second, CPU: res.CPUTotal, PerProcess: per}, {T: 2 * time.Second, CPU: res.CPUTotal, PerProcess: per}}
	res.CPUSustained = cpu
	r.Resources = &res
	regate(t, r)
	return r
}

// fiveTargets compares the five titan configurations of the README: one
// tuned worker (passes, the cheapest), two workers (the trap: broadcasts
// lost), gunicorn with Redis fan-out and the nginx split (pass, with more
// processes and memory), nginx sticky sessions (still lose broadcasts).
func fiveTargets(t *testing.T) *result.Comparison {
	t.Helper()
	const mib = 1 << 20
	uv := "/usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port 41234"
	spawn := "/usr/bin/python3 -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork"
	return result.NewComparison([]*result.Result{
		titan(t, "titan-1w", "titan, uvicorn 1 worker (tuned)", 1900, 0, 52, []resource.Process{
			{PID: 100, Name: uv + " --loop uvloop --http httptools --limit-concurrency 200", Role: "worker", CPUMean: 45, CPUSustained: 52, RSSPeak: 46 * mib},
		}),
		titan(t, "titan-2w", "titan, uvicorn 2 workers", 1020, 49.72, 38.5, []resource.Process{
			{PID: 200, Name: uv + " --workers 2", Role: "master", CPUMean: 0.4, RSSPeak: 20 * mib},
			{PID: 201, Name: spawn, Role: "worker", CPUMean: 30.1, CPUSustained: 38.5, RSSPeak: 48 * mib},
			{PID: 202, Name: spawn, Role: "worker", CPUMean: 30.7, CPUSustained: 37.9, RSSPeak: 48 * mib},
		}),
		titan(t, "titan-gunicorn-redis", "titan, gunicorn 2 workers + redis fan-out", 1080, 0, 40.2, []resource.Process{
			{PID: 300, Name: "gunicorn: master [app:app]", Role: "master", CPUMean: 0.5, RSSPeak: 24 * mib},
			{PID: 301, Name: "gunicorn: worker [app:app]", Role: "worker", CPUMean: 31, CPUSustained: 40.2, RSSPeak: 52 * mib},
			{PID: 302, Name: "gunicorn: worker [app:app]", Role: "worker", CPUMean: 30, CPUSustained: 39.1, RSSPeak: 52 * mib},
			{PID: 303, Name: "/usr/bin/redis-server 127.0.0.1:6390", Role: "redis", CPUMean: 2.1, RSSPeak: 8 * mib},
		}),
		titan(t, "titan-nginx-sticky", "titan, nginx ip_hash + 2 uvicorn processes", 1110, 24.6, 41.3, []resource.Process{
			{PID: 400, Name: "nginx: master process /usr/sbin/nginx -c /tmp/lc/nginx.conf", Role: "nginx master", CPUMean: 0.1, RSSPeak: 4 * mib},
			{PID: 401, Name: "nginx: worker process", Role: "nginx worker", CPUMean: 3.2, RSSPeak: 5 * mib},
			{PID: 402, Name: uv + " --port 41300", Role: "worker", CPUMean: 30.3, CPUSustained: 41.3, RSSPeak: 48 * mib},
			{PID: 403, Name: uv + " --port 41301", Role: "worker", CPUMean: 30.2, CPUSustained: 40.8, RSSPeak: 48 * mib},
		}),
		titan(t, "titan-split", "titan, nginx split (real-time 1 worker, HTTP 2 workers)", 1050, 0, 39.8, []resource.Process{
			{PID: 500, Name: "nginx: master process /usr/sbin/nginx -c /tmp/lc/nginx.conf", Role: "nginx master", CPUMean: 0.1, RSSPeak: 4 * mib},
			{PID: 501, Name: "nginx: worker process", Role: "nginx worker", CPUMean: 3.4, RSSPeak: 5 * mib},
			{PID: 502, Name: uv + " --port 41400", Role: "worker", CPUMean: 4.1, CPUSustained: 6.2, RSSPeak: 44 * mib},
			{PID: 503, Name: uv + " --port 41401 --workers 2", Role: "master", CPUMean: 0.3, RSSPeak: 20 * mib},
			{PID: 504, Name: spawn, Role: "worker", CPUMean: 29.5, CPUSustained: 39.8, RSSPeak: 56 * mib},
			{PID: 505, Name: spawn, Role: "worker", CPUMean: 29.9, CPUSustained: 38.7, RSSPeak: 55 * mib},
		}),
	})
}

// TestFiveTargetsFit160Columns renders the compare of five targets as a
// terminal 160 columns wide shows it: side by side, every table line
// within 160 columns, columns named by the target file's stem with a
// legend of full names, and the change in the value's cell.
func TestFiveTargetsFit160Columns(t *testing.T) {
	var b bytes.Buffer
	if err := RenderTerminal(&b, fiveTargets(t), 160); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if w := table.Width(out); w > 160 {
		t.Errorf("five targets are %d columns wide, want at most 160", w)
	}
	for _, want := range []string{
		"│ titan-1w ", "│ titan-split ",
		"│ titan-gunicorn-redis │ titan, gunicorn 2 workers + redis fan-out",
		"1020 (−46%)", "49.72 (+49.7pp)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compare lacks %q", want)
		}
	}
	if strings.Contains(out, "Δ ") {
		t.Errorf("compare still has a change column of its own")
	}
	golden.Check(t, "compare5.160.txt", b.Bytes())
}

// TestCompareNarrowTerminal renders the same comparison for an 80-column
// terminal: a block per target, every table line within 80 columns, and
// each target's gates under its block.
func TestCompareNarrowTerminal(t *testing.T) {
	c := fiveTargets(t)
	var b bytes.Buffer
	if err := RenderTerminal(&b, c, 80); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if w := table.Width(out); w > 80 {
		t.Errorf("narrow layout is %d columns wide, want at most 80", w)
	}
	for _, want := range []string{
		"titan-2w — titan, uvicorn 2 workers\n",
		"value (vs titan-1w)",
		"FAIL ws.loss == 0%: 49.7%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("narrow compare lacks %q", want)
		}
	}
	golden.Check(t, "compare5.80.txt", b.Bytes())

	// Without a width, or wide enough, it stays side by side.
	var wide, plain bytes.Buffer
	RenderTerminal(&wide, c, 400)
	Render(&plain, c, FormatTable)
	if wide.String() != plain.String() || strings.Contains(plain.String(), "value (vs") {
		t.Errorf("a wide terminal or no terminal does not get the side-by-side layout")
	}
}

// TestProcessColumn checks that the Resources table names each process by
// the part of its command line that tells configurations apart.
func TestProcessColumn(t *testing.T) {
	c := fiveTargets(t)
	var b bytes.Buffer
	for _, r := range c.Results {
		if err := table.WriteText(&b, []table.Table{resourceTable(r)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	out := b.String()
	for _, want := range []string{"uvicorn app:app --workers 2", "gunicorn: worker ", "multiprocessing worker", "nginx: master process ", "redis-server "} {
		if !strings.Contains(out, want) {
			t.Errorf("Resources tables lack %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"/usr/bin", "127.0.0.1", "--port", "..."} {
		if strings.Contains(out, bad) {
			t.Errorf("Resources tables show %q", bad)
		}
	}
}

// TestRunFits100Columns renders every kind of run report for a terminal
// 100 columns wide, as make demo prints on one: no line, table or prose,
// is wider, tables too wide get two-line headers or are split with their
// first column repeated, and no cell is lost.
func TestRunFits100Columns(t *testing.T) {
	for name, r := range map[string]*result.Result{"run": fixture(t), "run-overload": overload(t)} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderTerminal(&b, r, 100); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for i, l := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(l); n > 100 {
					t.Errorf("line %d is %d columns wide, want at most 100: %s", i+1, n, l)
				}
			}
			for _, tb := range Tables(r) {
				for _, row := range tb.Rows {
					for _, c := range row {
						for _, word := range strings.Fields(c) {
							if !strings.Contains(out, word) {
								t.Errorf("%s: cell %q lost at 100 columns", tb.Title, c)
							}
						}
					}
				}
			}
			golden.Check(t, name+".100.txt", b.Bytes())
		})
	}
}
