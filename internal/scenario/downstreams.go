package scenario

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// DownstreamKind is what a downstream is and how its calls are counted:
// the key that names it in a downstreams entry.
type DownstreamKind string

// The kinds of downstream. A new kind is a constant here, its key in
// downstreamFile, its case in buildDownstream; then its reader in package
// downstream.
const (
	DownstreamPostgres   DownstreamKind = "postgres"   // statements, from pg_stat_statements
	DownstreamRedis      DownstreamKind = "redis"      // commands, from INFO commandstats
	DownstreamStub       DownstreamKind = "stub"       // an HTTP upstream loadcheck serves
	DownstreamPrometheus DownstreamKind = "prometheus" // one counter of a metrics page
)

// Bounds of a downstreams section.
const (
	MaxDownstreams      = 16
	MaxStubLatency      = time.Minute
	MaxStubBodyBytes    = 64 << 10
	defaultStubStatus   = 200
	defaultPostgresPort = "5432"
	defaultRedisPort    = "6379"
)

// Downstream is one entry of a target file's downstreams: a database, a
// cache or an upstream API the target calls, whose calls during the
// measured phase a run counts. LoadTarget validates it, so its readers
// need not: exactly one of the kind's specs is set, and every host is
// loopback unless AllowRemote.
type Downstream struct {
	Name       string
	Kind       DownstreamKind
	Postgres   *PostgresSpec
	Redis      *RedisSpec
	Stub       *StubSpec
	Prometheus *PrometheusSpec
	// Addr is the host:port the target's connections to this downstream
	// are counted to: the dsn's or redis's address, or the entry's addr.
	// Empty for a stub, whose port is chosen when it is served, and when
	// the file names none.
	Addr        string
	AllowRemote bool
	// Where is the entry's file:line:col, for messages.
	Where string
}

// PostgresSpec counts the statements a PostgreSQL database executes.
type PostgresSpec struct {
	// DSN is a postgresql:// URL; its database is the one counted.
	DSN string
	// Statements, when set, keeps only the statements it matches.
	Statements *regexp.Regexp
}

// RedisSpec counts the commands a Redis server processes.
type RedisSpec struct {
	Addr string // host:port
}

// StubSpec is an HTTP upstream loadcheck serves on a free loopback port:
// every request waits a latency uniform in [LatencyMin, LatencyMax] (equal
// for a fixed latency), then gets Status and Body.
type StubSpec struct {
	LatencyMin, LatencyMax time.Duration
	Status                 int
	Body                   string
}

// PrometheusSpec reads one counter of a Prometheus text exposition,
// summed over the series whose labels match Labels.
type PrometheusSpec struct {
	URL     string
	Counter string
	Labels  map[string]string
}

type downstreamFile struct {
	Name        string          `yaml:"name"`
	Postgres    *postgresFile   `yaml:"postgres"`
	Redis       *redisFile      `yaml:"redis"`
	Stub        *stubFile       `yaml:"stub"`
	Prometheus  *prometheusFile `yaml:"prometheus"`
	Addr        string          `yaml:"addr"`
	AllowRemote bool            `yaml:"allow_remote"`
}

type postgresFile struct {
	DSN        string `yaml:"dsn"`
	Statements string `yaml:"statements"`
}

type redisFile struct {
	Addr string `yaml:"addr"`
}

type stubFile struct {
	Latency string `yaml:"latency"`
	Status  int    `yaml:"status"`
	Body    string `yaml:"body"`
}

type prometheusFile struct {
	URL     string            `yaml:"url"`
	Counter string            `yaml:"counter"`
	Labels  map[string]string `yaml:"labels"`
}

var downstreamName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// buildDownstreams checks the downstreams section: names unique and
// well-formed, one kind per entry, every value bounded, every host loopback
// unless the entry allows a remote one.
func buildDownstreams(p *yamlfile.Problems, fs []downstreamFile) []Downstream {
	if len(fs) > MaxDownstreams {
		p.At("downstreams", "%d downstreams: a target file names at most %d", len(fs), MaxDownstreams)
		return nil
	}
	var out []Downstream
	seen := map[string]bool{}
	for i, f := range fs {
		at := yamlfile.Index("downstreams", i)
		switch {
		case f.Name == "":
			p.At(at, "name: missing: the name reports and gates use, e.g. name: postgres")
		case !downstreamName.MatchString(f.Name):
			p.At(at+".name", "name %q: want lower-case letters, digits and _, starting with a letter, e.g. postgres", f.Name)
		case seen[f.Name]:
			p.At(at+".name", "another downstream is named %q: give each its own name", f.Name)
		}
		seen[f.Name] = true
		d := buildDownstream(p, f, at)
		d.Where = p.File.Where(at)
		out = append(out, d)
	}
	return out
}

