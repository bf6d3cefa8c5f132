// Command fastserver is the benchmark's target: a tiny HTTP server that
// answers every request with the same 200-byte body, optionally after a
// fixed delay, and optionally with its whole "event loop" frozen for given
// windows, as a blocking call in an async handler freezes a Python service.
//
// It knows the truth the load tools are measured against: with -log it
// writes, on SIGTERM or SIGINT, every request's arrival and completion
// (offsets from the first arrival, in nanoseconds) and the freeze windows
// as JSON.
//
//	fastserver -listen 127.0.0.1:0                      # 200 bytes at once
//	fastserver -delay 50ms -log truth.json              # exactly 50 ms
//	fastserver -delay 50ms -freeze 3s,7s -freeze-len 1s -log truth.json
//
// The first line on stdout is the address it listens on.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Log is what -log writes: the server's own schedule.
type Log struct {
	// Delay is the service time of every request.
	Delay time.Duration `json:"delay_ns"`
	// Freezes are the windows, as offsets from the first arrival, during
	// which nothing is answered: a request arriving in one waits until
	// its end, then takes Delay; one whose Delay ends in one completes at
	// its end.
	Freezes [][2]time.Duration `json:"freezes_ns"`
	// Requests holds each request's arrival and completion offsets.
	Requests [][2]time.Duration `json:"requests_ns"`
}

type server struct {
	body    []byte
	delay   time.Duration
	freezes [][2]time.Duration
	logging bool

	once  sync.Once
	first time.Time

	mu  sync.Mutex
	log [][2]time.Duration
}

// frozenUntil returns the end of the freeze window holding offset t, or
// false when t is in none.
func (s *server) frozenUntil(t time.Duration) (time.Duration, bool) {
	for _, f := range s.freezes {
		if t >= f[0] && t < f[1] {
			return f[1], true
		}
	}
	return 0, false
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.delay == 0 && len(s.freezes) == 0 && !s.logging {
		w.Write(s.body)
		return
	}
	now := time.Now()
	s.once.Do(func() { s.first = now })
	arrival := now.Sub(s.first)
	if end, ok := s.frozenUntil(arrival); ok {
		time.Sleep(end - arrival)
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if end, ok := s.frozenUntil(time.Since(s.first)); ok {
		time.Sleep(end - time.Since(s.first))
	}
	w.Write(s.body)
	if s.logging {
		done := time.Since(s.first)
		s.mu.Lock()
		s.log = append(s.log, [2]time.Duration{arrival, done})
		s.mu.Unlock()
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback)")
	size := flag.Int("body", 200, "response body size in bytes")
	delay := flag.Duration("delay", 0, "service time of every request")
	freeze := flag.String("freeze", "", "comma-separated offsets from the first request at which the server freezes, e.g. 3s,7s")
	freezeLen := flag.Duration("freeze-len", time.Second, "length of each freeze")
	logFile := flag.String("log", "", "write the schedule (arrivals, completions, freezes) here as JSON on exit")
	flag.Parse()

	s := &server{body: []byte(strings.Repeat("x", *size)), delay: *delay, logging: *logFile != ""}
	if *freeze != "" {
		for _, f := range strings.Split(*freeze, ",") {
			at, err := time.ParseDuration(strings.TrimSpace(f))
			if err != nil {
				fmt.Fprintf(os.Stderr, "fastserver: -freeze %q: %v\n", *freeze, err)
				os.Exit(2)
			}
			s.freezes = append(s.freezes, [2]time.Duration{at, at + *freezeLen})
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fastserver: %v\n", err)
		os.Exit(2)
	}
	fmt.Println(ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	srv.Shutdown(sctx)
	cancel()
	if *logFile != "" {
		s.mu.Lock()
		l := Log{Delay: s.delay, Freezes: s.freezes, Requests: s.log}
		s.mu.Unlock()
		b, _ := json.Marshal(l)
		if err := os.WriteFile(*logFile, b, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "fastserver: %v\n", err)
			os.Exit(1)
		}
	}
}
