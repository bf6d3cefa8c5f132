package result

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/loadcheck/loadcheck/internal/clientaddr"
	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/probe"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/resource"
)

func (*Result) document() {}

// Schema is the version of the result format. Readers refuse newer ones.
const Schema = 1

// Status says how a run ended.
type Status string

// The ways a run ends.
const (
	Complete    Status = "complete"
	Interrupted Status = "interrupted" // Ctrl-C or SIGTERM; partial
	Aborted     Status = "aborted"     // an abort condition fired; partial
	Failed      Status = "failed"      // loadcheck or the target failed; partial
	// Incomplete marks a checkpoint: written while the run went on, so that
	// a crash or kill -9 leaves what was measured. The final result
	// replaces it; a file still marked so is from a run that never ended.
	Incomplete Status = "incomplete"
)

// Result is everything one run measured.
type Result struct {
	Schema   int          `json:"schema"`
	RunID    string       `json:"run_id"`
	Scenario ScenarioInfo `json:"scenario"`
	Target   TargetInfo   `json:"target"`
	Start    time.Time    `json:"start"`
	// Elapsed is the measured phase as it ran (shorter than planned when the
	// run was cut short).
	Elapsed time.Duration `json:"elapsed_ns"`
	Status  Status        `json:"status"`
	Reason  string        `json:"reason,omitempty"`
	// WarmupRan is how long the warm-up ran when the run stopped in it,
	// before the measured phase began; 0 otherwise.
	WarmupRan time.Duration `json:"warmup_ran_ns,omitempty"`

	Generator Generator         `json:"generator"`
	HTTP      record.Summary    `json:"http"`
	WebSocket *probe.WSSummary  `json:"websocket,omitempty"`
	SSE       *probe.SSESummary `json:"sse,omitempty"`
	Resources *resource.Summary `json:"resources,omitempty"`
	// Downstreams are what the measured phase did to each of the target
	// file's downstreams, in its order.
	Downstreams []downstream.Summary `json:"downstreams,omitempty"`
	// Sources are the source addresses the clients connected from.
	Sources *clientaddr.Description `json:"sources,omitempty"`
	Gates   []gate.Outcome          `json:"gates"`
	Pass    bool                    `json:"pass"`
	Host    *Host                   `json:"host,omitempty"`

	// Shard is set on the result of one shard of a sharded run (run
	// --shard); its gates are the shard's alone, and loadcheck merge
	// judges the run. Shards lists the shards a merged result came from.
	Shard  *ShardInfo `json:"shard,omitempty"`
	Shards []ShardRun `json:"shards,omitempty"`
	// Merged says, for a merged result, how the shards' observations were
	// combined, one line per kind ("resources: shard 1/2's samples …").
	Merged []string `json:"merged,omitempty"`
}

// ShardInfo says which share of a sharded run a result measured.
type ShardInfo struct {
	Index int `json:"index"` // 1-based
	Count int `json:"count"`
	// Set identifies the run the shards belong to: derived from the
	// scenario and the common start time, so shards started apart agree.
	Set   string    `json:"set"`
	Start time.Time `json:"start"`
	// StartedLate is how long after Start this shard's load began, when
	// it could not be ready in time.
	StartedLate time.Duration `json:"started_late_ns,omitempty"`
}

// ShardRun is one shard of a merged result: what it sent and how many of
// its requests went out late, so a shard that fell behind shows.
type ShardRun struct {
	Index       int           `json:"index"`
	RunID       string        `json:"run_id"`
	Host        string        `json:"host,omitempty"`
	Status      Status        `json:"status"`
	Scheduled   uint64        `json:"scheduled"`
	Sent        uint64        `json:"sent"`
	Late        uint64        `json:"late"`
	StartedLate time.Duration `json:"started_late_ns,omitempty"`
}

// ScenarioInfo records what was asked for, defaults included.
type ScenarioInfo struct {
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Duration time.Duration `json:"duration_ns"`
	Warmup   time.Duration `json:"warmup_ns"`
	Load     []string      `json:"load"` // stages as run, e.g. "to 20/s over 1m0s"
	// PeakRate is the highest HTTP rate of the stages as run, and
	// WrittenPeakRate that of the stages in the file, per second: a run
	// whose load was cut below the file's peak (--rate) decides nothing.
	// 0 in results written before they were recorded.
	PeakRate        float64 `json:"peak_rate_per_s,omitempty"`
	WrittenPeakRate float64 `json:"written_peak_rate_per_s,omitempty"`
	// WarmupRate is the warm-up's rate per second (the first stage's).
	WarmupRate float64 `json:"warmup_rate_per_s,omitempty"`
	// LoadChange says how the command line changed the load as written
	// (--duration scaled the stages, --rate replaced them), "" when not.
	LoadChange string        `json:"load_change,omitempty"`
	Timeout    time.Duration `json:"timeout_ns"`
	KeepAlive  bool          `json:"keepalive"`
	MaxWorkers int           `json:"max_workers"`
	// Clients is the number of independent HTTP clients (http.clients).
	Clients   int            `json:"clients,omitempty"`
	Endpoints []EndpointInfo `json:"endpoints"`
	// Production is today's real traffic in requests per second, if known.
	Production float64 `json:"production_rate_per_s,omitempty"`
}

// EndpointInfo is one endpoint of the mix.
type EndpointInfo struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Weight int    `json:"weight"`
}

