package run

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/load"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/target"
)

// Options configures one execution.
type Options struct {
	Scenario *scenario.Scenario
	Target   *scenario.Target
	// Progress receives a live progress line every second (with carriage
	// returns, for a terminal); nil for none.
	Progress io.Writer
	// TargetLog receives the output of a target loadcheck starts; nil
	// discards it (its last lines still appear in start errors).
	TargetLog io.Writer
	// RunID names the result; a random one when empty.
	RunID string
	// Version is recorded in the result's host block.
	Version string
	// Checkpoint, when set, receives the result so far, marked
	// report.Incomplete, every CheckpointEvery of the run, so that a crash
	// or kill -9 does not lose what was measured. The CLI writes it to
	// --out, where the final result replaces it. It is called from the
	// goroutine that watches the run and should not block for long.
	Checkpoint func(*report.Result)
	// Start, when set, is when the load begins: every shard of a sharded
	// run waits for it, which lines them up on one clock.
	Start time.Time
	// Shard makes the run one shard of a sharded run (see Shard); nil for
	// a whole run.
	Shard *report.ShardInfo
}

// CheckpointEvery is how often Options.Checkpoint is called.
const CheckpointEvery = 5 * time.Second

// ErrInterrupted is wrapped by the error Execute returns when ctx was
// cancelled: the result is partial.
var ErrInterrupted = errors.New("interrupted")

