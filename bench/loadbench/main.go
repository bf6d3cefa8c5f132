// Command loadbench compares loadcheck with the vegeta CLI, wrk and hey on
// the same loopback target (bench/fastserver), and writes one Markdown
// table with each figure and its ratio to loadcheck's. `make bench` builds
// everything and runs it through bench/run.sh.
//
// The target runs pinned to CPU 1 and each tool to CPU 0 (taskset), one at
// a time. A tool's CPU time and peak RSS come from the kernel's rusage of
// its process, read by GNU time (the vegeta CLI's attack process: its
// results are decoded afterwards by `vegeta report`, outside the
// measurement).
//
//	(a) the highest rate each tool sustains with errors < 0.1 %: open-model
//	    tools (loadcheck, vegeta) step the rate; closed-model ones (wrk,
//	    hey) report their throughput with a fixed number of connections;
//	(b) CPU seconds per million requests and peak RSS at 2,000 req/s;
//	(c) p50/p95/p99 at 200 req/s against a target answering in 50 ms, and
//	    against one that freezes for 1 s twice in 10 s, next to the truth
//	    computed from the target's own schedule.
//
// With -soak (BENCH_SOAK=1 in run.sh) it also runs loadcheck for 5 minutes
// at 2,000 req/s and samples its RSS every 10 s.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/loadcheck/loadcheck/internal/report"
)

// The CPUs of the generator and of the target.
const (
	genCPU    = "0"
	targetCPU = "1"
)

// conns is the concurrency every tool gets: vegeta's and loadcheck's
// worker cap, wrk's and hey's connections.
const conns = 50

type config struct {
	loadcheck, vegeta, server, wrkScript string
	out                                  string
	soak                                 bool
	stepDur, fixedDur, latDur            time.Duration
	soakDur                              time.Duration
	only                                 string
}

func main() {
	var c config
	flag.StringVar(&c.loadcheck, "loadcheck", "bin/loadcheck", "loadcheck binary")
	flag.StringVar(&c.vegeta, "vegeta", "bench/bin/vegeta", "vegeta binary (same version as go.mod)")
	flag.StringVar(&c.server, "server", "bench/bin/fastserver", "fastserver binary")
	flag.StringVar(&c.wrkScript, "wrk-script", "bench/wrk-report.lua", "wrk script printing JSON")
	flag.StringVar(&c.out, "out", "bench/results", "folder for YYYY-MM-DD.md and the raw figures")
	flag.BoolVar(&c.soak, "soak", os.Getenv("BENCH_SOAK") == "1", "also run the 5-minute RSS soak (BENCH_SOAK=1)")
	flag.DurationVar(&c.stepDur, "step", 5*time.Second, "length of each rate step in (a)")
	flag.DurationVar(&c.fixedDur, "fixed", 15*time.Second, "length of the 2,000 req/s runs in (b)")
	flag.DurationVar(&c.latDur, "latency", 10*time.Second, "length of the 200 req/s runs in (c); the freezes are at 3 s and 7 s")
	flag.DurationVar(&c.soakDur, "soak-duration", 5*time.Minute, "length of the soak")
	flag.StringVar(&c.only, "only", "", "comma-separated parts to run (a,b,c,soak); default all")
	flag.Parse()

	// Every run is bounded: the whole bench stops after an hour at most,
	// or at Ctrl-C, stopping the tool and the server it runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	b, err := newBench(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		os.Exit(2)
	}
	defer os.RemoveAll(b.tmp)
	if err := b.run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		os.Exit(1)
	}
}

// measure is one run of one tool.
type measure struct {
	Tool     string        `json:"tool"`
	Test     string        `json:"test"`
	Rate     float64       `json:"rate,omitempty"`  // asked (open model)
	Conns    int           `json:"conns,omitempty"` // closed model
	Duration time.Duration `json:"duration_ns"`
	Requests uint64        `json:"requests"`
	Errors   uint64        `json:"errors"`
	P50      time.Duration `json:"p50_ns"`
	P95      time.Duration `json:"p95_ns"`
	P99      time.Duration `json:"p99_ns"`
	CPU      time.Duration `json:"cpu_ns"` // user + system
	MaxRSS   int64         `json:"max_rss_bytes"`
	Late     uint64        `json:"late,omitempty"` // loadcheck only
	Pass     bool          `json:"pass"`
	// ServerTruth holds the p50/p95/p99 of the requests the server saw.
	ServerTruth []time.Duration `json:"server_truth_ns,omitempty"`
}

func (m measure) ok() uint64 { return m.Requests - min(m.Errors, m.Requests) }

func (m measure) errRate() float64 {
	if m.Requests == 0 {
		return 1
	}
	return float64(m.Errors) / float64(m.Requests)
}

func (m measure) throughput() float64 { return float64(m.ok()) / m.Duration.Seconds() }

func (m measure) cpuPerReq() time.Duration {
	if m.Requests == 0 {
		return 0
	}
	return m.CPU / time.Duration(m.Requests)
}

// sustains reports whether an open-model run delivered its rate: errors
// below 0.1 % and at least 97 % of the asked requests answered.
func (m measure) sustains() bool {
	return m.errRate() < 0.001 && float64(m.ok()) >= 0.97*m.Rate*m.Duration.Seconds()
}

type bench struct {
	config
	tmp string
	raw *os.File
	res results
}

