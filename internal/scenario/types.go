package scenario

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// MaxRate is the highest rate, per second, a file or flag may ask for:
// far above what one loadcheck sends, so a rate past it is a typo (1e12/s)
// that would only flood the machine.
const MaxRate = 1_000_000

// ParseRate parses "20/s", "40/min", "3/h" or "0.5/s". The rate must be
// finite, above zero (a rate of 0 sends nothing) and at most MaxRate per
// second.
func ParseRate(s string) (unit.Rate, error) {
	r, err := unit.ParseRate(s)
	if err != nil {
		return unit.Rate{}, err
	}
	if !(r.Freq > 0 && r.PerSecond() <= MaxRate) { // also NaN
		return unit.Rate{}, fmt.Errorf("rate %q: want more than 0 and at most %d/s, e.g. 20/s", s, MaxRate)
	}
	return r, nil
}

// Scenario is a decoded, validated scenario file with defaults applied.
// It is not modified after Load returns.
type Scenario struct {
	Name string
	// File is the path the scenario was read from.
	File string
	// TargetFile is the default target, already resolved relative to File;
	// "" when the scenario names none.
	TargetFile string
	// Duration is the measured phase; Warmup runs before it and is not
	// recorded. Warmup runs at the first stage's rate.
	Duration time.Duration
	Warmup   time.Duration

	// SourceAddress, when valid, is the one address every client connects
	// from (one office behind NAT). Zero: against a loopback target each
	// client has a loopback address of its own (see package clientaddr).
	SourceAddress netip.Addr

	HTTP       HTTP
	WebSocket  *WebSocket // nil without a websocket section
	SSE        *SSE       // nil without an sse section
	Resources  Resources
	Production *unit.Rate // today's real traffic, for headroom; nil when unset
	Gates      []gate.Gate
	Abort      Abort

	// Secrets holds the values substituted from ${NAME}, so reports can
	// redact them.
	Secrets []string

	parsed *yamlfile.File // positions of nodes, for errors found after decoding

	// The stages as written, before they were fitted to Duration, so that
	// WithDuration can fit them again.
	httpProfile, broadcastProfile []schedule.Stage
	// writtenHTTP is the HTTP stages as in the file, which --rate does not
	// replace: the peak the scenario was written to reach.
	writtenHTTP []schedule.Stage
	// durationNote and rateNote say how --duration and --rate changed
	// the load (LoadChange).
	durationNote, rateNote string
}

// HTTP is the open-model HTTP load.
type HTTP struct {
	Timeout   time.Duration // per request; default 30s
	KeepAlive bool          // default true
	// MaxWorkers caps the generator's concurrent requests (default 512).
	// When every worker waits on a slow target, further arrivals are sent
	// late and counted as such rather than spawning without bound.
	MaxWorkers int
	// Clients is the number of independent clients that carry the load,
	// each arrival going to the next in turn; each reuses its own
	// keep-alive connection (KeepAlive false: a new connection per
	// request). Default 100; 1 is one proxy with upstream keep-alive.
	Clients int
	// Stages is the load profile after the warm-up. A scenario's
	// http.load.rate R is the single stage {Hold: Duration} at R, written
	// as a ramp of zero length to R followed by the hold. The stages last
	// exactly the scenario's Duration: stages written longer are cut (a ramp
	// cut midway ends at the rate it had reached) and stages written shorter
	// end with a hold of the last rate.
	Stages    []schedule.Stage
	Endpoints []Endpoint
}

// Endpoint is one request in the weighted mix.
type Endpoint struct {
	Name    string
	Method  string            // default GET
	Path    string            // may contain {{.column}} placeholders
	Headers map[string]string // values may contain placeholders
	Body    string            // may contain placeholders
	Weight  int               // default 1
	Feed    *feed.Feed        // nil without placeholders
}

// WebSocket configures the dispatch boards and the broadcaster.
type WebSocket struct {
	Boards  int
	Path    string
	IDField string // JSON field holding the event id; default "id"
	// Stagger is the time between board connects; default 10ms, shortened
	// so that all the boards start within 5 s (10,000 boards: 500µs).
	Stagger time.Duration
	Grace   time.Duration // wait after the last broadcast; default 2s
	// Headers are sent with every board's upgrade request (a token, a
	// Cookie); the broadcaster sends them too, under its own. Values may
	// hold ${NAME} secrets, never placeholders.
	Headers map[string]string
	// Subprotocols are offered in Sec-WebSocket-Protocol, in order.
	Subprotocols []string

	Broadcast Broadcast
}