// Execute runs the scenario once. It returns a result whenever anything
// was measured, also with an error (interrupted, or failed part-way): a
// user's measurements are never dropped. An error with a nil result means
// nothing ran (bad target, target failed to start).
func Execute(ctx context.Context, o Options) (*report.Result, error) {
	sc, tg := o.Scenario, o.Target
	res := &report.Result{
		Schema:   report.Schema,
		RunID:    o.RunID,
		Scenario: scenarioInfo(sc),
		Target:   report.TargetInfo{Name: tg.Name, File: tg.File, Remote: tg.Remote(), TLS: tlsInfo(tg)},
		Status:   report.Complete,
	}
	if res.RunID == "" {
		res.RunID = NewRunID(time.Now())
	}
	// A shard runs its share of the scenario; the result names the whole.
	sc = shardOf(sc, o.Shard)
	host, _ := os.Hostname()
	res.Host = &report.Host{Hostname: host, Cores: runtime.NumCPU(), Version: o.Version}

	// The clients' source addresses, checked before the target starts.
	plan := sourcePlan(sc, tg.BaseURL)
	desc := plan.Describe(sc.WebSocket != nil)
	if err := plan.Check(); err != nil {
		if sc.SourceAddress.IsValid() {
			return nil, fmt.Errorf("%s: source_address %s: not an address this machine can connect from (%v): use one of its addresses, e.g. 127.0.0.1, or remove the field", sc.Where("$.source_address"), sc.SourceAddress, err)
		}
		plan = clientaddr.Plan{}
		desc = clientaddr.Description{Mode: "system", Note: fmt.Sprintf("this machine has no loopback addresses beyond 127.0.0.1 (%v): every client connects from the system's choice", err)}
	}

	// The target: start it, or check that something listens.
	baseURL := tg.BaseURL
	rootPID := 0
	var running *target.Running
	var targetDied atomic.Pointer[time.Time]
	if tg.Start != nil {
		var err error
		o.begin("starting %s", targetLabel(tg))
		running, err = target.Start(ctx, tg, target.Options{Log: o.TargetLog})
		if err != nil {
			o.end("failed")
			return nil, err
		}
		o.end("ready in %s", seconds(running.ReadyTime()))
		// Stop is safe to call twice: the deferred call covers early
		// returns; the run's end calls it first and reports its error.
		defer stopTarget(ctx, running, tg)
		// Note when the target dies, so the report can say when.
		watched := make(chan struct{})
		defer close(watched)
		go func() {
			select {
			case <-running.Exited():
				now := time.Now()
				targetDied.Store(&now)
			case <-watched:
			}
		}()
		baseURL = running.BaseURL()
		rootPID = running.PID()
		res.Target.Started = true
		res.Target.ReadyTime = running.ReadyTime()
	} else if err := target.CheckReachable(ctx, baseURL, tg.Ready.Path, tg.TLSConfig()); err != nil {
		return nil, fmt.Errorf("%s: base_url: %w", tg.Where("$.base_url"), err)
	}
	res.Target.BaseURL = redact(baseURL, append(sc.Secrets, tg.Secrets...))

	// Everything below stops when the run ends, or earlier on an abort.
	loadCtx, stopLoad := context.WithCancelCause(ctx)
	defer stopLoad(nil)

	var sampler *resource.Sampler
	stopSampling, cancelSampling := func() {}, func() {}
	if !tg.Resources.IsZero() || rootPID > 0 {
		s, err := resource.New(tg.Resources, rootPID, sc.Resources)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tg.Where("$.resources"), err)
		}
		sampler = s
		sampleCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); sampler.Run(sampleCtx) }()
		stopSampling, cancelSampling = func() { cancel(); wg.Wait() }, cancel
		defer stopSampling()
	}

	res.Sources = &desc

	// An interrupt does not tear the probes down by itself: the gates on
	// end-of-run state (ws.connected, sse.connected) read the state when
	// the measured phase ended or was interrupted, before the teardown.
	// While they connect, an interrupt still stops them at once.
	probeCtx, stopProbes := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProbes()
	disarm := context.AfterFunc(ctx, stopProbes)

	ws, sse, err := startProbes(probeCtx, o, sc, baseURL, plan, tg.TLSConfig(), o.Shard)
	if err != nil {
		return nil, err
	}

	disarm()

	atk, err := load.New(sc, baseURL, plan, tg.TLSConfig())
	if err != nil {
		return nil, err
	}
	if o.Shard != nil {
		atk.Pacer().Shard(o.Shard.Index, o.Shard.Count)
		sh := *o.Shard
		res.Shard = &sh
	}
	late, err := waitStart(ctx, o.Start)
	if err != nil {
		if ws != nil {
			ws.Close(ctx)
		}
		if sse != nil {
			sse.Close()
		}
		return nil, fmt.Errorf("waiting for --start %s: %w", o.Start.Format(time.RFC3339), ErrInterrupted)
	}
	if late > time.Second {
		addReason(res, fmt.Sprintf("the load began %s after --start %s", late.Round(100*time.Millisecond), o.Start.Format(time.RFC3339)))
		if res.Shard != nil {
			res.Shard.StartedLate = late
		}
	}
	names := make([]string, len(sc.HTTP.Endpoints))
	for i, e := range sc.HTTP.Endpoints {
		names[i] = e.Name
	}
	rec := record.NewLimited(names, record.Limits{Phase: sc.Duration, Timeout: sc.HTTP.Timeout})

	loadDone := make(chan load.Stats, 1)
	go func() { loadDone <- atk.Run(loadCtx, rec) }()

	// The resource figures cover the measured phase: from the end of the
	// warm-up to the end of the phase, or to the stop.
	if sampler != nil {
		go func() {
			defer cancelSampling()
			select {
			case <-time.After(sc.Warmup):
			case <-loadCtx.Done():
				return
			}
			sampler.MeasureFrom()
			select {
			case <-time.After(sc.Duration):
			case <-loadCtx.Done():
			}
		}()
	}

	// The broadcaster runs for the measured phase.
	bcastDone := make(chan error, 1)
	if ws != nil {
		go func() { bcastDone <- broadcast(loadCtx, ws, sc, o.Shard) }()
	} else {
		bcastDone <- nil
	}

	mon := monitor{o: o, atk: atk, rec: rec, sampler: sampler, ws: ws, sse: sse, res: res, stop: stopLoad}
	stats := mon.watch(loadCtx, loadDone)
	<-bcastDone
	end := time.Now()

	if ws != nil {
		if ctx.Err() == nil {
			o.begin("waiting the %s grace period for the last broadcasts", sc.WebSocket.Grace)
		}
		s := ws.Close(ctx)
		s.Connected = mon.atEnd.ws
		if ctx.Err() == nil {
			o.end("done")
		}
		res.WebSocket = &s
	}
	if sse != nil {
		s := sse.Close()
		s.Connected = mon.atEnd.sse
		res.SSE = &s
	}
	stopProbes()
	rec.Close(minTime(end, stats.Ended))
	// Rates are per second of sending: responses that drain after the
	// schedule ends count, but their wait does not dilute the rate.
	res.HTTP = rec.Snapshot(stats.SendEnded, true)
	res.HTTP.InflightMax = stats.InflightMax
	res.Start = res.HTTP.Start
	res.Elapsed = res.HTTP.Elapsed
	res.Generator = report.Generator{
		Scheduled: stats.Scheduled, Sent: stats.Sent, Warmup: stats.Warmup, Canceled: stats.Canceled,
		Late: res.HTTP.Total.Late, InflightMax: stats.InflightMax, MaxWorkers: sc.HTTP.MaxWorkers,
	}
	if sampler != nil {
		stopSampling()
		s := sampler.Summary()
		for i := range s.Processes {
			s.Processes[i].Name = redact(s.Processes[i].Name, append(sc.Secrets, tg.Secrets...))
		}
		res.Resources = &s
	}
	if running != nil {
		select {
		case <-running.Exited():
			when := ""
			if t := targetDied.Load(); t != nil && !res.Start.IsZero() {
				when = ", " + intoRun(t.Sub(res.Start))
			}
			addReason(res, fmt.Sprintf("the target exited during the run%s (%v)", when, running.ExitErr()))
		default:
		}
		if err := stopTarget(ctx, running, tg); err != nil {
			addReason(res, fmt.Sprintf("stopping the target: %v", err))
		}
	}

	res.Gates, res.Pass = gate.EvalAll(sc.Gates, res)
	switch {
	case ctx.Err() != nil:
		res.Status = report.Interrupted
		res.Pass = false
		return res, fmt.Errorf("run %s: %w", res.RunID, ErrInterrupted)
	case context.Cause(loadCtx) != nil && errors.Is(context.Cause(loadCtx), errAborted):
		res.Status = report.Aborted
		res.Pass = false
	}
	return res, nil
}

