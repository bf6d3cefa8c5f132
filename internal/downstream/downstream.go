// Package downstream counts what a target does to the services it calls
// during a run: the statements a PostgreSQL database executes, the
// commands a Redis server processes, the calls an HTTP upstream receives
// (a stub loadcheck serves), or any counter of a Prometheus exporter; and
// the TCP connections each target process holds to them.
//
// Every figure is a cumulative counter read at intervals, so the calls of
// a phase are the difference of two readings. The counters of PostgreSQL,
// Redis and an exporter are global: they count every client's calls, so a
// run counts its target's calls only when nothing else calls the
// downstream meanwhile. A reader leaves its own reading queries out.
package downstream

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Counter reads a downstream's cumulative count of calls.
type Counter interface {
	// Read returns the count now. It is bounded in time even when ctx is
	// not.
	Read(ctx context.Context) (Reading, error)
	// Close releases the reader's connection.
	Close() error
}

// Reading is a counter at one moment: cumulative since the downstream
// started (or since the stub was served), so only differences of two
// readings mean something.
type Reading struct {
	At    time.Time
	Total float64
	// By splits Total by statement, command or path. Its keys are
	// bounded in length (see maxKeyBytes).
	By map[string]float64
	// ByPID splits Total by the process that called; only a stub knows.
	ByPID map[int]float64
	// Source names where the figure came from: "pg_stat_statements",
	// "pg_stat_database", "INFO commandstats", "stub" or "prometheus".
	Source string
}

// The sources of a Reading.
const (
	SourceStatements  = "pg_stat_statements"
	SourceTransaction = "pg_stat_database"
	SourceCommands    = "INFO commandstats"
	SourceStub        = "stub"
	SourcePrometheus  = "prometheus"
)

// Bounds of every reader.
const (
	// readTimeout bounds one reading, connecting included.
	readTimeout = 5 * time.Second
	// maxKeyBytes bounds a statement's text as a key of By: longer texts
	// that share their start are counted together.
	maxKeyBytes = 200
)

// Open connects to the downstream d names and returns its counter, read
// once so that a database that does not answer is an error now, before any
// load, naming the downstream and the fix. A stub is not opened but served:
// see Serve.
func Open(ctx context.Context, d scenario.Downstream) (Counter, error) {
	var c Counter
	switch d.Kind {
	case scenario.DownstreamPostgres:
		p, err := openPostgres(ctx, *d.Postgres)
		if err != nil {
			return nil, fmt.Errorf("downstream %q (%s): %w", d.Name, d.Where, err)
		}
		c = p
	case scenario.DownstreamRedis:
		c = openRedis(*d.Redis)
	case scenario.DownstreamPrometheus:
		c = newPrometheus(*d.Prometheus)
	case scenario.DownstreamStub:
		return nil, fmt.Errorf("downstream %q (%s): a stub is served, not opened: call Serve", d.Name, d.Where)
	default:
		return nil, fmt.Errorf("downstream %q (%s): unknown kind %q", d.Name, d.Where, d.Kind)
	}
	if _, err := c.Read(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("downstream %q (%s): %w", d.Name, d.Where, err)
	}
	return c, nil
}

// Addr returns where the target's connections to d go, for Conns: its
// dsn's or Redis server's host:port, or the entry's addr; a stub's is its
// URL's (see Stub.Addr). ok is false when d names no TCP address. A host
// name is resolved, preferring IPv4.
func Addr(d scenario.Downstream) (addr netip.AddrPort, ok bool, err error) {
	if d.Addr == "" {
		return netip.AddrPort{}, false, nil
	}
	host, port, err := net.SplitHostPort(d.Addr)
	if err != nil {
		return netip.AddrPort{}, false, fmt.Errorf("downstream %q: address %q: %v", d.Name, d.Addr, err)
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(host, port))
	if err == nil {
		return ap, true, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	if err != nil || len(ips) == 0 {
		return netip.AddrPort{}, false, fmt.Errorf("downstream %q: cannot resolve %q: %v", d.Name, host, err)
	}
	best := ips[0]
	for _, ip := range ips {
		if ip.Unmap().Is4() {
			best = ip
			break
		}
	}
	ap, err = netip.ParseAddrPort(net.JoinHostPort(best.Unmap().String(), port))
	return ap, err == nil, err
}

// errClosed is returned by Read after Close.
var errClosed = errors.New("reader closed")

// cloneReading returns r with maps of its own.
func cloneReading(r Reading) Reading {
	r.By = maps.Clone(r.By)
	r.ByPID = maps.Clone(r.ByPID)
	return r
}

// truncKey bounds a key of By.
func truncKey(s string) string {
	if len(s) <= maxKeyBytes {
		return s
	}
	return s[:maxKeyBytes] + "…"
}