// Broadcast configures the POSTs that each board should receive.
type Broadcast struct {
	Path string
	// Rate is the constant rate of broadcasts when Stages is empty.
	Rate unit.Rate
	// Stages, when set, is the broadcast profile, fitted to the scenario's
	// Duration like HTTP.Stages; Rate is then zero.
	Stages []schedule.Stage
	Fields map[string]string // extra JSON fields in each body
	// Headers are sent with every POST: the websocket section's headers
	// with broadcast.headers over them, name by name.
	Headers map[string]string
}

// SSE configures the server-sent-events clients.
type SSE struct {
	Clients int
	Path    string
	// Headers are sent with every stream request; values may hold ${NAME}
	// secrets, never placeholders.
	Headers map[string]string
}

// Resources configures sampling of the target's CPU and memory.
type Resources struct {
	Every           time.Duration // default 1s
	SustainedWindow time.Duration // default 30s
}

// WithDefaults returns r with its zero fields set to the defaults a
// scenario file gets when it leaves them out, for a Resources that was
// not loaded from a file.
func (r Resources) WithDefaults() Resources {
	if r.Every == 0 {
		r.Every = defaultEvery
	}
	if r.SustainedWindow == 0 {
		r.SustainedWindow = defaultSustainedWindow
	}
	return r
}

// Abort stops a run early when any condition holds.
type Abort struct {
	After time.Duration // into the measured phase
	When  []gate.Gate
}

// Target is a decoded target file.
type Target struct {
	Name string
	File string
	// BaseURL may contain {port}, replaced by a free loopback port per run.
	// Its host is loopback unless AllowRemote, and it has no trailing
	// slash.
	BaseURL string
	// AllowRemote is the target file's allow_remote: true, the explicit
	// consent to send load to a host other than this machine. Without it
	// LoadTarget refuses such a host.
	AllowRemote bool
	// TLS is how an https base URL's certificate is checked.
	TLS       TLS
	Start     *Start // nil: the target is already running
	Ready     Ready
	Stop      Stop
	Resources ResourceSource
	// Downstreams are the databases, caches and upstream APIs whose calls
	// a run counts, in the file's order.
	Downstreams []Downstream

	// Secrets holds the values substituted from ${NAME}, so reports can
	// redact them.
	Secrets []string

	parsed *yamlfile.File
}

// Where returns "file:line:col" of the value at yamlPath, a field path such
// as "http.endpoints[0].weight" or "$.http.endpoints[0].weight"; when the
// file has no such field it returns the file name alone. Other packages use
// it to point at a field in problems they find later.
func (s *Scenario) Where(yamlPath string) string {
	if s.parsed == nil {
		return s.File
	}
	return s.parsed.Where(yamlPath)
}

// Where returns "file:line:col" of the value at yamlPath, such as
// "base_url" or "$.start.command[0]"; when the file has no such field it
// returns the file name alone.
func (t *Target) Where(yamlPath string) string {
	if t.parsed == nil {
		return t.File
	}
	return t.parsed.Where(yamlPath)
}

// TLS is how loadcheck checks the certificate of an https target: against
// the system's roots by default, against the CA in CAFile when set, or not
// at all with InsecureSkipVerify, which every report then warns about.
type TLS struct {
	CAFile             string // PEM file, resolved relative to the target file
	InsecureSkipVerify bool
	roots              *x509.CertPool // CAFile's certificates; nil for the system's
}

// Remote reports whether the target's host is another machine: load to it
// needs allow_remote, and its CPU and memory come from its exporter.
func (t *Target) Remote() bool {
	u, err := url.Parse(strings.ReplaceAll(t.BaseURL, "{port}", "1"))
	return err == nil && !isLoopback(u.Hostname())
}

// TLSConfig returns a new client TLS configuration for the target: every
// HTTP client, WebSocket board and SSE client of a run uses one, so all
// check the certificate alike. Each caller gets its own copy, as a
// tls.Config must not change once used.
func (t *Target) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            t.TLS.roots,
		InsecureSkipVerify: t.TLS.InsecureSkipVerify, //nolint:gosec // the target file's explicit, reported choice
	}
}

// Start is how loadcheck starts a target. Command, Dir and Env values may
// contain {port}, replaced by the run's free loopback port; Command and Env
// values may contain {downstream.NAME.url} or {downstream.NAME.addr} of a
// stub, replaced by Target.WithStubURLs. A target that
// needs more ports (nginx upstreams, redis) picks them in its own launcher.
type Start struct {
	Command []string
	Dir     string // resolved relative to the target file
	Env     map[string]string
}

// Ready is how loadcheck knows a started target serves.
type Ready struct {
	Path    string        // default /
	Timeout time.Duration // default 30s
}

// Stop is how loadcheck stops a target it started.
type Stop struct {
	Signal string        // TERM, INT, QUIT, KILL; default TERM
	Grace  time.Duration // default 10s
}