// results are the figures the table shows.
type results struct {
	max, fixed, lat50, freeze map[string]measure
	truth50                   []time.Duration // p50, p95, p99
	truthFreeze               []time.Duration
	soak                      []soakSample
	soakRun                   *measure
}

type soakSample struct {
	At  time.Duration `json:"at_ns"`
	RSS int64         `json:"rss_bytes"`
}

var tools = []string{"loadcheck", "vegeta", "wrk", "hey"}

func newBench(c config) (*bench, error) {
	for _, p := range []string{c.loadcheck, c.vegeta, c.server, c.wrkScript} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%v (run `make bench`, which builds it)", err)
		}
	}
	for _, p := range []string{"taskset", "wrk", "hey", "/usr/bin/time"} {
		if _, err := exec.LookPath(p); err != nil {
			return nil, fmt.Errorf("%s: %v (run `make bench`, which installs it)", p, err)
		}
	}
	if runtime.NumCPU() < 2 {
		return nil, fmt.Errorf("%d CPU: the bench pins the target and the generator to one core each and needs 2", runtime.NumCPU())
	}
	tmp, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return nil, err
	}
	b := &bench{config: c, tmp: tmp}
	b.res.max = map[string]measure{}
	b.res.fixed = map[string]measure{}
	b.res.lat50 = map[string]measure{}
	b.res.freeze = map[string]measure{}
	return b, nil
}

func (b *bench) want(part string) bool {
	if b.only == "" {
		return part != "soak" || b.soak
	}
	for _, p := range strings.Split(b.only, ",") {
		if p == part {
			return true
		}
	}
	return false
}

func (b *bench) run(ctx context.Context) error {
	if err := os.MkdirAll(b.out, 0o755); err != nil {
		return err
	}
	day := time.Now().Format("2006-01-02")
	raw, err := os.Create(filepath.Join(b.out, day+".raw"))
	if err != nil {
		return err
	}
	defer raw.Close()
	b.raw = raw
	env := environment(b.config)
	load0 := loadavg()
	started := time.Now()

	if b.want("a") {
		if err := b.partA(ctx); err != nil {
			return fmt.Errorf("(a): %v", err)
		}
	}
	if b.want("b") {
		if err := b.partB(ctx); err != nil {
			return fmt.Errorf("(b): %v", err)
		}
	}
	if b.want("c") {
		if err := b.partC(ctx); err != nil {
			return fmt.Errorf("(c): %v", err)
		}
	}
	if b.want("soak") {
		if err := b.partSoak(ctx); err != nil {
			return fmt.Errorf("soak: %v", err)
		}
	}
	md := b.markdown(day, env, load0, loadavg(), time.Since(started))
	fmt.Print(md)
	path := filepath.Join(b.out, day+".md")
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loadbench: wrote %s (raw figures in %s)\n", path, raw.Name())
	return nil
}

func (b *bench) log(m measure) {
	json.NewEncoder(b.raw).Encode(m)
	line := fmt.Sprintf("%-9s %-7s", m.Tool, m.Test)
	if m.Rate > 0 {
		line += fmt.Sprintf(" rate %6.0f/s", m.Rate)
	} else {
		line += fmt.Sprintf(" conns %4d   ", m.Conns)
	}
	line += fmt.Sprintf("  %8d req  %6.0f/s ok  err %.3f%%  p50 %s p99 %s  cpu %s (%.1f µs/req)  rss %.1f MB",
		m.Requests, m.throughput(), 100*m.errRate(), m.P50.Round(10*time.Microsecond), m.P99.Round(10*time.Microsecond),
		m.CPU.Round(time.Millisecond), float64(m.cpuPerReq())/1e3, float64(m.MaxRSS)/1e6)
	if m.Late > 0 {
		line += fmt.Sprintf("  late %d", m.Late)
	}
	fmt.Fprintln(os.Stderr, line)
}

// ---- (a) highest rate ----

func (b *bench) partA(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(a) highest sustained rate, errors < 0.1 %")
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	once := map[string]func(rate float64) (measure, error){
		"loadcheck": func(r float64) (measure, error) { return b.loadcheckRun(ctx, "max", srv.addr, r, b.stepDur) },
		"vegeta":    func(r float64) (measure, error) { return b.vegetaRun(ctx, "max", srv.addr, r, b.stepDur) },
	}
	// A rate fails only when it fails twice in a row: a step can fall short
	// because something else ran on the machine for a moment.
	open := map[string]func(rate float64) (measure, error){}
	for name, run := range once {
		open[name] = func(r float64) (measure, error) {
			m, err := run(r)
			if err != nil || m.sustains() {
				return m, err
			}
			b.log(m)
			return run(r)
		}
	}
	// Ramp both open-model tools in lockstep, so that whatever else runs
	// on the machine disturbs both alike; then bisect each.
	lo := map[string]float64{}
	hi := map[string]float64{}
	// try runs one step and moves the bound it decides.
	try := func(name string, rate float64) error {
		m, err := open[name](rate)
		if err != nil {
			return err
		}
		m.Pass = m.sustains()
		b.log(m)
		if m.Pass {
			lo[name] = rate
			b.res.max[name] = m
		} else {
			hi[name] = rate
		}
		return nil
	}
	for rate := 5000.0; rate <= 100000 && len(hi) < len(open); rate += 5000 {
		for _, name := range []string{"loadcheck", "vegeta"} {
			if hi[name] > 0 {
				continue
			}
			if err := try(name, rate); err != nil {
				return err
			}
		}
	}
	for _, name := range []string{"loadcheck", "vegeta"} {
		for hi[name]-lo[name] > 1000 {
			rate := math.Round((lo[name]+hi[name])/2/500) * 500
			if err := try(name, rate); err != nil {
				return err
			}
		}
	}
	for _, name := range []string{"wrk", "hey"} {
		var m measure
		var err error
		if name == "wrk" {
			m, err = b.wrkRun(ctx, "max", srv.addr, conns, 2*b.stepDur)
		} else {
			m, err = b.heyRun(ctx, "max", srv.addr, conns, 0, 2*b.stepDur)
		}
		if err != nil {
			return err
		}
		m.Pass = m.errRate() < 0.001
		b.log(m)
		b.res.max[name] = m
	}
	return nil
}

