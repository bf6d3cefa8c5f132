package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/probe/probetest"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

const (
	testBoards = 6
	testRate   = 50 // broadcasts per second
	testEvents = 100
)

// wsConfig is 6 boards and 100 broadcasts at 50/s.
func wsConfig() scenario.WebSocket {
	return scenario.WebSocket{
		Boards:  testBoards,
		Path:    probetest.WSPath,
		Stagger: 5 * time.Millisecond,
		Grace:   2 * time.Second, // -race and parallel tests slow delivery to ~1 s
		Broadcast: scenario.Broadcast{
			Path:   probetest.BroadcastPath,
			Rate:   unit.Rate{Freq: testRate, Per: time.Second},
			Fields: map[string]string{"kind": "dispatch"},
		},
	}
}

// runWS runs the boards and the broadcaster against h; during, when set,
// runs alongside the broadcast.
func runWS(t *testing.T, h http.Handler, cfg scenario.WebSocket, during func(*WS)) WSSummary {
	t.Helper()
	return runWSFrom(t, h, cfg, clientaddr.Plan{}, during)
}

// runWSFrom is runWS with the clients' source addresses from plan.
func runWSFrom(t *testing.T, h http.Handler, cfg scenario.WebSocket, plan clientaddr.Plan, during func(*WS)) WSSummary {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := StartWS(ctx, srv.URL, cfg, plan, nil)
	if err != nil {
		t.Fatalf("StartWS: %v", err)
	}
	if n := ws.Connected(); n != cfg.Boards {
		t.Errorf("Connected() = %d after StartWS, want %d", n, cfg.Boards)
	}
	var wg sync.WaitGroup
	if during != nil {
		wg.Add(1)
		go func() { defer wg.Done(); during(ws) }()
	}
	d := time.Duration(testEvents) * time.Second / testRate
	if err := ws.Broadcast(ctx, d); err != nil {
		t.Errorf("Broadcast: %v", err)
	}
	wg.Wait()
	sum := ws.Close(ctx)
	t.Logf("sent %d acked %d expected %d delivered %d missing %d loss %.2f%% dup %d ooo %d not-expected %d (delivered %d) reconnects %d delivery p95 %v connect p95 %v",
		sum.Sent, sum.Acked, sum.Expected, sum.Delivered, sum.Missing, sum.Loss, sum.Duplicates, sum.OutOfOrder,
		sum.NotExpected, sum.NotExpectedDelivered, sum.Reconnects, sum.Delivery.P95.Duration(), sum.Connect.P95.Duration())
	return sum
}

// checkBasics checks what every run against a healthy target shows.
func checkBasics(t *testing.T, sum WSSummary) {
	t.Helper()
	if sum.Boards != testBoards || sum.Connected != testBoards {
		t.Errorf("Boards, Connected = %d, %d, want %d, %d", sum.Boards, sum.Connected, testBoards, testBoards)
	}
	if sum.Sent != testEvents || sum.Acked != testEvents {
		t.Errorf("Sent, Acked = %d, %d, want %d, %d", sum.Sent, sum.Acked, testEvents, testEvents)
	}
	if b := sum.Broadcast; b.Requests != testEvents || b.Errors != 0 || b.Codes["200"] != testEvents {
		t.Errorf("Broadcast: requests %d errors %d codes %v, want %d 200s", b.Requests, b.Errors, b.Codes, testEvents)
	}
	if sum.Delivery.P95 <= 0 || sum.DeliveryHist == "" {
		t.Errorf("Delivery = %+v, hist %d bytes: want latencies", sum.Delivery, len(sum.DeliveryHist))
	}
	if sum.Connect.P50 <= 0 || sum.ConnectTCP.P50 <= 0 {
		t.Errorf("Connect = %+v, ConnectTCP = %+v: want handshake times", sum.Connect, sum.ConnectTCP)
	}
	// OutOfOrder is not checked: concurrent POSTs may reach the target in
	// another order than they were sent.
	if sum.NoID != 0 || sum.Foreign != 0 || sum.DeliveredUnacked != 0 {
		t.Errorf("NoID %d Foreign %d DeliveredUnacked %d, want 0", sum.NoID, sum.Foreign, sum.DeliveredUnacked)
	}
	if len(sum.PerBoard) != testBoards {
		t.Errorf("len(PerBoard) = %d, want %d", len(sum.PerBoard), testBoards)
	}
}

