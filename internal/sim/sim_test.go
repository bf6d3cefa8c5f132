//go:build unix

package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/goccy/go-yaml"
	"github.com/spf13/pflag"

	"github.com/loadcheck/loadcheck/internal/sim"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// startSim starts a sim on a free loopback port and stops it when the test
// ends, checking that Wait returns nil and every worker process is gone.
func startSim(t *testing.T, opts sim.Options) *sim.Server {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	opts.Log = testLog{t}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := sim.Start(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := srv.Wait(); err != nil {
			t.Errorf("Wait after cancel = %v, want nil", err)
		}
		for _, pid := range srv.PIDs() {
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("worker pid %d after Wait: kill(pid, 0) = %v, want ESRCH", pid, err)
			}
		}
	})
	if got := len(srv.PIDs()); got != max(opts.Workers, 1) {
		t.Fatalf("PIDs() has %d pids, want %d", got, max(opts.Workers, 1))
	}
	return srv
}

// testLog shows the workers' stderr (panics, race reports) in the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("worker stderr: %s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// freshClient opens a new connection per request, so the kernel picks a
// worker each time.
func freshClient(t *testing.T) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// getJSON GETs url, decodes the JSON body into v and returns the worker pid.
func getJSON(t *testing.T, c *http.Client, url string, v any) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, resp.StatusCode, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: decoding %q: %v", url, body, err)
		}
	}
	return pidOf(t, resp)
}

func pidOf(t *testing.T, resp *http.Response) int {
	t.Helper()
	pid, err := strconv.Atoi(resp.Header.Get(sim.PIDHeader))
	if err != nil {
		t.Fatalf("%s header: %v", sim.PIDHeader, err)
	}
	return pid
}

// states returns every worker's debug state, asking on new connections
// until each pid has answered.
func states(t *testing.T, srv *sim.Server) map[int]sim.State {
	t.Helper()
	c := freshClient(t)
	got := make(map[int]sim.State)
	for range 200 {
		var st sim.State
		pid := getJSON(t, c, srv.URL()+"/api/debug/state", &st)
		if st.PID != pid {
			t.Fatalf("debug state pid %d answered with header pid %d", st.PID, pid)
		}
		got[pid] = st
		if len(got) == len(srv.PIDs()) {
			return got
		}
	}
	t.Fatalf("debug state reached pids %v of %v", keys(got), srv.PIDs())
	return nil
}