// ---- (b) cost at a fixed rate ----

func (b *bench) partB(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(b) CPU and RSS at 2,000 req/s")
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	const rate = 2000
	runs := []func() (measure, error){
		func() (measure, error) { return b.loadcheckRun(ctx, "fixed", srv.addr, rate, b.fixedDur) },
		func() (measure, error) { return b.vegetaRun(ctx, "fixed", srv.addr, rate, b.fixedDur) },
		// hey's -q is per worker: 20 workers at 100/s.
		func() (measure, error) { return b.heyRun(ctx, "fixed", srv.addr, 20, 100, b.fixedDur) },
	}
	for _, r := range runs {
		m, err := r()
		if err != nil {
			return err
		}
		b.log(m)
		b.res.fixed[m.Tool] = m
	}
	return nil
}

// ---- (c) latency against the truth ----

func (b *bench) partC(ctx context.Context) error {
	fmt.Fprintln(os.Stderr, "(c) latency at 200 req/s against the truth")
	const rate = 200
	// Closed-model tools get the concurrency that carries 200 req/s at
	// 50 ms: 10 connections (hey: 10 workers at 20/s each).
	clients := []func(addr string, test string) (measure, error){
		func(a, t string) (measure, error) { return b.loadcheckRun(ctx, t, a, rate, b.latDur) },
		func(a, t string) (measure, error) { return b.vegetaRun(ctx, t, a, rate, b.latDur) },
		func(a, t string) (measure, error) { return b.wrkRun(ctx, t, a, 10, b.latDur) },
		func(a, t string) (measure, error) { return b.heyRun(ctx, t, a, 10, 20, b.latDur) },
	}
	var pooled []time.Duration
	for _, test := range []string{"50ms", "freeze"} {
		for _, client := range clients {
			logPath := filepath.Join(b.tmp, "truth.json")
			args := []string{"-delay", "50ms", "-log", logPath}
			if test == "freeze" {
				args = append(args, "-freeze", "3s,7s", "-freeze-len", "1s")
			}
			srv, err := b.startServer(ctx, args...)
			if err != nil {
				return err
			}
			m, err := client(srv.addr, test)
			sl, serr := srv.stop()
			if err != nil {
				return err
			}
			if serr != nil {
				return serr
			}
			seen := sl.served()
			m.ServerTruth = percentiles(seen)
			b.log(m)
			if test == "50ms" {
				pooled = append(pooled, seen...)
				b.res.lat50[m.Tool] = m
			} else {
				b.res.freeze[m.Tool] = m
				b.res.truthFreeze = percentiles(sl.openModel(rate, b.latDur))
			}
		}
	}
	b.res.truth50 = percentiles(pooled)
	return nil
}

// ---- soak ----

func (b *bench) partSoak(ctx context.Context) error {
	fmt.Fprintf(os.Stderr, "soak: loadcheck at 2,000 req/s for %s, RSS every 10 s\n", b.soakDur)
	srv, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	started := time.Now()
	m, err := b.loadcheckWith(ctx, "soak", srv.addr, 2000, b.soakDur, func(pid int) {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for range t.C {
			rss, err := procRSS(pid)
			if err != nil {
				return // the run ended
			}
			b.res.soak = append(b.res.soak, soakSample{At: time.Since(started).Round(time.Second), RSS: rss})
			fmt.Fprintf(os.Stderr, "  %4.0fs  rss %.1f MB\n", time.Since(started).Seconds(), float64(rss)/1e6)
		}
	})
	if err != nil {
		return err
	}
	b.log(m)
	b.res.soakRun = &m
	json.NewEncoder(b.raw).Encode(b.res.soak)
	return nil
}

func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// ---- the target ----

type server struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	done    chan error
}