func TestWSAllDelivered(t *testing.T) {
	t.Parallel()
	sum := runWS(t, &probetest.Hub{}, wsConfig(), nil)
	checkBasics(t, sum)
	if want := int64(testBoards * testEvents); sum.Expected != want || sum.Delivered != want {
		t.Errorf("Expected, Delivered = %d, %d, want %d, %d", sum.Expected, sum.Delivered, want, want)
	}
	if sum.Loss != 0 || sum.Duplicates != 0 || sum.Dup != 0 || sum.BoardsBelowFull != 0 {
		t.Errorf("Loss %v%% Duplicates %d Dup %v%% BoardsBelowFull %d, want 0", sum.Loss, sum.Duplicates, sum.Dup, sum.BoardsBelowFull)
	}
	for _, b := range sum.PerBoard {
		if b.Ratio != 1 || b.Worker != "1000" || b.Disconnected != 0 || b.Reconnects != 0 {
			t.Errorf("board %d: ratio %v worker %q disconnected %v reconnects %d, want 1, 1000, 0, 0",
				b.ID, b.Ratio, b.Worker, b.Disconnected, b.Reconnects)
		}
	}
}

func TestWSTwoWorkers(t *testing.T) {
	t.Parallel()
	sum := runWS(t, &probetest.Hub{Groups: 2}, wsConfig(), nil)
	checkBasics(t, sum)
	if sum.Loss < 35 || sum.Loss > 65 {
		t.Errorf("Loss = %.2f%%, want 35–65 %%", sum.Loss)
	}
	workers := map[string]int{}
	for _, b := range sum.PerBoard {
		workers[b.Worker]++
		if b.Ratio < 0.4 || b.Ratio > 0.6 {
			t.Errorf("board %d (worker %s): ratio %.2f, want ≈ 0.5", b.ID, b.Worker, b.Ratio)
		}
	}
	if workers["1000"] != testBoards/2 || workers["1001"] != testBoards/2 {
		t.Errorf("boards per worker = %v, want 3 on 1000 and 3 on 1001", workers)
	}
	if sum.BoardsBelowFull != testBoards {
		t.Errorf("BoardsBelowFull = %d, want %d", sum.BoardsBelowFull, testBoards)
	}
}

func TestWSSkipEvery4th(t *testing.T) {
	t.Parallel()
	sum := runWS(t, &probetest.Hub{SkipEvery: 4}, wsConfig(), nil)
	checkBasics(t, sum)
	if sum.Loss < 24 || sum.Loss > 26 {
		t.Errorf("Loss = %.2f%%, want 25 ± 1 %%", sum.Loss)
	}
	for _, b := range sum.PerBoard {
		if b.Ratio != 0.75 {
			t.Errorf("board %d: ratio %v, want 0.75", b.ID, b.Ratio)
		}
	}
}

func TestWSDuplicates(t *testing.T) {
	t.Parallel()
	sum := runWS(t, &probetest.Hub{Repeat: 2}, wsConfig(), nil)
	checkBasics(t, sum)
	want := int64(testBoards * testEvents)
	if sum.Loss != 0 || sum.Delivered != want {
		t.Errorf("Loss %v%%, Delivered %d, want 0, %d", sum.Loss, sum.Delivered, want)
	}
	if sum.Duplicates != want || sum.Dup != 100 {
		t.Errorf("Duplicates %d, Dup %v%%, want %d, 100", sum.Duplicates, sum.Dup, want)
	}
	for _, b := range sum.PerBoard {
		if b.Duplicates != testEvents {
			t.Errorf("board %d: duplicates %d, want %d", b.ID, b.Duplicates, testEvents)
		}
	}
}

