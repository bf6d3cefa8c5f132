package scenario

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// The file structs mirror the YAML formats the README documents ("Scenario
// files", "Target files") field for field.
// Optional settings with a default are pointers, so that an explicit zero
// can be told from an absent field; withDefaults fills them in a copy.

type scenarioFile struct {
	Name       string             `yaml:"name"`
	Target     string             `yaml:"target"`
	Duration   *yamlfile.Duration `yaml:"duration"`
	SourceAddr string             `yaml:"source_address"`
	Warmup     *yamlfile.Duration `yaml:"warmup"`
	HTTP       *httpFile          `yaml:"http"`
	WebSocket  *websocketFile     `yaml:"websocket"`
	SSE        *sseFile           `yaml:"sse"`
	Resources  *resourcesFile     `yaml:"resources"`
	Production *productionFile    `yaml:"production"`
	Gates      []string           `yaml:"gates"`
	Abort      *abortFile         `yaml:"abort"`
}

type httpFile struct {
	Timeout    *yamlfile.Duration `yaml:"timeout"`
	KeepAlive  *bool              `yaml:"keepalive"`
	MaxWorkers *int               `yaml:"max_workers"`
	Clients    *int               `yaml:"clients"`
	Load       *loadFile          `yaml:"load"`
	Endpoints  []endpointFile     `yaml:"endpoints"`
}

type loadFile struct {
	Rate   *rate       `yaml:"rate"`
	Stages []stageFile `yaml:"stages"`
}

type stageFile struct {
	To   *rate              `yaml:"to"`
	Over *yamlfile.Duration `yaml:"over"`
	Hold *yamlfile.Duration `yaml:"hold"`
}

type endpointFile struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"`
	Path    string            `yaml:"path"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	Weight  *int              `yaml:"weight"`
	Feed    *feedFile         `yaml:"feed"`
}

type websocketFile struct {
	Boards       int                `yaml:"boards"`
	Path         string             `yaml:"path"`
	IDField      string             `yaml:"id_field"`
	Stagger      *yamlfile.Duration `yaml:"stagger"`
	Grace        *yamlfile.Duration `yaml:"grace"`
	Headers      map[string]string  `yaml:"headers"`
	Subprotocols []string           `yaml:"subprotocols"`
	Broadcast    *broadcastFile     `yaml:"broadcast"`
}

type broadcastFile struct {
	Path    string            `yaml:"path"`
	Rate    *rate             `yaml:"rate"`
	Stages  []stageFile       `yaml:"stages"`
	Fields  map[string]string `yaml:"fields"`
	Headers map[string]string `yaml:"headers"`
}

type sseFile struct {
	Clients int               `yaml:"clients"`
	Path    string            `yaml:"path"`
	Headers map[string]string `yaml:"headers"`
}

type resourcesFile struct {
	Every           *yamlfile.Duration `yaml:"every"`
	SustainedWindow *yamlfile.Duration `yaml:"sustained_window"`
}

type productionFile struct {
	Rate *rate `yaml:"rate"`
}

type abortFile struct {
	After *yamlfile.Duration `yaml:"after"`
	When  []string           `yaml:"when"`
}

// The defaults of a scenario file.
const (
	defaultMethod          = "GET"
	defaultWeight          = 1
	defaultTimeout         = 30 * time.Second
	defaultKeepAlive       = true
	defaultMaxWorkers      = 512
	defaultClients         = 100
	defaultIDField         = "id"
	defaultStagger         = 10 * time.Millisecond
	defaultGrace           = 2 * time.Second
	defaultEvery           = time.Second
	defaultSustainedWindow = 30 * time.Second
)

// maxConnectSpread bounds the default stagger: boards × stagger is at most
// this, so that 10,000 boards start within 5 s rather than 100 s (a board
// connected early idles while the rest connect).
const maxConnectSpread = 5 * time.Second

// withDefaults returns a copy of f with every absent optional setting
// filled in. f is not changed.
func (f scenarioFile) withDefaults() scenarioFile {
	if f.HTTP != nil {
		h := *f.HTTP
		h.Timeout = or(h.Timeout, yamlfile.Duration(defaultTimeout))
		h.KeepAlive = or(h.KeepAlive, defaultKeepAlive)
		h.MaxWorkers = or(h.MaxWorkers, defaultMaxWorkers)
		h.Clients = or(h.Clients, defaultClients)
		h.Endpoints = make([]endpointFile, len(f.HTTP.Endpoints))
		for i, e := range f.HTTP.Endpoints {
			if e.Method == "" {
				e.Method = defaultMethod
			}
			e.Weight = or(e.Weight, defaultWeight)
			h.Endpoints[i] = e
		}
		f.HTTP = &h
	}
	if f.WebSocket != nil {
		w := *f.WebSocket
		if w.IDField == "" {
			w.IDField = defaultIDField
		}
		w.Stagger = or(w.Stagger, yamlfile.Duration(defaultStaggerFor(w.Boards)))
		w.Grace = or(w.Grace, yamlfile.Duration(defaultGrace))
		f.WebSocket = &w
	}
	r := valueOf(f.Resources)
	r.Every = or(r.Every, yamlfile.Duration(defaultEvery))
	r.SustainedWindow = or(r.SustainedWindow, yamlfile.Duration(defaultSustainedWindow))
	f.Resources = &r
	return f
}

// defaultStaggerFor is the stagger between board connects when the file
// sets none: 10 ms, shortened so that all the boards start within
// maxConnectSpread.
func defaultStaggerFor(boards int) time.Duration {
	if boards < 1 {
		return defaultStagger
	}
	return min(defaultStagger, maxConnectSpread/time.Duration(boards))
}

// valueOf returns the value p points at, or the zero T when p is nil.
func valueOf[T any](p *T) T {
	if p != nil {
		return *p
	}
	var zero T
	return zero
}

// or returns p, or a pointer to def when p is nil.
func or[T any](p *T, def T) *T {
	if p != nil {
		return p
	}
	return &def
}

type targetFile struct {
	Name        string           `yaml:"name"`
	BaseURL     string           `yaml:"base_url"`
	AllowRemote bool             `yaml:"allow_remote"`
	TLS         *tlsFile         `yaml:"tls"`
	Start       *startFile       `yaml:"start"`
	Ready       *readyFile       `yaml:"ready"`
	Stop        *stopFile        `yaml:"stop"`
	Resources   *sourceFile      `yaml:"resources"`
	Downstreams []downstreamFile `yaml:"downstreams"`
}

type tlsFile struct {
	CAFile             string `yaml:"ca_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