// startServer starts bench/fastserver on CPU 1 and waits for its address.
func (b *bench) startServer(ctx context.Context, args ...string) (*server, error) {
	cmd := exec.Command("taskset", append([]string{"-c", targetCPU, b.server, "-listen", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	for i, a := range args {
		if a == "-log" && i+1 < len(args) {
			s.logPath = args[i+1]
		}
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
		s.done <- cmd.Wait()
	}()
	select {
	case l, ok := <-line:
		if !ok {
			return nil, fmt.Errorf("fastserver exited: %v", <-s.done)
		}
		s.addr = strings.TrimSpace(l)
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		return nil, errors.New("fastserver did not start within 10 s")
	case <-ctx.Done():
		cmd.Process.Kill()
		return nil, ctx.Err()
	}
	return s, nil
}

// stop ends the server (SIGTERM, then SIGKILL after 5 s) and returns its
// schedule when it kept one.
func (s *server) stop() (*serverLog, error) {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	if s.logPath == "" {
		return nil, nil
	}
	defer os.Remove(s.logPath)
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("fastserver log: %v", err)
	}
	var l serverLog
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("fastserver log: %v", err)
	}
	return &l, nil
}

// serverLog is what fastserver -log writes.
type serverLog struct {
	Delay    time.Duration      `json:"delay_ns"`
	Freezes  [][2]time.Duration `json:"freezes_ns"`
	Requests [][2]time.Duration `json:"requests_ns"`
}

// served returns the latency of each request the server saw, arrival to
// completion.
func (l *serverLog) served() []time.Duration {
	d := make([]time.Duration, len(l.Requests))
	for i, r := range l.Requests {
		d[i] = r[1] - r[0]
	}
	return d
}

// openModel returns the truth for an open-model client: arrivals at a
// constant rate from the first one, for dur, each answered by the server's
// own schedule — one arriving during a freeze waits for its end and then
// takes the service time; one whose service time ends during a freeze
// completes at its end. The service time is the median the server measured
// (its 50 ms sleep overshoots a little), not the nominal delay.
func (l *serverLog) openModel(rate float64, dur time.Duration) []time.Duration {
	service := l.Delay
	if p := percentiles(l.served()); p != nil {
		service = p[0]
	}
	n := int(rate * dur.Seconds())
	out := make([]time.Duration, n)
	frozen := func(t time.Duration) (time.Duration, bool) {
		for _, f := range l.Freezes {
			if t >= f[0] && t < f[1] {
				return f[1], true
			}
		}
		return 0, false
	}
	for k := range n {
		a := time.Duration(float64(k) / rate * float64(time.Second))
		start := a
		if end, ok := frozen(a); ok {
			start = end
		}
		done := start + service
		if end, ok := frozen(done); ok {
			done = end
		}
		out[k] = done - a
	}
	return out
}

// percentiles returns p50, p95 and p99 (nearest rank).
func percentiles(d []time.Duration) []time.Duration {
	if len(d) == 0 {
		return nil
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q/100*float64(len(s)))) - 1
		return s[max(i, 0)]
	}
	return []time.Duration{at(50), at(95), at(99)}
}

// ---- the tools ----

// pinned runs a command on the generator's CPU and returns its output and
// resource usage.
func pinned(ctx context.Context, limit time.Duration, name string, args ...string) ([]byte, *usageFigures, error) {
	return pinnedWatch(ctx, limit, nil, name, args...)
}

// usageFigures are a tool's CPU time and peak RSS.
type usageFigures struct {
	cpu    time.Duration
	maxRSS int64 // bytes
}

// timeFormat makes GNU time write user and system seconds and the peak
// RSS in KiB. The tool runs under /usr/bin/time rather than straight from
// this process: Linux keeps a process's peak RSS across exec, and Go
// starts children with vfork, so a child of loadbench would report
// loadbench's own RSS when that is larger than the tool's.
const timeFormat = "%U %S %M"

func readUsage(path string) (*usageFigures, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	f := strings.Fields(lines[len(lines)-1]) // after any "Command exited with..." line
	if len(f) != 3 {
		return nil, fmt.Errorf("/usr/bin/time wrote %q", b)
	}
	user, err1 := strconv.ParseFloat(f[0], 64)
	sys, err2 := strconv.ParseFloat(f[1], 64)
	kib, err3 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("/usr/bin/time wrote %q: %v", b, err)
	}
	return &usageFigures{cpu: time.Duration((user + sys) * float64(time.Second)), maxRSS: kib << 10}, nil
}

type exitError struct {
	code   int
	stderr string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, tail(e.stderr)) }

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}

func usage(m *measure, u *usageFigures) {
	if u != nil {
		m.CPU, m.MaxRSS = u.cpu, u.maxRSS
	}
}

// loadcheckRun runs loadcheck with the worker cap of (a) and (b); for (c)
// each open-model tool runs with its defaults (loadcheck 512 workers,
// vegeta unbounded), as a user would measure latency.
func (b *bench) loadcheckRun(ctx context.Context, test, addr string, rate float64, dur time.Duration) (measure, error) {
	return b.loadcheckWith(ctx, test, addr, rate, dur, nil)
}

// capped reports whether a test runs with the worker cap conns.
func capped(test string) bool { return test == "max" || test == "fixed" || test == "soak" }