// TestWSReconnect drops every board once, a second into the broadcast:
// the boards reconnect, and the events broadcast while they were away are
// reported as not expected rather than lost.
func TestWSReconnect(t *testing.T) {
	t.Parallel()
	hub := &probetest.Hub{}
	sum := runWS(t, hub, wsConfig(), func(*WS) {
		time.Sleep(time.Second)
		if n := hub.DropAll(); n != testBoards {
			t.Errorf("DropAll() = %d, want %d", n, testBoards)
		}
	})
	checkBasics(t, sum)
	if sum.Reconnects != testBoards || sum.Disconnects != testBoards {
		t.Errorf("Reconnects, Disconnects = %d, %d, want %d, %d", sum.Reconnects, sum.Disconnects, testBoards, testBoards)
	}
	if sum.Loss != 0 {
		t.Errorf("Loss = %v%% (%d missing), want 0: a board's missed window is not loss", sum.Loss, sum.Missing)
	}
	if sum.NotExpected == 0 || sum.Expected+sum.NotExpected != testBoards*testEvents {
		t.Errorf("Expected %d + NotExpected %d, want NotExpected > 0 and a sum of %d", sum.Expected, sum.NotExpected, testBoards*testEvents)
	}
	if sum.Disconnected <= 0 {
		t.Errorf("Disconnected = %v, want > 0", sum.Disconnected)
	}
	for _, b := range sum.PerBoard {
		if b.Reconnects != 1 || b.Disconnected <= 0 || b.NotExpected == 0 || b.Ratio != 1 {
			t.Errorf("board %d: reconnects %d disconnected %v not expected %d ratio %v, want 1, > 0, > 0, 1",
				b.ID, b.Reconnects, b.Disconnected, b.NotExpected, b.Ratio)
		}
	}
}

// TestWSSourceAddresses: with a spread plan each board and the
// broadcaster connect from a loopback /24 of their own, as a test of nginx
// ip_hash needs, and the summary names each board's address.
func TestWSSourceAddresses(t *testing.T) {
	t.Parallel()
	plan := clientaddr.Spread(clientaddr.Counts{Boards: testBoards})
	if ln, err := net.Listen("tcp", plan.Board(0).String()+":0"); err != nil {
		t.Skipf("no %v on this machine: %v", plan.Board(0), err)
	} else {
		ln.Close()
	}
	hub := &probetest.Hub{}
	var mu sync.Mutex
	from := map[string]map[string]bool{} // path → source addresses
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		if from[r.URL.Path] == nil {
			from[r.URL.Path] = map[string]bool{}
		}
		from[r.URL.Path][host] = true
		mu.Unlock()
		hub.ServeHTTP(w, r)
	})
	sum := runWSFrom(t, h, wsConfig(), plan, nil)
	checkBasics(t, sum)
	if sum.Loss != 0 {
		t.Errorf("Loss = %v%%, want 0", sum.Loss)
	}
	mu.Lock()
	defer mu.Unlock()
	if got, want := from[probetest.BroadcastPath], plan.Broadcaster().String(); len(got) != 1 || !got[want] {
		t.Errorf("broadcasts came from %v, want %s only", got, want)
	}
	boards := from[probetest.WSPath]
	if len(boards) != testBoards {
		t.Errorf("boards came from %v, want %d addresses", boards, testBoards)
	}
	nets := map[[3]byte]bool{}
	for _, b := range sum.PerBoard {
		a, err := netip.ParseAddr(b.From)
		if err != nil || !boards[b.From] || a != plan.Board(b.ID) {
			t.Errorf("board %d: From %q, want %v, an address the server saw", b.ID, b.From, plan.Board(b.ID))
			continue
		}
		v := a.As4()
		nets[[3]byte{v[0], v[1], v[2]}] = true
	}
	if len(nets) != testBoards {
		t.Errorf("boards in %d /24 networks, want %d", len(nets), testBoards)
	}
}