type startFile struct {
	Command []string          `yaml:"command"`
	Dir     string            `yaml:"dir"`
	Env     map[string]string `yaml:"env"`
}

type readyFile struct {
	Path    string             `yaml:"path"`
	Timeout *yamlfile.Duration `yaml:"timeout"`
}

type stopFile struct {
	Signal string             `yaml:"signal"`
	Grace  *yamlfile.Duration `yaml:"grace"`
}

// The defaults of a target file.
const (
	defaultReadyPath    = "/"
	defaultReadyTimeout = 30 * time.Second
	defaultStopSignal   = "TERM"
	defaultStopGrace    = 10 * time.Second
)

// withDefaults returns a copy of f with every absent optional setting
// filled in. f is not changed.
func (f targetFile) withDefaults() targetFile {
	r := valueOf(f.Ready)
	if r.Path == "" {
		r.Path = defaultReadyPath
	}
	r.Timeout = or(r.Timeout, yamlfile.Duration(defaultReadyTimeout))
	f.Ready = &r
	s := valueOf(f.Stop)
	if s.Signal == "" {
		s.Signal = defaultStopSignal
	}
	s.Grace = or(s.Grace, yamlfile.Duration(defaultStopGrace))
	f.Stop = &s
	return f
}

// rate is a Rate in a file: "20/s", "40/min", within ParseRate's bounds.
type rate unit.Rate

var _ yaml.NodeUnmarshaler = (*rate)(nil)

func (r *rate) UnmarshalYAML(n ast.Node) error {
	s, ok := yamlfile.ScalarText(n)
	if !ok {
		return fmt.Errorf("want a rate such as 20/s, got %s", yamlfile.Describe(n))
	}
	v, err := ParseRate(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*r = rate(v)
	return nil
}

// The YAML names of the top-level fields of each kind of file.
var (
	scenarioFields = yamlfile.FieldNames(reflect.TypeFor[scenarioFile]())
	targetFields   = yamlfile.FieldNames(reflect.TypeFor[targetFile]())
)

// misfitScenario says, for a file read as a scenario, that it is a target
// file and how to pass it; "" otherwise. Without it every field would be
// reported as unknown.
func misfitScenario(keys []string) string {
	switch {
	case !ofOtherKind(keys, scenarioFields, targetFields):
		return ""
	case !slices.Contains(keys, "base_url"):
		// Read as a scenario only because base_url is missing.
		return "this looks like a target file but has no base_url, so it was read as a scenario: add where the target serves, " +
			"e.g. base_url: http://127.0.0.1:8000, and pass the file with --target"
	}
	return "this is a target file, not a scenario: pass it with --target, or name it in the scenario's target: field"
}

// misfitTarget says, for a file read as a target, that it is a scenario
// and how to pass it; "" otherwise.
func misfitTarget(keys []string) string {
	if ofOtherKind(keys, targetFields, scenarioFields) {
		return "this is a scenario file, not a target: pass it as the SCENARIO argument, and a target file (one with base_url) with --target"
	}
	return ""
}

// ofOtherKind reports whether a file with the top-level keys is of the
// other kind: none of its keys is a field of its own kind only, and some
// are fields of the other kind only.
func ofOtherKind(keys, own, other []string) bool {
	ownOnly, otherOnly := 0, 0
	for _, k := range keys {
		inOwn, inOther := slices.Contains(own, k), slices.Contains(other, k)
		switch {
		case inOwn && !inOther:
			ownOnly++
		case inOther && !inOwn:
			otherOnly++
		}
	}
	return ownOnly == 0 && otherOnly > 0
}