// loadcheckWith runs `loadcheck run` with a generated scenario and target
// file; watch, when set, runs with the process id while loadcheck runs.
func (b *bench) loadcheckWith(ctx context.Context, test, addr string, rate float64, dur time.Duration, watch func(pid int)) (measure, error) {
	scen := filepath.Join(b.tmp, "bench.yaml")
	tgt := filepath.Join(b.tmp, "fastserver.yaml")
	workers := ""
	if capped(test) {
		workers = fmt.Sprintf("\n  max_workers: %d", conns)
	}
	err := os.WriteFile(scen, []byte(`name: bench
duration: 5s
http:
  timeout: 10s`+workers+`
  load: {rate: 100/s}
  endpoints: [{name: fast, path: /}]
`), 0o644)
	if err == nil {
		err = os.WriteFile(tgt, []byte("name: fastserver\nbase_url: http://"+addr+"\n"), 0o644)
	}
	if err != nil {
		return measure{}, err
	}
	args := []string{"run", scen, "--target", tgt, "--format", "json", "--quiet",
		"--rate", strconv.FormatFloat(rate, 'f', -1, 64) + "/s", "--duration", dur.String()}
	out, ru, err := pinnedWatch(ctx, dur+time.Minute, watch, b.loadcheck, args...)
	var ee *exitError
	if err != nil && !(errors.As(err, &ee) && ee.code == 1) {
		return measure{}, fmt.Errorf("loadcheck: %v", err)
	}
	res, rerr := report.Read(bytes.NewReader(out))
	if rerr != nil {
		return measure{}, fmt.Errorf("loadcheck: %v", rerr)
	}
	t := res.HTTP.Total
	m := measure{Tool: "loadcheck", Test: test, Rate: rate, Duration: dur,
		Requests: t.Requests, Errors: t.Errors, Late: t.Late,
		P50: t.Latency.P50.Duration(), P95: t.Latency.P95.Duration(), P99: t.Latency.P99.Duration()}
	usage(&m, ru)
	return m, nil
}