// TargetInfo records what was measured.
type TargetInfo struct {
	Name    string `json:"name"`
	File    string `json:"file,omitempty"`
	BaseURL string `json:"base_url"`
	// Started is true when loadcheck started the target; then ReadyTime is
	// the time from start to ready.
	Started   bool          `json:"started"`
	ReadyTime time.Duration `json:"ready_time_ns,omitempty"`
	// Remote is true for a target on another machine (allow_remote).
	Remote bool `json:"remote,omitempty"`
	// TLS says how an https target's certificate was checked, e.g.
	// "verified against the system's roots" or TLSNotVerified; "" for http.
	TLS string `json:"tls,omitempty"`
}

// TLSNotVerified is TargetInfo.TLS when the target file skipped
// certificate verification; every report then carries a warning.
const TLSNotVerified = "NOT VERIFIED (tls.insecure_skip_verify: true)"

// Generator is what loadcheck itself did: whether it kept up. Scheduled
// less Sent is the unsent requests: due in the measured phase (up to its
// end, or to the interruption) but never sent, because every worker was
// busy. They are in no latency figure; the http.unsent gate counts them.
type Generator struct {
	Scheduled   uint64 `json:"scheduled"`
	Sent        uint64 `json:"sent"`
	Warmup      uint64 `json:"warmup"`
	Canceled    uint64 `json:"canceled"`
	Late        uint64 `json:"late"`
	InflightMax int64  `json:"inflight_max"`
	MaxWorkers  int    `json:"max_workers"`
	// FeedRanOut counts, per endpoint, the measured arrivals not sent
	// because the endpoint's feed (order: once) had run out; they are not
	// in Scheduled.
	FeedRanOut map[string]uint64 `json:"feed_ran_out,omitempty"`
}

// Host describes the machine; golden tests leave it out.
type Host struct {
	Hostname string `json:"hostname"`
	Cores    int    `json:"cores"`
	Version  string `json:"loadcheck_version"`
}

// Unsent returns the requests scheduled in the measured phase but never
// sent.
func (g Generator) Unsent() uint64 {
	if g.Scheduled <= g.Sent {
		return 0
	}
	return g.Scheduled - g.Sent
}

// UnsentRate returns the share of the scheduled requests never sent, in
// percent.
func (g Generator) UnsentRate() float64 {
	if g.Scheduled == 0 {
		return 0
	}
	return 100 * float64(g.Unsent()) / float64(g.Scheduled)
}

// Metric implements gate.Metrics: the value of a gate metric, read by the
// catalogue's reader, and whether it was measured.
func (r *Result) Metric(name string) (gate.Value, bool) { return metric.Read(r, name) }

// The methods below make a Result a metric.Run, the figures the
// catalogue's readers read.

var _ metric.Run = (*Result)(nil)

// HTTPFigures implements metric.Run.
func (r *Result) HTTPFigures() *record.Summary { return &r.HTTP }

// ScheduleFigures implements metric.Run.
func (r *Result) ScheduleFigures() (uint64, float64) {
	return r.Generator.Scheduled, r.Generator.UnsentRate()
}

// Observed implements metric.Run: the summary each kind of observer
// put in the result. A new kind of observer adds its field to Result and
// its case here.
func (r *Result) Observed(kind string) metric.Figures {
	switch kind {
	case metric.ObservedWebSocket:
		return observedFigures(r.WebSocket)
	case metric.ObservedSSE:
		return observedFigures(r.SSE)
	case metric.ObservedResources:
		if r.Resources != nil {
			return r.Resources.Figures()
		}
	case metric.ObservedDownstreams:
		if len(r.Downstreams) > 0 {
			return downstream.Figures(r.Downstreams)
		}
	}
	return nil
}

// observedFigures is a summary as metric.Figures, nil (not a nil pointer in an
// interface) when the run has none.
func observedFigures[S any, P interface {
	*S
	metric.Figures
}](p P) metric.Figures {
	if p == nil {
		return nil
	}
	return p
}

// ReadyFigures implements metric.Run.
func (r *Result) ReadyFigures() (time.Duration, bool) { return r.Target.ReadyTime, r.Target.Started }

// Write encodes r as indented JSON.
func (r *Result) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Read decodes a result, refusing a schema newer than this loadcheck's.
func Read(rd io.Reader) (*Result, error) {
	var r Result
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("read result: %v", err)
	}
	if r.Schema < 1 || r.Schema > Schema {
		return nil, fmt.Errorf("read result: schema %d: this loadcheck reads schema 1 to %d", r.Schema, Schema)
	}
	return &r, nil
}

// ReadFile reads a result file.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return r, nil
}

// NewRunID names a run that started at start: the UTC time to the second,
// so that ids sort as runs started, then "-" and tag, which tells apart
// runs started in the same second (random bytes for one run, the set's id
// for the merged shards of one).
func NewRunID(start time.Time, tag string) string {
	return start.UTC().Format("20060102T150405Z") + "-" + tag
}

// Save writes r into dir as <run-id>.json, atomically, and returns the path.
// Its errors start with dir; the caller names the flag or file that gave it.
func (r *Result) Save(dir string) (string, error) {
	if st, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%s: %v — create the folder or choose another", dir, err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("%s: not a folder", dir)
	}
	path := filepath.Join(dir, r.RunID+".json")
	if err := WriteFileAtomic(path, r.Write); err != nil {
		return "", fmt.Errorf("%s: %v", dir, err)
	}
	return path, nil
}