// buildDownstream checks one entry, at path at.
func buildDownstream(p *yamlfile.Problems, f downstreamFile, at string) Downstream {
	d := Downstream{Name: f.Name, AllowRemote: f.AllowRemote}
	var kinds []string
	if f.Postgres != nil {
		kinds = append(kinds, string(DownstreamPostgres))
		d.Kind, d.Postgres, d.Addr = DownstreamPostgres, buildPostgres(p, *f.Postgres, at+".postgres"), dsnAddr(f.Postgres.DSN)
	}
	if f.Redis != nil {
		kinds = append(kinds, string(DownstreamRedis))
		d.Kind, d.Redis = DownstreamRedis, &RedisSpec{Addr: f.Redis.Addr}
		d.Addr = checkAddr(p, f.Redis.Addr, defaultRedisPort, at+".redis.addr", "the Redis server's host:port, e.g. addr: 127.0.0.1:6379")
	}
	if f.Stub != nil {
		kinds = append(kinds, string(DownstreamStub))
		d.Kind, d.Stub = DownstreamStub, buildStub(p, *f.Stub, at+".stub")
	}
	if f.Prometheus != nil {
		kinds = append(kinds, string(DownstreamPrometheus))
		d.Kind, d.Prometheus = DownstreamPrometheus, buildPrometheus(p, *f.Prometheus, at+".prometheus")
	}
	switch len(kinds) {
	case 0:
		p.At(at, "name one kind of downstream: postgres, redis, stub or prometheus, e.g. redis: {addr: 127.0.0.1:6379}")
	case 1:
	default:
		p.At(at, "name one kind of downstream per entry, not %s: give each its own entry and name", strings.Join(kinds, " and "))
		d.Kind = "" // no further message about one of them
	}
	if f.Addr != "" {
		if d.Kind == DownstreamStub {
			p.At(at+".addr", "a stub's address is chosen when loadcheck serves it: remove addr")
		}
		d.Addr = checkAddr(p, f.Addr, "", at+".addr", "the host:port the target connects to, e.g. addr: 127.0.0.1:5432")
	}
	checkRemote(p, f, d, at)
	return d
}

func buildPostgres(p *yamlfile.Problems, f postgresFile, at string) *PostgresSpec {
	s := &PostgresSpec{DSN: f.DSN}
	u, err := url.Parse(f.DSN)
	if f.DSN == "" || err != nil || (u.Scheme != "postgresql" && u.Scheme != "postgres") {
		p.At(at+".dsn", "want a postgresql:// URL naming the database, e.g. dsn: postgresql://titan@127.0.0.1:5432/titan")
	} else if strings.Trim(u.Path, "/") == "" {
		p.At(at+".dsn", "the dsn names no database: add it after the host, e.g. postgresql://titan@127.0.0.1:5432/titan")
	}
	if f.Statements != "" {
		re, err := regexp.Compile(f.Statements)
		if err != nil {
			p.At(at+".statements", "not a regular expression: %v — e.g. statements: \"COUNT|SUM\"", err)
		}
		s.Statements = re
	}
	return s
}