// pinnedWatch is pinned with a callback, run while the tool runs, that
// gets the tool's process id; watch may be nil.
func pinnedWatch(ctx context.Context, limit time.Duration, watch func(pid int), name string, args ...string) ([]byte, *usageFigures, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	usageFile, err := os.CreateTemp("", "loadbench-time-")
	if err != nil {
		return nil, nil, err
	}
	usageFile.Close()
	defer os.Remove(usageFile.Name())
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", genCPU, "/usr/bin/time", "-o", usageFile.Name(), "-f", timeFormat, name}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	if watch != nil {
		go func() {
			// taskset execs /usr/bin/time, which forks the tool.
			for ctx.Err() == nil {
				if kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)); err == nil {
					if pid, err := strconv.Atoi(strings.TrimSpace(string(kids))); err == nil {
						watch(pid)
						return
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	err = cmd.Wait()
	u, uerr := readUsage(usageFile.Name())
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ctx.Err() == nil {
			return out.Bytes(), u, &exitError{code: ee.ExitCode(), stderr: errb.String()}
		}
		return nil, nil, fmt.Errorf("%s: %v: %s", name, err, tail(errb.String()))
	}
	if uerr != nil {
		return nil, nil, uerr
	}
	return out.Bytes(), u, nil
}

func (b *bench) vegetaRun(ctx context.Context, test, addr string, rate float64, dur time.Duration) (measure, error) {
	targets := filepath.Join(b.tmp, "targets.txt")
	results := filepath.Join(b.tmp, "results.bin")
	defer os.Remove(results)
	if err := os.WriteFile(targets, []byte("GET http://"+addr+"/\n"), 0o644); err != nil {
		return measure{}, err
	}
	// -max-body 0 like loadcheck: neither keeps response bodies.
	args := []string{"attack", "-targets", targets, "-rate", fmt.Sprintf("%d/1s", int(rate)), "-duration", dur.String(),
		"-max-body", "0", "-timeout", "10s", "-output", results}
	if capped(test) {
		args = append(args, "-max-workers", strconv.Itoa(conns))
	}
	_, ru, err := pinned(ctx, dur+time.Minute, b.vegeta, args...)
	if err != nil {
		return measure{}, fmt.Errorf("vegeta attack: %v", err)
	}
	// Decoding the results is not part of the measurement.
	out, err := exec.CommandContext(ctx, b.vegeta, "report", "-type", "json", results).Output()
	if err != nil {
		return measure{}, fmt.Errorf("vegeta report: %v", err)
	}
	var r struct {
		Latencies struct {
			P50 time.Duration `json:"50th"`
			P95 time.Duration `json:"95th"`
			P99 time.Duration `json:"99th"`
		} `json:"latencies"`
		Requests uint64  `json:"requests"`
		Success  float64 `json:"success"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return measure{}, fmt.Errorf("vegeta report: %v", err)
	}
	ok := uint64(math.Round(r.Success * float64(r.Requests)))
	m := measure{Tool: "vegeta", Test: test, Rate: rate, Duration: dur, Requests: r.Requests, Errors: r.Requests - ok,
		P50: r.Latencies.P50, P95: r.Latencies.P95, P99: r.Latencies.P99}
	usage(&m, ru)
	if m.Late, err = b.vegetaLate(ctx, results, rate); err != nil {
		return measure{}, err
	}
	return m, nil
}

// vegetaLate counts the hits vegeta sent more than 10 ms after its own
// schedule (hit n at n/rate after hit 0), as loadcheck counts late
// requests: vegeta keeps each hit's sequence number and send time but
// reports neither.
func (b *bench) vegetaLate(ctx context.Context, results string, rate float64) (uint64, error) {
	cmd := exec.CommandContext(ctx, b.vegeta, "encode", "-to", "csv", results)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	type hit struct{ seq, ts int64 }
	var hits []hit
	t0 := int64(math.MaxInt64)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ",", 10)
		if len(f) < 9 {
			continue
		}
		ts, err1 := strconv.ParseInt(f[0], 10, 64)
		seq, err2 := strconv.ParseInt(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		hits = append(hits, hit{seq, ts})
		if seq == 0 {
			t0 = ts
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("vegeta encode: %v", err)
	}
	var late uint64
	for _, h := range hits {
		if h.ts-(t0+int64(float64(h.seq)/rate*1e9)) > int64(10*time.Millisecond) {
			late++
		}
	}
	return late, nil
}

func (b *bench) wrkRun(ctx context.Context, test, addr string, c int, dur time.Duration) (measure, error) {
	out, ru, err := pinned(ctx, dur+time.Minute, "wrk", "-t1", "-c"+strconv.Itoa(c),
		"-d"+strconv.Itoa(int(dur.Seconds()))+"s", "--timeout", "10s", "-s", b.wrkScript, "http://"+addr+"/")
	if err != nil {
		return measure{}, fmt.Errorf("wrk: %v", err)
	}
	// One JSON line from bench/wrk-report.lua; the keys carry the unit.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	var raw map[string]int64
	if err := json.Unmarshal([]byte(last), &raw); err != nil {
		return measure{}, fmt.Errorf("wrk: %v in %q", err, last)
	}
	us := func(k string) time.Duration { return time.Duration(raw[k]) * time.Microsecond }
	m := measure{Tool: "wrk", Test: test, Conns: c, Duration: us("duration_us"),
		Requests: uint64(raw["requests"]), Errors: uint64(raw["errors"] + raw["status_errors"]),
		P50: us("p50_us"), P95: us("p95_us"), P99: us("p99_us")}
	usage(&m, ru)
	return m, nil
}

var (
	heyTotal  = regexp.MustCompile(`Total:\s+([0-9.]+) secs`)
	heyPct    = regexp.MustCompile(`(\d+)%+ in ([0-9.]+) secs`)
	heyStatus = regexp.MustCompile(`\[(\d+)\]\s+(\d+) responses`)
	heyErrors = regexp.MustCompile(`(?m)^\s+\[(\d+)\]\s+(.*)$`)
)

// heyRun runs hey with c workers, each at q requests per second (0: no
// limit).
func (b *bench) heyRun(ctx context.Context, test, addr string, c, q int, dur time.Duration) (measure, error) {
	args := []string{"-z", dur.String(), "-c", strconv.Itoa(c), "-t", "10", "-disable-compression"}
	if q > 0 {
		args = append(args, "-q", strconv.Itoa(q))
	}
	out, ru, err := pinned(ctx, dur+time.Minute, "hey", append(args, "http://"+addr+"/")...)
	if err != nil {
		return measure{}, fmt.Errorf("hey: %v", err)
	}
	s := string(out)
	m := measure{Tool: "hey", Test: test, Conns: c, Duration: dur}
	if q > 0 {
		m.Rate = float64(c * q)
	}
	if t := heyTotal.FindStringSubmatch(s); t != nil {
		f, _ := strconv.ParseFloat(t[1], 64)
		m.Duration = time.Duration(f * float64(time.Second))
	}
	codes, errs, _ := strings.Cut(s, "Error distribution:")
	for _, st := range heyStatus.FindAllStringSubmatch(codes, -1) {
		n, _ := strconv.ParseUint(st[2], 10, 64)
		m.Requests += n
		if !strings.HasPrefix(st[1], "2") && !strings.HasPrefix(st[1], "3") {
			m.Errors += n
		}
	}
	for _, e := range heyErrors.FindAllStringSubmatch(errs, -1) {
		n, _ := strconv.ParseUint(e[1], 10, 64)
		m.Requests += n
		m.Errors += n
	}
	for _, p := range heyPct.FindAllStringSubmatch(s, -1) {
		f, _ := strconv.ParseFloat(p[2], 64)
		d := time.Duration(f * float64(time.Second))
		switch p[1] {
		case "50":
			m.P50 = d
		case "95":
			m.P95 = d
		case "99":
			m.P99 = d
		}
	}
	if m.Requests == 0 {
		return measure{}, fmt.Errorf("hey: no figures in its output:\n%s", tail(s))
	}
	usage(&m, ru)
	return m, nil
}

// ---- the report ----

func environment(c config) []string {
	var env []string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				env = append(env, fmt.Sprintf("CPU: %s, %d cores", strings.TrimSpace(v), runtime.NumCPU()))
				break
			}
		}
	}
	var un syscall.Utsname
	if syscall.Uname(&un) == nil {
		env = append(env, "kernel: "+utsString(un.Release[:]))
	}
	version := func(name string, args ...string) string {
		out, _ := exec.Command(name, args...).CombinedOutput()
		return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	env = append(env, "loadcheck: "+version(c.loadcheck, "--version"))
	if out, err := exec.Command("go", "version", "-m", c.vegeta).Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 3 && f[0] == "mod" {
				env = append(env, "vegeta CLI: "+f[1]+" "+f[2]+", "+strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0][len(c.vegeta)+1:]))
			}
		}
	}
	env = append(env, "wrk: "+version("dpkg-query", "-W", "-f=${Version}", "wrk"), "hey: "+version("dpkg-query", "-W", "-f=${Version}", "hey"))
	return env
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// row is one line of the table: a figure per tool and the truth.
type row struct {
	label string
	truth string
	vals  map[string]float64 // by tool; missing: not measured
	notes map[string]string  // by tool, replaces the value
	fmt   func(float64) string
	// better is +1 when larger is better, -1 when smaller is, 0 for
	// neither (latencies are judged against the truth).
}

func (b *bench) rows() []row {
	r := b.res
	var rows []row
	num := func(f float64) string { return commas(f) }
	us := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	mb := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	msf := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
	if len(r.max) > 0 {
		rate := row{label: "(a) highest rate, errors < 0.1 % (req/s)", vals: map[string]float64{}, notes: map[string]string{}, fmt: num}
		late := row{label: "(a) sent > 10 ms behind schedule at that rate (%)", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a (closed)", "hey": "n/a (closed)"},
			fmt: func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }}
		cpu := row{label: "(a) CPU per request at that rate (µs)", vals: map[string]float64{}, fmt: us}
		rss := row{label: "(a) peak RSS at that rate (MB)", vals: map[string]float64{}, fmt: mb}
		for name, m := range r.max {
			if m.Conns > 0 {
				rate.vals[name] = m.throughput()
				rate.notes[name] = fmt.Sprintf(" (closed, %d conns)", m.Conns)
			} else {
				rate.vals[name] = m.Rate
			}
			if m.Conns == 0 {
				late.vals[name] = 100 * float64(m.Late) / float64(max(m.Requests, 1))
			}
			cpu.vals[name] = float64(m.cpuPerReq()) / 1e3
			rss.vals[name] = float64(m.MaxRSS) / 1e6
		}
		rows = append(rows, rate, late, cpu, rss)
	}
	if len(r.fixed) > 0 {
		cpu := row{label: "(b) CPU s per 1M requests at 2,000 req/s", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a (no rate limit)"}, fmt: func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }}
		rss := row{label: "(b) peak RSS at 2,000 req/s (MB)", vals: map[string]float64{}, notes: map[string]string{"wrk": "n/a"}, fmt: mb}
		for name, m := range r.fixed {
			cpu.vals[name] = m.CPU.Seconds() * 1e6 / float64(max(m.Requests, 1))
			rss.vals[name] = float64(m.MaxRSS) / 1e6
		}
		rows = append(rows, cpu, rss)
	}
	lat := func(label string, ms map[string]measure, truth []time.Duration) {
		for i, q := range []string{"p50", "p95", "p99"} {
			rw := row{label: fmt.Sprintf("%s %s (ms)", label, q), vals: map[string]float64{}, fmt: msf}
			if len(truth) == 3 {
				rw.truth = msf(float64(truth[i]) / 1e6)
			}
			for name, m := range ms {
				rw.vals[name] = float64([]time.Duration{m.P50, m.P95, m.P99}[i]) / 1e6
			}
			rows = append(rows, rw)
		}
	}
	if len(r.lat50) > 0 {
		lat("(c) 50 ms target", r.lat50, r.truth50)
	}
	if len(r.freeze) > 0 {
		lat("(c) 2 × 1 s freeze", r.freeze, r.truthFreeze)
	}
	if r.soakRun != nil && len(r.soak) > 0 {
		lo, hi := spread(r.soak)
		rows = append(rows, row{label: fmt.Sprintf("soak: RSS over %s at 2,000 req/s (MB)", b.soakDur), vals: map[string]float64{},
			notes: map[string]string{"loadcheck": fmt.Sprintf("%.1f–%.1f", float64(lo)/1e6, float64(hi)/1e6)}, fmt: mb})
	}
	return rows
}

// spread returns the lowest and highest RSS sampled.
func spread(s []soakSample) (lo, hi int64) {
	lo = math.MaxInt64
	for _, x := range s {
		lo, hi = min(lo, x.RSS), max(hi, x.RSS)
	}
	return lo, hi
}

func commas(f float64) string {
	s := strconv.FormatInt(int64(math.Round(f)), 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (b *bench) markdown(day string, env []string, load0, load1 string, took time.Duration) string {
	var w strings.Builder
	fmt.Fprintf(&w, "# loadcheck benchmark, %s\n\n", day)
	fmt.Fprintf(&w, "`make bench` (bench/run.sh → bench/loadbench): target bench/fastserver (200-byte body) pinned to CPU %s, each tool pinned to CPU %s, loopback, one at a time. "+
		"Ratios are to loadcheck. CPU and peak RSS are the kernel's rusage of the tool's process. %d connections or workers for every tool in (a).\n\n", targetCPU, genCPU, conns)
	fmt.Fprintln(&w, "| figure | truth | loadcheck | vegeta CLI | wrk | hey |")
	fmt.Fprintln(&w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range b.rows() {
		cells := []string{r.label, r.truth}
		if r.truth == "" {
			cells[1] = "–"
		}
		base, hasBase := r.vals["loadcheck"]
		for _, t := range tools {
			v, ok := r.vals[t]
			note := r.notes[t]
			switch {
			case !ok && note != "":
				cells = append(cells, note)
			case !ok:
				cells = append(cells, "–")
			default:
				c := r.fmt(v)
				if t != "loadcheck" && hasBase && base != 0 {
					c += fmt.Sprintf(" (%.2f×)", v/base)
				}
				cells = append(cells, c+note)
			}
		}
		fmt.Fprintf(&w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(&w)
	b.goals(&w)
	fmt.Fprintln(&w, "\nHow each figure is taken:")
	fmt.Fprintf(&w, "- (a) loadcheck and vegeta: the rate steps up by 5,000 req/s (%s each, both tools at each step in turn), then bisects to 1,000; a step that falls short is run once more before the rate counts as failed; a rate is sustained when errors < 0.1 %% and ≥ 97 %% of its requests were answered. loadcheck `max_workers: %d`, vegeta `-max-workers %d -max-body 0`. wrk (`-t1 -c%d`) and hey (`-c %d`) are closed-model: their throughput over %s.\n",
		b.stepDur, conns, conns, conns, conns, 2*b.stepDur)
	fmt.Fprintf(&w, "- (b) %s at 2,000 req/s, the same worker caps as (a); hey as 20 workers × `-q 100`. wrk cannot limit its rate.\n", b.fixedDur)
	fmt.Fprintf(&w, "- (c) %s at 200 req/s (wrk `-c10`, hey `-c 10 -q 20`: the concurrency that carries 200 req/s at 50 ms; loadcheck and vegeta with their default worker caps, 512 and none). loadcheck shows its corrected latency (from the intended send time). "+
		"Truth for the 50 ms target: the server's own arrival-to-answer times over all four runs. Truth for the freeze (1 s at 3 s and 7 s after the first request): an open-model client's requests at 200 req/s "+
		"answered by the server's schedule (a request arriving during a freeze waits for its end, then the service time the server measured, ≈ 50 ms; one in service when a freeze begins completes at its end).\n", b.latDur)
	if len(b.res.freeze) > 0 {
		var seen []string
		for _, t := range tools {
			if m, ok := b.res.freeze[t]; ok && len(m.ServerTruth) == 3 {
				seen = append(seen, fmt.Sprintf("%s p95 %.0f ms (%d requests)", t, float64(m.ServerTruth[1])/1e6, m.Requests))
			}
		}
		fmt.Fprintf(&w, "- Freeze, truth of the requests each tool actually sent (what the server saw): %s. A closed-model tool sends little during a freeze, so even the truth of what it sent hides the stall.\n", strings.Join(seen, ", "))
	}
	fmt.Fprintln(&w, "- Late: loadcheck counts requests sent > 10 ms after their scheduled time and corrects their latency for it; for vegeta the bench computes the same from its results (each hit's sequence number and send time), which vegeta itself does not report. A rate can be sustained in throughput while many requests go out late.")
	fmt.Fprintf(&w, "\nMachine: %s. Load average before %s, after %s (other work on the machine disturbs every figure). The bench took %s.\n",
		strings.Join(env, "; "), load0, load1, took.Round(time.Second))
	return w.String()
}

func (b *bench) goals(w io.Writer) {
	fmt.Fprintln(w, "Goals (issues 3 and 8):")
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	r := b.res
	if lc, ok := r.max["loadcheck"]; ok {
		if vg, ok := r.max["vegeta"]; ok {
			fmt.Fprintf(w, "- highest rate ≥ 90 %% of vegeta's: %s / %s = %.0f %% — %s\n", commas(lc.Rate), commas(vg.Rate), 100*lc.Rate/vg.Rate, mark(lc.Rate >= 0.9*vg.Rate))
		}
		fmt.Fprintf(w, "- highest rate ≥ 31,000 req/s: %s — %s\n", commas(lc.Rate), mark(lc.Rate >= 31000))
		fmt.Fprintf(w, "- ≤ 30 µs CPU per request at the highest rate: %.1f µs — %s\n", float64(lc.cpuPerReq())/1e3, mark(lc.cpuPerReq() <= 30*time.Microsecond))
		fmt.Fprintf(w, "- ≤ 20 MB RSS at the highest rate: %.1f MB — %s\n", float64(lc.MaxRSS)/1e6, mark(lc.MaxRSS <= 20e6))
	}
	if lc, ok := r.fixed["loadcheck"]; ok {
		if vg, ok := r.fixed["vegeta"]; ok {
			a, v := lc.CPU.Seconds()/float64(lc.Requests), vg.CPU.Seconds()/float64(vg.Requests)
			fmt.Fprintf(w, "- CPU per request at 2,000 req/s ≤ 1.2× vegeta's: %.2f× — %s\n", a/v, mark(a <= 1.2*v))
		}
	}
	if lc, ok := r.lat50["loadcheck"]; ok && len(r.truth50) == 3 {
		d := lc.P50 - r.truth50[0]
		fmt.Fprintf(w, "- p50 within 1 ms of the truth (50 ms target): %.2f ms off — %s\n", float64(d)/1e6, mark(d.Abs() <= time.Millisecond))
	}
	if lc, ok := r.freeze["loadcheck"]; ok && len(r.truthFreeze) == 3 {
		d := lc.P50 - r.truthFreeze[0]
		fmt.Fprintf(w, "- p50 within 1 ms of the truth (freeze target): %.2f ms off — %s; p95 %.0f ms against %.0f ms\n",
			float64(d)/1e6, mark(d.Abs() <= time.Millisecond), float64(lc.P95)/1e6, float64(r.truthFreeze[1])/1e6)
	}
	if len(r.soak) > 0 {
		// The first sample is taken while the heap still grows to its
		// working size; flatness is judged from the second one on.
		s := r.soak
		if len(s) > 1 {
			s = s[1:]
		}
		lo, hi := spread(s)
		fmt.Fprintf(w, "- RSS flat within 10 MB over %s at 2,000 req/s: %.1f MB spread (from %s on) — %s\n", b.soakDur, float64(hi-lo)/1e6, s[0].At, mark(hi-lo <= 10e6))
	} else {
		fmt.Fprintln(w, "- RSS flat within 10 MB over 5 min: not run (BENCH_SOAK=1 make bench)")
	}
}
