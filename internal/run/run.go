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
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
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
	// result.Incomplete, every CheckpointEvery of the run, so that a crash
	// or kill -9 does not lose what was measured. The CLI writes it to
	// --out, where the final result replaces it. It is called from the
	// goroutine that watches the run and should not block for long.
	Checkpoint func(*result.Result)
	// Start, when set, is when the load begins: every shard of a sharded
	// run waits for it, which lines them up on one clock.
	Start time.Time
	// Shard makes the run one shard of a sharded run (see Shard); nil for
	// a whole run.
	Shard *result.ShardInfo
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
//
// A run is six stages, each in a function of its own: serve the target
// file's stub downstreams (their URLs go into its start section), start
// the target and open its other downstreams' counters, start what observes it (every kind in observerKinds: the
// resource sampler, the downstreams, the real-time probes), drive the
// load, assemble the result, judge it. A stage that leaves something
// running returns it with a Close or Stop, deferred here, so that every
// return, early or not, tears down what was started.
func Execute(ctx context.Context, o Options) (*result.Result, error) {
	if err := scenario.CheckDownstreamGates(o.Scenario, o.Target); err != nil {
		return nil, err
	}
	res := newResult(o)
	// A shard runs its share of the scenario; the result names the whole.
	sc := shardOf(o.Scenario, o.Shard)
	plan, sources, err := clientSources(sc, o.Target.BaseURL)
	if err != nil {
		return nil, err
	}
	// The stubs are served before the target starts: its start section
	// holds their URLs.
	ds, started, err := serveStubs(ctx, o.Target)
	if err != nil {
		return nil, err
	}
	if ds != nil {
		defer ds.Close()
	}
	o.Target = started
	tgt, err := startTarget(ctx, o)
	if err != nil {
		return nil, err
	}
	defer tgt.Close(ctx)
	if err := openCounters(ctx, ds, o.Target); err != nil {
		return nil, err
	}
	tgt.describe(&res.Target, secrets(sc, o.Target))
	res.Sources = &sources

	obs, err := startObservers(ctx, observerEnv{o: o, sc: sc, tgt: tgt, plan: plan, ds: ds})
	if err != nil {
		return nil, err
	}
	defer obs.Close(ctx)

	x := &execution{o: o, sc: sc, plan: plan, res: res}
	ld, err := driveLoad(ctx, x, tgt.baseURL, obs)
	if err != nil {
		return nil, err
	}
	defer ld.Stop()

	assemble(ctx, x, obs, ld)
	tgt.finish(ctx, res)
	return res, judge(ctx, sc, res, ld.aborted)
}

var errAborted = errors.New("aborted")

// clientSources returns the source addresses of the run's clients and
// their description for the report, checked before the target starts. A
// pinned address the machine lacks is an error; a machine without loopback
// addresses beyond 127.0.0.1 leaves every client to the system's choice.
func clientSources(sc *scenario.Scenario, baseURL string) (clientaddr.Plan, clientaddr.Description, error) {
	plan := sourcePlan(sc, baseURL)
	err := plan.Check()
	switch {
	case err == nil:
		return plan, plan.Describe(sc.WebSocket != nil), nil
	case sc.SourceAddress.IsValid():
		return plan, clientaddr.Description{}, fmt.Errorf("%s: source_address %s: not an address this machine can connect from (%v): use one of its addresses, e.g. 127.0.0.1, or remove the field", sc.Where("$.source_address"), sc.SourceAddress, err)
	}
	return clientaddr.Plan{}, clientaddr.Description{Mode: "system", Note: fmt.Sprintf("this machine has no loopback addresses beyond 127.0.0.1 (%v): every client connects from the system's choice", err)}, nil
}

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

func minTime(a, b time.Time) time.Time {
	if b.IsZero() || a.Before(b) {
		return a
	}
	return b
}

// NewRunID returns a sortable, unique run id: the start time and 4 random
// bytes (result.NewRunID).
func NewRunID(t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return result.NewRunID(t, hex.EncodeToString(b[:]))
}