// dsnAddr is the host:port of a postgresql:// URL, with the default port;
// "" when it names no TCP host (a Unix socket, or an invalid dsn).
func dsnAddr(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Hostname() == "" || strings.Contains(u.Host, ",") {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = defaultPostgresPort
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// checkAddr checks a host:port, adding defPort when it has none and one is
// given, and returns it.
func checkAddr(p *yamlfile.Problems, addr, defPort, at, example string) string {
	if addr == "" {
		p.At(at, "missing: %s", example)
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil && defPort != "" && !strings.Contains(addr, ":") {
		host, port, err = addr, defPort, nil
	}
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		p.At(at, "%q: want %s", addr, example)
		return ""
	}
	return net.JoinHostPort(host, port)
}

func buildStub(p *yamlfile.Problems, f stubFile, at string) *StubSpec {
	s := &StubSpec{Status: f.Status, Body: f.Body}
	if s.Status == 0 {
		s.Status = defaultStubStatus
	}
	if s.Status < 100 || s.Status > 599 {
		p.At(at+".status", "status %d: want an HTTP status from 100 to 599, e.g. 200", f.Status)
	}
	if len(s.Body) > MaxStubBodyBytes {
		p.At(at+".body", "the body is %d bytes: a stub answers with at most %d — shorten it", len(s.Body), MaxStubBodyBytes)
	}
	lo, hi, msg := parseLatency(f.Latency)
	if msg != "" {
		p.At(at+".latency", "%s", msg)
	}
	s.LatencyMin, s.LatencyMax = lo, hi
	return s
}

// parseLatency reads "50ms" (fixed) or "2s..5s" (uniform); "" is no
// latency. It returns what is wrong and the fix, or "".
func parseLatency(s string) (lo, hi time.Duration, msg string) {
	const want = "want a fixed latency such as 50ms or a uniform range such as 2s..5s"
	if strings.TrimSpace(s) == "" {
		return 0, 0, ""
	}
	a, b, isRange := strings.Cut(s, "..")
	lo, err := unit.ParseDuration(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Sprintf("%q: %s", s, want)
	}
	hi = lo
	if isRange {
		if hi, err = unit.ParseDuration(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Sprintf("%q: %s", s, want)
		}
	}
	switch {
	case lo < 0 || hi < lo:
		return 0, 0, fmt.Sprintf("%q: want a range from the shorter latency to the longer, e.g. 2s..5s", s)
	case hi > MaxStubLatency:
		return 0, 0, fmt.Sprintf("%q: a stub waits at most %s before it answers", s, MaxStubLatency)
	}
	return lo, hi, ""
}

func buildPrometheus(p *yamlfile.Problems, f prometheusFile, at string) *PrometheusSpec {
	s := &PrometheusSpec{URL: f.URL, Counter: f.Counter, Labels: f.Labels}
	if msg := checkMetricsURL(f.URL); msg != "" {
		p.At(at+".url", "%s", msg)
	}
	if !metricName.MatchString(f.Counter) {
		p.At(at+".counter", "counter %q: want the name of a counter on that page, e.g. counter: pg_stat_database_xact_commit", f.Counter)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Labels)) {
		if !labelName.MatchString(k) {
			p.At(at+".labels", "label %q: want a Prometheus label name, e.g. datname", k)
		}
	}
	return s
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// checkRemote refuses a host other than this machine unless the entry
// allows it: loadcheck reads, and its target loads, only what the user
// consents to.
func checkRemote(p *yamlfile.Problems, f downstreamFile, d Downstream, at string) {
	type hostAt struct{ host, at string }
	var hosts []hostAt
	if f.Postgres != nil {
		if u, err := url.Parse(f.Postgres.DSN); err == nil && u.Hostname() != "" {
			hosts = append(hosts, hostAt{u.Hostname(), at + ".postgres.dsn"})
		}
	}
	if f.Redis != nil && d.Addr != "" && f.Addr == "" {
		host, _, _ := net.SplitHostPort(d.Addr)
		hosts = append(hosts, hostAt{host, at + ".redis.addr"})
	}
	if f.Prometheus != nil {
		if u, err := url.Parse(f.Prometheus.URL); err == nil && u.Hostname() != "" {
			hosts = append(hosts, hostAt{u.Hostname(), at + ".prometheus.url"})
		}
	}
	if f.Addr != "" {
		if host, _, err := net.SplitHostPort(f.Addr); err == nil {
			hosts = append(hosts, hostAt{host, at + ".addr"})
		}
	}
	for _, h := range hosts {
		if !f.AllowRemote && !isLoopback(h.host) {
			p.At(h.at, "host %q is not loopback: loadcheck reads downstreams on this machine unless the entry says allow_remote: true — "+
				"add it only for a database or service you may watch during a load test", h.host)
		}
	}
}

// downstreamRef is a placeholder {downstream.NAME.url} or
// {downstream.NAME.addr} in a start command or environment value.
var downstreamRef = regexp.MustCompile(`\{downstream\.([^.{}]*)\.([^.{}]*)\}`)

// checkPlaceholders checks the placeholders of the start section (nil
// for a target loadcheck does not start): each names a stub of the
// downstreams section and its url or addr, and each stub is named, since
// its port is chosen at each run and the target learns it only so.
func checkPlaceholders(p *yamlfile.Problems, s *Start, ds []Downstream) {
	named := map[string]bool{}
	check := func(v, at string) {
		for _, m := range downstreamRef.FindAllStringSubmatch(v, -1) {
			named[m[1]] = true
			if msg := placeholderProblem(m[1], m[2], ds); msg != "" {
				p.At(at, "%s: %s", m[0], msg)
			}
		}
	}
	defer func() {
		for i, d := range ds {
			if d.Kind != DownstreamStub || named[d.Name] || d.Name == "" {
				continue
			}
			if s == nil {
				p.At(yamlfile.Index("downstreams", i)+".stub", "loadcheck serves a stub on a port chosen at each run, and tells a target it starts through {downstream.%s.url} in start.command or start.env: "+
					"a target without a start section cannot learn it — add a start section, or remove the stub", d.Name)
			} else {
				p.At(yamlfile.Index("downstreams", i)+".stub", "the target is never told this stub's URL: put {downstream.%s.url} in start.command or start.env (its port is chosen at each run)", d.Name)
			}
		}
	}()
	if s == nil {
		return
	}
	for i, c := range s.Command {
		check(c, yamlfile.Index("start.command", i))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		check(s.Env[k], yamlfile.Child("start.env", k))
	}
}

func placeholderProblem(name, field string, ds []Downstream) string {
	var names []string
	for _, d := range ds {
		if d.Kind == DownstreamStub {
			names = append(names, d.Name)
		}
	}
	i := slices.IndexFunc(ds, func(d Downstream) bool { return d.Name == name })
	switch {
	case i < 0 && len(names) == 0:
		return fmt.Sprintf("no downstream is named %q — add a stub entry of that name under downstreams, or remove the placeholder", name)
	case i < 0:
		return fmt.Sprintf("no downstream is named %q — want one of the stubs: %s", name, strings.Join(names, ", "))
	case ds[i].Kind != DownstreamStub:
		return fmt.Sprintf("%q is a %s downstream, whose address the file already names: only a stub, served on a port chosen at each run, has a placeholder — write the address instead", name, ds[i].Kind)
	case field != "url" && field != "addr":
		return fmt.Sprintf("unknown field %q: want {downstream.%s.url} (http://127.0.0.1:PORT) or {downstream.%s.addr} (127.0.0.1:PORT)", field, name, name)
	}
	return ""
}

// WithStubURLs returns a copy of t whose start command and environment
// have every {downstream.NAME.url} and {downstream.NAME.addr} replaced,
// from urls: each stub's base URL, such as http://127.0.0.1:41234, by
// name. A run serves the stubs, then calls it before starting the target.
// It fails when a placeholder names a stub urls lacks.
func (t *Target) WithStubURLs(urls map[string]string) (*Target, error) {
	if t.Start == nil {
		return t, nil
	}
	var missing []string
	sub := func(v string) string {
		return downstreamRef.ReplaceAllStringFunc(v, func(ref string) string {
			m := downstreamRef.FindStringSubmatch(ref)
			u, ok := urls[m[1]]
			if !ok {
				missing = append(missing, m[1])
				return ref
			}
			if m[2] == "addr" {
				return strings.TrimPrefix(u, "http://")
			}
			return u
		})
	}
	s := *t.Start
	s.Command = make([]string, len(t.Start.Command))
	for i, c := range t.Start.Command {
		s.Command[i] = sub(c)
	}
	if t.Start.Env != nil {
		s.Env = make(map[string]string, len(t.Start.Env))
		for k, v := range t.Start.Env {
			s.Env[k] = sub(v)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("target %q: no URL for the stub %s named in its start section", t.Name, strings.Join(slices.Compact(slices.Sorted(slices.Values(missing))), ", "))
	}
	out := *t
	out.Start = &s
	return &out, nil
}

// hasPlaceholder reports whether s holds a {downstream.…} placeholder,
// whose value is known only once the stubs are served.
func hasPlaceholder(s string) bool { return downstreamRef.MatchString(s) }