// TestWSBroadcastFails: a broadcast endpoint that answers 500 sends no
// event anywhere; with nothing acknowledged nothing is expected, and the
// loss is 100 %, not a silent 0 %.
func TestWSBroadcastFails(t *testing.T) {
	t.Parallel()
	hub := &probetest.Hub{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == probetest.BroadcastPath {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		hub.ServeHTTP(w, r)
	})
	sum := runWS(t, h, wsConfig(), nil)
	if sum.Sent != testEvents || sum.Acked != 0 || sum.Expected != 0 || sum.Loss != 100 {
		t.Errorf("Sent %d Acked %d Expected %d Loss %v%%, want %d, 0, 0, 100", sum.Sent, sum.Acked, sum.Expected, sum.Loss, testEvents)
	}
	if sum.Broadcast.Errors != testEvents || sum.Broadcast.Codes["500"] != testEvents {
		t.Errorf("Broadcast errors %d codes %v, want %d 500s", sum.Broadcast.Errors, sum.Broadcast.Codes, testEvents)
	}
}

func TestStartWSNoEndpoint(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ws, err := StartWS(ctx, srv.URL, wsConfig(), clientaddr.Plan{}, nil)
	if err == nil {
		ws.Close(context.Background())
		t.Fatal("StartWS against a 404: no error")
	}
	if !strings.Contains(err.Error(), "0 of 6 boards connected") || !strings.Contains(err.Error(), "404") {
		t.Errorf("StartWS error = %q, want it to say 0 of 6 connected and why (404)", err)
	}
}

// TestWSCloseInterrupted: Close after ctx ended skips the grace and still
// accounts.
func TestWSCloseInterrupted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&probetest.Hub{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := wsConfig()
	cfg.Grace = time.Minute
	ws, err := StartWS(ctx, srv.URL, cfg, clientaddr.Plan{}, nil)
	if err != nil {
		t.Fatalf("StartWS: %v", err)
	}
	time.AfterFunc(500*time.Millisecond, cancel)
	if err := ws.Broadcast(ctx, time.Minute); err != context.Canceled {
		t.Errorf("Broadcast = %v, want context.Canceled", err)
	}
	start := time.Now()
	sum := ws.Close(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %v after ctx ended, want no grace wait", took)
	}
	if sum.Sent < 10 || sum.Sent > 40 {
		t.Errorf("Sent = %d in 0.5 s at 50/s, want about 25", sum.Sent)
	}
	if again := ws.Close(ctx); again.Sent != sum.Sent {
		t.Errorf("second Close: Sent %d, want %d", again.Sent, sum.Sent)
	}
}

// fastLiveness pings a board idle for 200 ms, every 50 ms, and waits 2 s
// for the pong (the race detector and parallel tests slow pongs down).
var fastLiveness = liveness{scan: 50 * time.Millisecond, pingIdle: 200 * time.Millisecond, pingTimeout: 2 * time.Second, pings: maxPings}