func keys[K comparable, V any](m map[K]V) []K {
	var ks []K
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestConnectionsSpreadOverWorkers(t *testing.T) {
	srv := startSim(t, sim.Options{Workers: 2})
	c := freshClient(t)
	var mu sync.Mutex
	counts := make(map[int]int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				var h struct {
					Status string
					PID    int
				}
				pid := getJSON(t, c, srv.URL()+"/api/health", &h)
				if h.Status != "ok" || h.PID != pid {
					t.Errorf("health = %+v from pid %d, want ok and the same pid", h, pid)
				}
				mu.Lock()
				counts[pid]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("requests per pid: %v", counts)
	for _, pid := range srv.PIDs() {
		if counts[pid] == 0 {
			t.Errorf("no request of 100 reached worker pid %d: %v", pid, counts)
		}
	}
	if len(counts) != 2 {
		t.Errorf("answered by pids %v, want only %v", keys(counts), srv.PIDs())
	}
}

func TestEndpoints(t *testing.T) {
	srv := startSim(t, sim.Options{Workers: 1})
	c := freshClient(t)
	for _, tc := range []struct {
		path, contentType string
		code              int
	}{
		{"/", "text/html", 200},
		{"/emergency", "text/html", 200},
		{"/api/zeus/search?q=drain", "application/json", 200},
		{"/api/customers/lookup", "application/json", 400},
		{"/nope", "text/plain", 404},
	} {
		resp, err := c.Get(srv.URL() + tc.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
			t.Errorf("GET %s = %d %q, want %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.code, tc.contentType)
		}
		if got := resp.Header.Get(sim.PIDHeader); got != strconv.Itoa(srv.PIDs()[0]) {
			t.Errorf("GET %s: %s = %q, want %d", tc.path, sim.PIDHeader, got, srv.PIDs()[0])
		}
	}
	var res struct {
		Q       string
		Results []struct{ ID, Title string }
	}
	getJSON(t, c, srv.URL()+"/api/zeus/search?q=sewer+camera", &res)
	if res.Q != "sewer camera" || len(res.Results) != 5 {
		t.Errorf("search = %+v, want q %q and 5 results", res, "sewer camera")
	}
}

// testBoard is a dispatch board connected to a known worker.
type testBoard struct {
	pid  int
	conn *websocket.Conn
	msgs chan []byte
	done chan error // the read error that ended the board
}

func dialBoard(t *testing.T, srv *sim.Server) *testBoard {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws://"+srv.Addr()+"/ws/dispatch", &websocket.DialOptions{
		HTTPClient: freshClient(t),
	})
	if err != nil {
		t.Fatalf("dial board: %v", err)
	}
	b := &testBoard{pid: pidOf(t, resp), conn: conn, msgs: make(chan []byte, 100), done: make(chan error, 1)}
	go func() {
		for {
			_, msg, err := conn.Read(context.Background())
			if err != nil {
				b.done <- err
				return
			}
			b.msgs <- msg
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return b
}

// boardsOnEveryWorker dials until each worker has at least n boards.
func boardsOnEveryWorker(t *testing.T, srv *sim.Server, n int) []*testBoard {
	t.Helper()
	var boards []*testBoard
	per := make(map[int]int)
	for range 100 {
		b := dialBoard(t, srv)
		boards = append(boards, b)
		per[b.pid]++
		enough := true
		for _, pid := range srv.PIDs() {
			enough = enough && per[pid] >= n
		}
		if enough {
			waitBoards(t, srv, len(boards))
			return boards
		}
	}
	t.Fatalf("boards per pid after 100 dials: %v", per)
	return nil
}

// waitBoards waits until the workers together hold n boards. A board's
// handshake answers before the worker adds it to its list (as in the app:
// accept(), then append), so a broadcast right after Dial may miss it.
func waitBoards(t *testing.T, srv *sim.Server, n int) {
	t.Helper()
	total := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		total = 0
		for _, st := range states(t, srv) {
			total += st.Boards
		}
		if total == n {
			return
		}
	}
	t.Fatalf("workers hold %d boards, want %d", total, n)
}

type broadcastReply struct {
	Delivered, Skipped, Workers, PID int
	Fanout                           string
}

func broadcast(t *testing.T, srv *sim.Server, body string) broadcastReply {
	t.Helper()
	resp, err := freshClient(t).Post(srv.URL()+"/api/dispatch/broadcast", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("broadcast: %v", err)
	}
	defer resp.Body.Close()
	var r broadcastReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("broadcast: status %d, decode: %v", resp.StatusCode, err)
	}
	if r.PID != pidOf(t, resp) {
		t.Fatalf("broadcast reply pid %d, header pid %d", r.PID, pidOf(t, resp))
	}
	return r
}

// received reports whether b gets want within wait; with wait 0, whether
// it already has.
func received(t *testing.T, b *testBoard, want string, wait time.Duration) bool {
	t.Helper()
	var timeout <-chan time.Time
	if wait > 0 {
		timeout = time.After(wait)
	}
	select {
	case msg := <-b.msgs:
		if string(msg) != want {
			t.Errorf("board on pid %d got %q, want %q", b.pid, msg, want)
		}
		return true
	default:
		if wait == 0 {
			return false
		}
	}
	select {
	case msg := <-b.msgs:
		if string(msg) != want {
			t.Errorf("board on pid %d got %q, want %q", b.pid, msg, want)
		}
		return true
	case <-timeout:
		return false
	}
}

func TestBroadcastFanout(t *testing.T) {
	for _, fanout := range []sim.Fanout{sim.FanoutProcess, sim.FanoutShared} {
		t.Run(string(fanout), func(t *testing.T) {
			srv := startSim(t, sim.Options{Workers: 2, Fanout: fanout})
			boards := boardsOnEveryWorker(t, srv, 2)
			total := 0
			for pid, st := range states(t, srv) {
				n := 0
				for _, b := range boards {
					if b.pid == pid {
						n++
					}
				}
				if st.Boards != n {
					t.Fatalf("pid %d state says %d boards, dialled %d", pid, st.Boards, n)
				}
				total += n
			}

			for i := range 4 { // several POSTs, so both workers are likely the receiver
				body := fmt.Sprintf(`{"event":"job.assigned","seq":%d}`, i)
				r := broadcast(t, srv, body)
				// The POST answers after the sends, so wanted messages are
				// on their way; give unwanted ones the same chance once.
				reached := 0
				var unwanted []*testBoard
				for _, b := range boards {
					if fanout == sim.FanoutShared || b.pid == r.PID {
						if received(t, b, body, 2*time.Second) {
							reached++
						} else {
							t.Errorf("broadcast %d POSTed to pid %d never reached a board on pid %d", i, r.PID, b.pid)
						}
					} else {
						unwanted = append(unwanted, b)
					}
				}
				time.Sleep(200 * time.Millisecond)
				for _, b := range unwanted {
					if received(t, b, body, 0) {
						t.Errorf("broadcast %d POSTed to pid %d reached a board on pid %d (fanout %s)", i, r.PID, b.pid, fanout)
					}
				}
				if r.Delivered != reached || r.Fanout != string(fanout) {
					t.Errorf("broadcast %d reply %+v, want delivered %d (boards that received it), fanout %s", i, r, reached, fanout)
				}
				if fanout == sim.FanoutShared && (reached != total || r.Workers != 2) {
					t.Errorf("shared broadcast %d reached %d of %d boards, %d workers; want all, 2", i, reached, total, r.Workers)
				}
			}
		})
	}
}

func TestWebsocketHooks(t *testing.T) {
	t.Run("drop-every", func(t *testing.T) {
		srv := startSim(t, sim.Options{WSDropEvery: 2})
		b := dialBoard(t, srv)
		waitBoards(t, srv, 1)
		for i := 1; i <= 4; i++ {
			body := fmt.Sprintf(`{"n":%d}`, i)
			r := broadcast(t, srv, body)
			wantSkip := i%2 == 0
			if wantSkip != (r.Skipped == 1) || wantSkip == (r.Delivered == 1) {
				t.Errorf("broadcast %d reply %+v, want skipped %v", i, r, wantSkip)
			}
			if got := received(t, b, body, 300*time.Millisecond); got == wantSkip {
				t.Errorf("broadcast %d received = %v, want %v", i, got, !wantSkip)
			}
		}
	})
	t.Run("dup", func(t *testing.T) {
		srv := startSim(t, sim.Options{WSDup: true})
		b := dialBoard(t, srv)
		waitBoards(t, srv, 1)
		broadcast(t, srv, `{"n":1}`)
		for i := range 2 {
			if !received(t, b, `{"n":1}`, 2*time.Second) {
				t.Fatalf("copy %d of the broadcast never arrived", i+1)
			}
		}
	})
	t.Run("close-after", func(t *testing.T) {
		srv := startSim(t, sim.Options{WSCloseAfter: 200 * time.Millisecond})
		b := dialBoard(t, srv)
		select {
		case err := <-b.done:
			if got := websocket.CloseStatus(err); got != websocket.StatusServiceRestart {
				t.Errorf("board closed with %v (status %v), want %v", err, got, websocket.StatusServiceRestart)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("board still open 5s after --ws-close-after 200ms")
		}
		// Once only: a board that reconnects stays.
		b2 := dialBoard(t, srv)
		select {
		case err := <-b2.done:
			t.Errorf("reconnected board closed: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
	})
}

func TestStreamEmitsEvents(t *testing.T) {
	srv := startSim(t, sim.Options{Workers: 2, SSEInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/api/stream", nil)
	resp, err := freshClient(t).Do(req)
	if err != nil {
		t.Fatalf("GET /api/stream: %v", err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q, want text/event-stream", ct)
	}
	pid := pidOf(t, resp)
	var ids []int
	var ev struct{ Seq, PID int }
	buf := make([]byte, 0, 4096)
	for len(ids) < 3 {
		chunk := make([]byte, 1024)
		n, err := resp.Body.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for {
			i := bytes.Index(buf, []byte("\n\n"))
			if i < 0 {
				break
			}
			event := string(buf[:i])
			buf = buf[i+2:]
			if strings.HasPrefix(event, ":") {
				continue // comment
			}
			m := regexp.MustCompile(`^id: (\d+)\ndata: (.*)$`).FindStringSubmatch(event)
			if m == nil {
				t.Fatalf("event %q, want id: and data: lines", event)
			}
			id, _ := strconv.Atoi(m[1])
			ids = append(ids, id)
			if err := json.Unmarshal([]byte(m[2]), &ev); err != nil || ev.Seq != id || ev.PID != pid {
				t.Errorf("event data %s (%v), want seq %d, pid %d", m[2], err, id, pid)
			}
		}
		if err != nil {
			t.Fatalf("reading stream after events %v: %v", ids, err)
		}
	}
	if !slices.IsSorted(ids) || ids[0] == ids[len(ids)-1] {
		t.Errorf("event ids %v, want increasing", ids)
	}
	// Every worker polls, clients or not: N workers, N× the polls.
	for p, st := range states(t, srv) {
		wantClients := 0
		if p == pid {
			wantClients = 1
		}
		if st.SSEClients != wantClients || st.SSEPolls < 1 || p == pid && st.SSEPolls < 3 {
			t.Errorf("state of pid %d = %+v, want %d clients and polls (>= 3 where the events came from)", p, st, wantClients)
		}
	}
}

func TestLookupCachePerProcess(t *testing.T) {
	const entryBytes = 256 << 10
	srv := startSim(t, sim.Options{Workers: 2, CacheEntryBytes: entryBytes})
	c := freshClient(t)
	misses := make(map[int]int)
	before := states(t, srv)
	rssBefore := make(map[int]int)
	for _, pid := range srv.PIDs() {
		rssBefore[pid] = rssKiB(pid)
	}
	for i := range 30 {
		var r struct {
			Phone, Name string
			Cached      bool
		}
		phone := fmt.Sprintf("555-01%02d", i)
		pid := getJSON(t, c, srv.URL()+"/api/customers/lookup?phone="+phone, &r)
		if r.Phone != phone || r.Name == "" || r.Cached {
			t.Errorf("first lookup of %s = %+v, want a name, not cached", phone, r)
		}
		misses[pid]++
	}
	after := states(t, srv)
	for _, pid := range srv.PIDs() {
		st := after[pid]
		if st.CacheEntries != misses[pid] || st.CacheBytes != int64(misses[pid])*entryBytes {
			t.Errorf("pid %d cache: %d entries, %d bytes; want %d entries of %d bytes", pid, st.CacheEntries, st.CacheBytes, misses[pid], entryBytes)
		}
		if before[pid].CacheEntries != 0 {
			t.Errorf("pid %d cache before lookups: %d entries, want 0", pid, before[pid].CacheEntries)
		}
		t.Logf("pid %d: %d misses, RSS %d KiB -> %d KiB", pid, misses[pid], rssBefore[pid], rssKiB(pid))
	}

	// A kept-alive connection stays on one worker: its second lookup hits.
	kept := &http.Client{Timeout: 10 * time.Second}
	defer kept.CloseIdleConnections()
	var first, second struct{ Cached bool }
	p1 := getJSON(t, kept, srv.URL()+"/api/customers/lookup?phone=555-9999", &first)
	p2 := getJSON(t, kept, srv.URL()+"/api/customers/lookup?phone=555-9999", &second)
	if p1 != p2 || first.Cached || !second.Cached {
		t.Errorf("two lookups on one connection: pids %d, %d, cached %v, %v; want one pid, miss then hit", p1, p2, first.Cached, second.Cached)
	}
}

// rssKiB reads VmRSS of pid; 0 if /proc is not there.
func rssKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestGILModel checks the three kinds of cost against one worker: awaits
// overlap; CPU and blocking work queue behind each other and stall even
// health checks; only CPU work uses CPU. Upper bounds on wall time are
// left out where contention from other processes could break them.
func TestGILModel(t *testing.T) {
	const d = 150 * time.Millisecond
	for _, tc := range []struct {
		name           string
		opts           sim.Options
		minWall        time.Duration // for 3 concurrent searches
		maxWall        time.Duration // 0: unbounded
		minCPU, maxCPU time.Duration // of the worker, for the 3 searches
		stalls         bool          // a health check waits for the searches
	}{
		{"wait", sim.Options{SearchWait: d}, d, 5 * d / 2, 0, d / 2, false},
		{"blocking", sim.Options{SearchBlocking: d}, 3 * d, 0, 0, d / 2, true},
		{"cpu", sim.Options{SearchCPU: d}, 3 * d, 0, 3*d - d/10, 4 * d, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSim(t, tc.opts)
			c := freshClient(t)
			getJSON(t, c, srv.URL()+"/api/health", nil) // warm up
			cpu0 := workersCPU(srv.PIDs())
			start := time.Now()
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() { getJSON(t, c, srv.URL()+"/api/zeus/search?q=x", nil) })
			}
			time.Sleep(d / 3)
			hs := time.Now()
			getJSON(t, c, srv.URL()+"/api/health", nil)
			health := time.Since(hs)
			wg.Wait()
			wall := time.Since(start)
			cpu := workersCPU(srv.PIDs()) - cpu0
			t.Logf("3 searches: %v wall, %v worker CPU; a health check during them: %v", wall, cpu, health)
			if wall < tc.minWall || tc.maxWall > 0 && wall > tc.maxWall {
				t.Errorf("3 concurrent searches took %v, want %v..%v", wall, tc.minWall, tc.maxWall)
			}
			if _, err := os.Stat("/proc/self/stat"); err == nil && (cpu < tc.minCPU || cpu > tc.maxCPU) {
				t.Errorf("3 concurrent searches used %v of worker CPU, want %v..%v", cpu, tc.minCPU, tc.maxCPU)
			}
			// Sent d/3 after the searches, a health check queues behind
			// at least the rest of one GIL-held search: >= 2d/3.
			if stalled := health > d/2; stalled != tc.stalls {
				t.Errorf("health check during searches took %v; stalled = %v, want %v", health, stalled, tc.stalls)
			}
		})
	}
}

func TestWorkerCrashStopsSim(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{Workers: 2, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	pids := srv.PIDs()
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("Wait after SIGKILL of a worker = %v, want an error saying it was killed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return 10s after a worker was killed")
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("worker pid %d: kill(pid, 0) = %v, want ESRCH", pid, err)
		}
	}
}

func TestRunPrintsLineAndStops(t *testing.T) {
	var log simtest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx, sim.Options{Workers: 2, Listen: "127.0.0.1:0", Log: &log}) }()
	re := regexp.MustCompile(`^sim: listening on http://(127\.0\.0\.1:\d+) with 2 workers \(pids (\d+), (\d+)\)\n$`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = re.FindStringSubmatch(log.String())
	}
	if m == nil {
		cancel()
		t.Fatalf("Run wrote %q, want a line matching %s", log.String(), re)
	}
	getJSON(t, freshClient(t), "http://"+m[1]+"/api/health", nil)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	for _, s := range m[2:] {
		pid, _ := strconv.Atoi(s)
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("worker pid %d after Run returned: kill(pid, 0) = %v, want ESRCH", pid, err)
		}
	}
	if got := log.String(); strings.Count(got, "\n") != 1 {
		t.Errorf("Run wrote %q, want one line", got)
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts sim.Options
		want []string
	}{
		{"workers", sim.Options{Workers: -1}, []string{"workers: want 1 to 64, got -1"}},
		{"fanout", sim.Options{Fanout: "redis"}, []string{`fanout: want "process" or "shared", got "redis"`}},
		{"several", sim.Options{SearchCPU: -time.Second, WSDropEvery: -2}, []string{"search-cpu: want >= 0", "ws-drop-every: want >= 0"}},
		{"listen", sim.Options{Listen: "127.0.0.1:99999"}, []string{"invalid port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sim.Start(context.Background(), tc.opts)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Start(%+v) = %v, want an error containing %q", tc.opts, err, w)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	var o sim.Options
	fs := pflag.NewFlagSet("sim", pflag.ContinueOnError)
	o.Flags(fs)
	if o != sim.Defaults() {
		t.Errorf("after Flags, options = %+v, want Defaults() %+v", o, sim.Defaults())
	}
	err := fs.Parse([]string{"--workers", "2", "--listen", "127.0.0.1:9000", "--search-cpu", "20ms",
		"--search-blocking", "1ms", "--search-wait", "1s", "--search-wait-jitter", "200ms",
		"--lookup-miss", "7ms", "--cache-entry-bytes", "1024", "--cache-max-entries", "0",
		"--sse-interval", "250ms", "--fanout", "shared", "--ws-drop-every", "3", "--ws-dup",
		"--ws-close-after", "30s", "--stop-grace", "4s"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := sim.Options{Listen: "127.0.0.1:9000", Workers: 2, SearchCPU: 20 * time.Millisecond,
		SearchBlocking: time.Millisecond, SearchWait: time.Second, SearchWaitJitter: 200 * time.Millisecond,
		LookupMiss: 7 * time.Millisecond, CacheEntryBytes: 1024, SSEInterval: 250 * time.Millisecond,
		Fanout: sim.FanoutShared, WSDropEvery: 3, WSDup: true, WSCloseAfter: 30 * time.Second,
		StopGrace: 4 * time.Second}
	if o != want {
		t.Errorf("parsed options:\n got %+v\nwant %+v", o, want)
	}
	if err := fs.Parse([]string{"--fanout", "redis"}); err == nil {
		t.Errorf("Parse(--fanout redis) = nil, want an error")
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Usage == "" {
			t.Errorf("flag --%s has no help", f.Name)
		}
	})
}

// TestTargetFiles checks that the shipped sim target files start
// `loadcheck sim` with flags that parse and options that validate.
func TestTargetFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		workers int
	}{
		{"sim-1w.yaml", 1},
		{"sim-2w.yaml", 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "targets", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Start struct{ Command []string }
			}
			if err := yaml.Unmarshal(b, &f); err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			cmd := f.Start.Command
			if len(cmd) < 2 || cmd[0] != "loadcheck" || cmd[1] != "sim" {
				t.Fatalf("%s: command %q, want loadcheck sim ...", tc.file, cmd)
			}
			var o sim.Options
			fs := pflag.NewFlagSet("sim", pflag.ContinueOnError)
			o.Flags(fs)
			args := make([]string, len(cmd)-2)
			for i, a := range cmd[2:] {
				args[i] = strings.ReplaceAll(a, "{port}", "0")
			}
			if err := fs.Parse(args); err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			if o.Workers != tc.workers || o.Listen != "127.0.0.1:0" {
				t.Errorf("%s: %d workers on %s, want %d on 127.0.0.1:{port}", tc.file, o.Workers, o.Listen, tc.workers)
			}
		})
	}
}

// TestStopClosesBoards checks the drain on stop: boards get status 1012
// (service restart) as from uvicorn, and Wait returns nil.
func TestStopClosesBoards(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{Workers: 2, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	boards := boardsOnEveryWorker(t, srv, 1)
	cancel()
	for _, b := range boards {
		select {
		case err := <-b.done:
			if got := websocket.CloseStatus(err); got != websocket.StatusServiceRestart {
				t.Errorf("board on pid %d closed with %v, want status %v", b.pid, err, websocket.StatusServiceRestart)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("board on pid %d still open 10s after stop", b.pid)
		}
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("Wait after cancel = %v, want nil", err)
	}
}