var errAborted = errors.New("aborted")

// sourcePlan returns the source addresses of the run's clients: the
// scenario's pinned address, or against a loopback target an address of
// its own for each client.
func sourcePlan(sc *scenario.Scenario, baseURL string) clientaddr.Plan {
	c := clientaddr.Counts{HTTP: sc.HTTP.Clients}
	if len(sc.HTTP.Endpoints) == 0 {
		c.HTTP = 0
	}
	if sc.WebSocket != nil {
		c.Boards = sc.WebSocket.Boards
	}
	if sc.SSE != nil {
		c.SSE = sc.SSE.Clients
	}
	return clientaddr.For(sc.SourceAddress, loopback(baseURL), c)
}

// loopback reports whether baseURL's host is an IPv4 loopback address or
// localhost.
func loopback(baseURL string) bool {
	// A target file's base URL may still hold {port}.
	u, err := url.Parse(strings.ReplaceAll(baseURL, "{port}", "0"))
	if err != nil {
		return false
	}
	if h := u.Hostname(); h == "localhost" {
		return true
	} else if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().Is4() && a.IsLoopback()
	}
	return false
}

// tlsInfo says how the target's certificate is checked, for the report.
func tlsInfo(tg *scenario.Target) string {
	switch {
	case !strings.HasPrefix(tg.BaseURL, "https://"):
		return ""
	case tg.TLS.InsecureSkipVerify:
		return report.TLSNotVerified
	case tg.TLS.CAFile != "":
		return "verified against tls.ca_file " + filepath.Base(tg.TLS.CAFile)
	}
	return "verified against the system's roots"
}

// intoRun says when something happened, d after the measured phase began.
func intoRun(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	if d < 0 {
		return fmt.Sprintf("%s before the measured phase began", -d)
	}
	return fmt.Sprintf("%s into the measured phase", d)
}

func stopTarget(ctx context.Context, r *target.Running, tg *scenario.Target) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tg.Stop.Grace+10*time.Second)
	defer cancel()
	return r.Stop(sctx)
}

func addReason(r *report.Result, s string) {
	if r.Reason != "" {
		r.Reason += "; "
	}
	r.Reason += s
}

func minTime(a, b time.Time) time.Time {
	if b.IsZero() || a.Before(b) {
		return a
	}
	return b
}

// NewRunID returns a sortable, unique run id: the start time and 4 random
// bytes.
func NewRunID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// redact hides values taken from the environment. Numbers and durations
// (a port, "90s") are settings rather than secrets, and replacing them
// would mangle addresses.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		_, nerr := strconv.ParseFloat(v, 64)
		_, derr := time.ParseDuration(v)
		if len(v) >= 3 && nerr != nil && derr != nil {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

func scenarioInfo(sc *scenario.Scenario) report.ScenarioInfo {
	si := report.ScenarioInfo{
		Name: sc.Name, File: sc.File, Duration: sc.Duration, Warmup: sc.Warmup,
		Timeout: sc.HTTP.Timeout, KeepAlive: sc.HTTP.KeepAlive, MaxWorkers: sc.HTTP.MaxWorkers,
		Clients: sc.HTTP.Clients,
	}
	for _, st := range sc.HTTP.Stages {
		if st.To != nil {
			si.Load = append(si.Load, fmt.Sprintf("to %s over %s", st.To, st.Over))
		} else {
			si.Load = append(si.Load, fmt.Sprintf("hold %s", st.Hold))
		}
	}
	for _, e := range sc.HTTP.Endpoints {
		m := e.Method
		if m == "" {
			m = "GET"
		}
		si.Endpoints = append(si.Endpoints, report.EndpointInfo{Name: e.Name, Method: m, Path: redact(e.Path, sc.Secrets), Weight: e.Weight})
	}
	if sc.Production != nil {
		si.Production = sc.Production.PerSecond()
	}
	return si
}