// TestWSDeafPeerKept: a target that stops answering pings has its
// unanswered pings counted, and loadcheck keeps the connections: it is not
// loadcheck's to drop them, nor to report a disconnect the target did not
// make.
func TestWSDeafPeerKept(t *testing.T) {
	t.Parallel()
	hub := &probetest.Hub{Deaf: true}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.DropAll() // deaf boards do not notice the client leave
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := wsConfig()
	cfg.Boards = 2
	live := fastLiveness
	live.pingTimeout = 200 * time.Millisecond
	ws, err := startWS(ctx, srv.URL, cfg, clientaddr.Plan{}, nil, live, "")
	if err != nil {
		t.Fatalf("startWS: %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	done, stop := context.WithCancel(ctx)
	stop() // no close handshake: the target would not answer it
	sum := ws.Close(done)
	if sum.UnansweredPings < 2 {
		t.Errorf("UnansweredPings = %d, want ≥ 2: each board was pinged and left unanswered", sum.UnansweredPings)
	}
	if sum.Connected != 2 || sum.Disconnects != 0 || sum.Reconnects != 0 {
		t.Errorf("Connected, Disconnects, Reconnects = %d, %d, %d, want 2, 0, 0: loadcheck closes no board", sum.Connected, sum.Disconnects, sum.Reconnects)
	}
}

// TestWSPingsReachEveryBoard: with many more idle boards than pings in
// flight, every board is pinged all the same (#24: 10,000 boards and 64
// pings in flight), and none is dropped.
func TestWSPingsReachEveryBoard(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&probetest.Hub{})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := wsConfig()
	cfg.Boards, cfg.Stagger = 100, 0
	live := fastLiveness
	live.pings = 2
	ws, err := startWS(ctx, srv.URL, cfg, clientaddr.Plan{}, nil, live, "")
	if err != nil {
		t.Fatalf("startWS: %v", err)
	}
	time.Sleep(time.Second) // idle: no broadcast
	unpinged := 0
	for _, b := range ws.fleet.boards {
		// Without a pong a board was last seen at its connection, before
		// it was ready; a pong comes after pingIdle idle.
		if time.Duration(b.lastSeen.Load()-ws.fleet.launchAt) < live.pingIdle {
			unpinged++
		}
	}
	sum := ws.Close(ctx)
	if unpinged > 0 {
		t.Errorf("%d of %d idle boards never answered a ping in 1 s (pings every 200 ms idle, 2 in flight)", unpinged, cfg.Boards)
	}
	if sum.Connected != cfg.Boards || sum.Disconnects != 0 || sum.UnansweredPings != 0 {
		t.Errorf("Connected, Disconnects, UnansweredPings = %d, %d, %d, want %d, 0, 0", sum.Connected, sum.Disconnects, sum.UnansweredPings, cfg.Boards)
	}
}

// TestWSTargetDropsIdleBoards: boards the target drops while they idle
// and are pinged are disconnects, each one, and reconnect.
func TestWSTargetDropsIdleBoards(t *testing.T) {
	t.Parallel()
	hub := &probetest.Hub{}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := wsConfig()
	cfg.Boards, cfg.Stagger = 100, 0
	ws, err := startWS(ctx, srv.URL, cfg, clientaddr.Plan{}, nil, fastLiveness, "")
	if err != nil {
		t.Fatalf("startWS: %v", err)
	}
	time.Sleep(500 * time.Millisecond)
	dropped := hub.DropAll()
	deadline := time.Now().Add(10 * time.Second)
	for ws.Connected() < cfg.Boards && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // pinged again after the reconnect
	sum := ws.Close(ctx)
	if dropped != cfg.Boards || sum.Disconnects != dropped || sum.Reconnects != dropped {
		t.Errorf("dropped %d; Disconnects, Reconnects = %d, %d, want %d each", dropped, sum.Disconnects, sum.Reconnects, cfg.Boards)
	}
	if sum.Connected != cfg.Boards || sum.UnansweredPings != 0 {
		t.Errorf("Connected, UnansweredPings = %d, %d, want %d, 0", sum.Connected, sum.UnansweredPings, cfg.Boards)
	}
}

// TestWSConnectRate: board i starts i × stagger after the first, so N
// boards take (N−1) × stagger to connect, and the summary says so.
func TestWSConnectRate(t *testing.T) {
	t.Parallel()
	cfg := wsConfig()
	cfg.Boards, cfg.Stagger = 100, 5*time.Millisecond
	start := time.Now()
	srv := httptest.NewServer(&probetest.Hub{})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := StartWS(ctx, srv.URL, cfg, clientaddr.Plan{}, nil)
	if err != nil {
		t.Fatalf("StartWS: %v", err)
	}
	took := time.Since(start)
	sum := ws.Close(ctx)
	spread := time.Duration(cfg.Boards-1) * cfg.Stagger // 495 ms
	if sum.ConnectedIn < spread || sum.ConnectedIn > took {
		t.Errorf("ConnectedIn = %v, want at least the stagger's %v and at most StartWS's %v", sum.ConnectedIn, spread, took)
	}
	if want := float64(cfg.Boards) / sum.ConnectedIn.Seconds(); sum.ConnectRate != want {
		t.Errorf("ConnectRate = %.1f/s, want boards ÷ ConnectedIn = %.1f/s", sum.ConnectRate, want)
	}
}
