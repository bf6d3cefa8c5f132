package scenario_test

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/tlstest"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// ignoreUnexported compares the exported fields only (netip.Addr by ==).
var ignoreUnexported = cmp.Options{
	cmpopts.IgnoreUnexported(scenario.Scenario{}, scenario.Target{}, scenario.TLS{}),
	cmpopts.EquateComparable(netip.Addr{}),
}

func rate(t *testing.T, s string) *unit.Rate {
	t.Helper()
	r, err := scenario.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func mustLoad(t *testing.T, dir, yaml string) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Load(writeFile(t, dir, "scenarios/s.yaml", yaml))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustLoad(t, dir, `
duration: 1m
http:
  load: {rate: 5/s}
  endpoints:
    - {name: home, path: /}
websocket:
  boards: 2
  path: /ws
  broadcast: {path: /b, rate: 1/s}
`)
	want := &scenario.Scenario{
		Name:     "s", // from the file name
		File:     filepath.Join(dir, "scenarios/s.yaml"),
		Duration: time.Minute,
		HTTP: scenario.HTTP{
			Timeout:    30 * time.Second,
			KeepAlive:  true,
			MaxWorkers: 512,
			Clients:    100,
			Stages:     []schedule.Stage{{To: rate(t, "5/s")}, {Hold: time.Minute}},
			Endpoints:  []scenario.Endpoint{{Name: "home", Method: "GET", Path: "/", Weight: 1}},
		},
		WebSocket: &scenario.WebSocket{
			Boards: 2, Path: "/ws",
			IDField: "id", Stagger: 10 * time.Millisecond, Grace: 2 * time.Second,
			Broadcast: scenario.Broadcast{Path: "/b", Rate: *rate(t, "1/s")},
		},
		Resources: scenario.Resources{Every: time.Second, SustainedWindow: 30 * time.Second},
	}
	if diff := cmp.Diff(want, s, ignoreUnexported, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	// The sampler and the saturation search fill a Resources built by hand
	// with the defaults a file gets.
	if got := (scenario.Resources{}).WithDefaults(); got != s.Resources {
		t.Errorf("Resources{}.WithDefaults() = %+v, want a file's defaults %+v", got, s.Resources)
	}
}

func TestLoadExplicitOverridesDefaults(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, t.TempDir(), `
name: explicit
duration: 1m
source_address: 127.0.0.2
http:
  timeout: 5s
  keepalive: false
  max_workers: 64
  clients: 8
  load: {rate: 5/s}
  endpoints:
    - {name: post, method: post, path: /p, weight: 7, body: "{}", headers: {Content-Type: application/json}}
resources: {every: 500ms, sustained_window: 10s}
`)
	h := s.HTTP
	if s.Name != "explicit" || h.Timeout != 5*time.Second || h.KeepAlive || h.MaxWorkers != 64 || h.Clients != 8 || s.SourceAddress.String() != "127.0.0.2" {
		t.Errorf("Load: HTTP settings = %+v, name %q; want the values written", h, s.Name)
	}
	e := h.Endpoints[0]
	if e.Method != "POST" || e.Weight != 7 || e.Body != "{}" || e.Headers["Content-Type"] != "application/json" {
		t.Errorf("Load: endpoint = %+v, want method POST, weight 7, the body and header written", e)
	}
	if s.Resources != (scenario.Resources{Every: 500 * time.Millisecond, SustainedWindow: 10 * time.Second}) {
		t.Errorf("Load: Resources = %+v, want the values written", s.Resources)
	}
	if s.Resources.WithDefaults() != s.Resources {
		t.Errorf("WithDefaults changed the values written: %+v", s.Resources.WithDefaults())
	}
}

// TestLoadProfiles checks the duration semantics: a constant rate is a
// step to the rate then a hold; omitted duration is the stages' sum;
// shorter stages hold the last rate; longer stages are cut.
func TestLoadProfiles(t *testing.T) {
	t.Parallel()
	r := func(s string) *unit.Rate { return rate(t, s) }
	tests := []struct {
		name         string
		load         string // the http.load section and, optionally, duration
		wantDuration time.Duration
		wantStages   []schedule.Stage
	}{
		{
			name:         "rate",
			load:         "duration: 2m\nhttp:\n  load: {rate: 20/s}",
			wantDuration: 2 * time.Minute,
			wantStages:   []schedule.Stage{{To: r("20/s")}, {Hold: 2 * time.Minute}},
		},
		{
			name:         "stages equivalent to rate",
			load:         "duration: 2m\nhttp:\n  load: {stages: [{to: 20/s, over: 0s}, {hold: 2m}]}",
			wantDuration: 2 * time.Minute,
			wantStages:   []schedule.Stage{{To: r("20/s")}, {Hold: 2 * time.Minute}},
		},
		{
			name:         "duration from stages",
			load:         "http:\n  load: {stages: [{to: 5/s, over: 30s}, {to: 20/s, over: 60s}, {hold: 30s}]}",
			wantDuration: 2 * time.Minute,
			wantStages: []schedule.Stage{
				{To: r("5/s"), Over: 30 * time.Second}, {To: r("20/s"), Over: time.Minute}, {Hold: 30 * time.Second},
			},
		},
		{
			name:         "shorter stages hold the last rate",
			load:         "duration: 2m\nhttp:\n  load: {stages: [{to: 10/s, over: 30s}]}",
			wantDuration: 2 * time.Minute,
			wantStages:   []schedule.Stage{{To: r("10/s"), Over: 30 * time.Second}, {Hold: 90 * time.Second}},
		},
		{
			name:         "shorter stages extend a final hold",
			load:         "duration: 2m\nhttp:\n  load: {stages: [{to: 10/s, over: 30s}, {hold: 30s}]}",
			wantDuration: 2 * time.Minute,
			wantStages:   []schedule.Stage{{To: r("10/s"), Over: 30 * time.Second}, {Hold: 90 * time.Second}},
		},
		{
			name:         "longer stages are cut midway through a ramp",
			load:         "duration: 45s\nhttp:\n  load: {stages: [{to: 10/s, over: 30s}, {to: 20/s, over: 30s}, {hold: 1m}]}",
			wantDuration: 45 * time.Second,
			wantStages: []schedule.Stage{
				{To: r("10/s"), Over: 30 * time.Second}, {To: r("15/s"), Over: 15 * time.Second},
			},
		},
		{
			name:         "longer stages are cut in a hold",
			load:         "duration: 1m\nhttp:\n  load: {stages: [{to: 40/min, over: 30s}, {hold: 5m}]}",
			wantDuration: time.Minute,
			wantStages:   []schedule.Stage{{To: r("40/min"), Over: 30 * time.Second}, {Hold: 30 * time.Second}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustLoad(t, t.TempDir(), tc.load+"\n  endpoints: [{name: a, path: /}]\n")
			if s.Duration != tc.wantDuration {
				t.Errorf("Duration = %v, want %v", s.Duration, tc.wantDuration)
			}
			if diff := cmp.Diff(tc.wantStages, s.HTTP.Stages); diff != "" {
				t.Errorf("HTTP.Stages (-want +got):\n%s", diff)
			}
			var sum time.Duration
			for _, st := range s.HTTP.Stages {
				sum += st.Duration()
			}
			if sum != s.Duration {
				t.Errorf("stages last %v, want exactly Duration %v", sum, s.Duration)
			}
		})
	}
}

func TestWithDurationAndRate(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, t.TempDir(), `
http:
  load: {stages: [{to: 10/s, over: 30s}, {to: 20/s, over: 30s}]}
  endpoints: [{name: a, path: /}]
websocket:
  boards: 1
  path: /ws
  broadcast: {path: /b, stages: [{to: 2/s, over: 1m}]}
`)
	before := cmp.Diff(nil, s.HTTP.Stages)

	short := s.WithDuration(45 * time.Second)
	// Shortened stages are scaled, not cut: the run still reaches 20/s.
	wantShort := []schedule.Stage{{To: rate(t, "10/s"), Over: 22500 * time.Millisecond}, {To: rate(t, "20/s"), Over: 22500 * time.Millisecond}}
	if short.Duration != 45*time.Second {
		t.Errorf("WithDuration(45s).Duration = %v, want 45s", short.Duration)
	}
	if diff := cmp.Diff(wantShort, short.HTTP.Stages); diff != "" {
		t.Errorf("WithDuration(45s).HTTP.Stages (-want +got):\n%s", diff)
	}
	if got, want := short.LoadChange(), "stages written for 1m0s scaled to the 45s phase (each stage 0.75× as long, same rates)"; got != want {
		t.Errorf("WithDuration(45s).LoadChange() = %q, want %q", got, want)
	}
	if got := s.LoadChange(); got != "" {
		t.Errorf("LoadChange() of the scenario as written = %q, want none", got)
	}
	// Lengthening a shortened copy refits the stages as written, so the
	// second ramp is not lost.
	long := short.WithDuration(2 * time.Minute)
	wantLong := []schedule.Stage{{To: rate(t, "10/s"), Over: 30 * time.Second}, {To: rate(t, "20/s"), Over: 30 * time.Second}, {Hold: time.Minute}}
	if diff := cmp.Diff(wantLong, long.HTTP.Stages); diff != "" {
		t.Errorf("WithDuration(45s).WithDuration(2m).HTTP.Stages (-want +got):\n%s", diff)
	}
	if got, want := long.LoadChange(), "stages written for 1m0s; the last rate holds for the rest of the 2m0s phase"; got != want {
		t.Errorf("WithDuration(2m).LoadChange() = %q, want %q", got, want)
	}
	wantBroadcast := []schedule.Stage{{To: rate(t, "2/s"), Over: time.Minute}, {Hold: time.Minute}}
	if diff := cmp.Diff(wantBroadcast, long.WebSocket.Broadcast.Stages); diff != "" {
		t.Errorf("WithDuration(2m).WebSocket.Broadcast.Stages (-want +got):\n%s", diff)
	}

	constant := long.WithRate(*rate(t, "50/s"))
	wantConstant := []schedule.Stage{{To: rate(t, "50/s")}, {Hold: 2 * time.Minute}}
	if diff := cmp.Diff(wantConstant, constant.HTTP.Stages); diff != "" {
		t.Errorf("WithRate(50/s).HTTP.Stages (-want +got):\n%s", diff)
	}
	if got, want := constant.LoadChange(), "a constant 50/s replaces the stages as written (peak 20/s)"; got != want {
		t.Errorf("WithRate(50/s).LoadChange() = %q, want %q", got, want)
	}
	if got := constant.WrittenPeak().PerSecond(); got != 20 {
		t.Errorf("WithRate(50/s).WrittenPeak() = %v/s, want the file's 20/s", got)
	}
	if got := constant.WithDuration(time.Minute).HTTP.Stages[1].Hold; got != time.Minute {
		t.Errorf("WithRate(50/s).WithDuration(1m): hold = %v, want 1m", got)
	}
	if after := cmp.Diff(nil, s.HTTP.Stages); after != before || s.Duration != time.Minute {
		t.Errorf("WithDuration/WithRate changed the original scenario")
	}
}

func TestLoadFeeds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "scenarios/data/phones.csv", "phone,name\n555-0100,Ada\n555-0101,Grace\n")
	s := mustLoad(t, dir, `
duration: 1m
http:
  load: {rate: 5/s}
  endpoints:
    - name: zip
      path: "/search?q={{.term}}&city={{ .city }}"
      feed: {term: [a, b, c], city: [x, y]}
    - name: random
      path: "/search?q={{.term}}"
      feed: {term: [a, 7, true], order: random}
    - name: csv
      path: /lookup
      headers: {X-Phone: "{{.phone}}"}
      body: '{"name": "{{.name}}"}'
      feed: {file: data/phones.csv, order: cycle}
    - name: plain
      path: /
`)
	want := []*feed.Feed{
		{Columns: []string{"term", "city"}, Rows: [][]string{{"a", "x"}, {"b", "y"}, {"c", "x"}}, Order: feed.Cycle},
		{Columns: []string{"term"}, Rows: [][]string{{"a"}, {"7"}, {"true"}}, Order: feed.Random},
		{Columns: []string{"phone", "name"}, Rows: [][]string{{"555-0100", "Ada"}, {"555-0101", "Grace"}},
			File: filepath.Join(dir, "scenarios/data/phones.csv"), Order: feed.Cycle},
		nil,
	}
	for i, e := range s.HTTP.Endpoints {
		if diff := cmp.Diff(want[i], e.Feed, cmpopts.IgnoreUnexported(feed.Feed{})); diff != "" {
			t.Errorf("endpoint %q: Feed (-want +got):\n%s", e.Name, diff)
		}
	}
}

func TestLoadFeedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, endpoint, csv, want string
	}{
		{"placeholder without feed", `{name: a, path: "/q={{.term}}"}`, "",
			`http.endpoints[0].path: placeholder {{.term}} names no feed column: add feed: {term: [value, ...]}`},
		{"placeholder in body names no column", `{name: a, path: /, body: "{{.nme}}", feed: {file: f.csv}}`, "name\nx\n",
			`http.endpoints[0].body: placeholder {{.nme}} names no column of the feed (columns: name) — did you mean {{.name}}?`},
		{"not a field placeholder", `{name: a, path: "/{{ printf 1 }}", feed: {a: [x]}}`, "",
			`placeholder {{ printf 1 }}: want {{.column}}`},
		{"bad order", `{name: a, path: /, feed: {a: [x], order: shuffle}}`, "",
			`http.endpoints[0].feed.order: want cycle, random or once, got "shuffle"`},
		{"file and lists", `{name: a, path: /, feed: {file: f.csv, a: [x]}}`, "a\n1\n",
			`http.endpoints[0].feed: a feed is either a CSV file or lists of values, not both`},
		{"empty list", `{name: a, path: /, feed: {a: []}}`, "",
			`http.endpoints[0].feed.a: the list is empty`},
		{"csv without rows", `{name: a, path: /, feed: {file: f.csv}}`, "a,b\n",
			`http.endpoints[0].feed.file: `},
		{"csv ragged", `{name: a, path: /, feed: {file: f.csv}}`, "a,b\n1,2\n3\n",
			`wrong number of fields`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.csv != "" {
				writeFile(t, dir, "f.csv", tc.csv)
			}
			path := writeFile(t, dir, "s.yaml", "duration: 1m\nhttp:\n  load: {rate: 1/s}\n  endpoints:\n    - "+tc.endpoint+"\n")
			_, err := scenario.Load(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), path+":5:") {
				t.Errorf("Load(endpoint %s) = %v, want an error at %s:5:… containing %q", tc.endpoint, err, path, tc.want)
			}
		})
	}
}

func TestLoadEnvSubstitution(t *testing.T) {
	t.Setenv("LOADCHECK_TEST_TOKEN", "s3cret")
	t.Setenv("LOADCHECK_TEST_WORKERS", "64")
	t.Setenv("LOADCHECK_TEST_DURATION", "90s")
	s := mustLoad(t, t.TempDir(), `
duration: ${LOADCHECK_TEST_DURATION}
http:
  max_workers: ${LOADCHECK_TEST_WORKERS}
  load: {rate: 1/s}
  endpoints:
    - name: a
      path: /
      headers: {Authorization: "Bearer ${LOADCHECK_TEST_TOKEN}"}
      body: |
        {"token": "${LOADCHECK_TEST_TOKEN}"}
`)
	if got := s.HTTP.Endpoints[0].Headers["Authorization"]; got != "Bearer s3cret" {
		t.Errorf("header = %q, want the variable substituted: %q", got, "Bearer s3cret")
	}
	if got := s.HTTP.Endpoints[0].Body; got != "{\"token\": \"s3cret\"}\n" {
		t.Errorf("body = %q, want the variable substituted in a block scalar", got)
	}
	if s.HTTP.MaxWorkers != 64 || s.Duration != 90*time.Second {
		t.Errorf("max_workers = %d, duration = %v; want 64 and 90s from the environment", s.HTTP.MaxWorkers, s.Duration)
	}
	want := []string{"90s", "64", "s3cret"}
	if diff := cmp.Diff(want, s.Secrets); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
}

func TestLoadTarget(t *testing.T) {
	t.Setenv("LOADCHECK_TEST_REDIS_PASSWORD", "hunter2")
	dir := t.TempDir()
	path := writeFile(t, dir, "targets/t.yaml", `
name: uvicorn, 2 workers
base_url: http://127.0.0.1:{port}/
start:
  command: [python3, -m, uvicorn, app:app, --port, "{port}", --workers, 2]
  dir: titan
  env: {SEARCH_MODE: blocking, REDIS_PASSWORD: "${LOADCHECK_TEST_REDIS_PASSWORD}"}
ready: {path: /api/health, timeout: 20s}
stop: {signal: SIGINT, grace: 5s}
resources: {pidfile: run/app.pid}
`)
	// start.dir must exist.
	if err := os.MkdirAll(filepath.Join(dir, "targets/titan"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := scenario.LoadTarget(path)
	if err != nil {
		t.Fatalf("LoadTarget: %v", err)
	}
	want := &scenario.Target{
		Name:    "uvicorn, 2 workers",
		File:    path,
		BaseURL: "http://127.0.0.1:{port}",
		Start: &scenario.Start{
			Command: []string{"python3", "-m", "uvicorn", "app:app", "--port", "{port}", "--workers", "2"},
			Dir:     filepath.Join(dir, "targets/titan"),
			Env:     map[string]string{"SEARCH_MODE": "blocking", "REDIS_PASSWORD": "hunter2"},
		},
		Ready:     scenario.Ready{Path: "/api/health", Timeout: 20 * time.Second},
		Stop:      scenario.Stop{Signal: "INT", Grace: 5 * time.Second},
		Resources: scenario.ResourceSource{Kind: scenario.SourcePIDFile, Arg: filepath.Join(dir, "targets/run/app.pid")},
		Secrets:   []string{"hunter2"},
	}
	if diff := cmp.Diff(want, got, ignoreUnexported); diff != "" {
		t.Errorf("LoadTarget (-want +got):\n%s", diff)
	}
}

func TestLoadTargetDefaults(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "running.yaml", "base_url: http://localhost:8000\nresources: {process: uvicorn app:app}\n")
	got, err := scenario.LoadTarget(path)
	if err != nil {
		t.Fatalf("LoadTarget: %v", err)
	}
	want := &scenario.Target{
		Name:      "running",
		File:      path,
		BaseURL:   "http://localhost:8000",
		Ready:     scenario.Ready{Path: "/", Timeout: 30 * time.Second},
		Stop:      scenario.Stop{Signal: "TERM", Grace: 10 * time.Second},
		Resources: scenario.ResourceSource{Kind: scenario.SourceProcess, Arg: "uvicorn app:app"},
	}
	if diff := cmp.Diff(want, got, ignoreUnexported); diff != "" {
		t.Errorf("LoadTarget (-want +got):\n%s", diff)
	}
}

// TestLoadTargetBaseURL checks the safety rule: load goes only to
// loopback addresses.
func TestLoadTargetBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, start string
		wantErr    string // "" for a valid URL
	}{
		{"http://127.0.0.1:8000", "", ""},
		{"http://127.0.0.53:8000/prefix", "", ""},
		{"https://localhost:8443", "", ""},
		{"http://LOCALHOST:8000", "", ""},
		{"http://[::1]:8000", "", ""},
		{"http://127.0.0.1:{port}", "start: {command: [sh, -c, \"exec server --port {port}\"]}\n", ""},
		{"http://127.0.0.1:8000", "start: {command: [sh, -c, \"exec server --port {port}\"]}\n", "start passes {port} to the target, but base_url names another port"},
		{"http://10.0.0.7:8000", "", `host "10.0.0.7" is not loopback`},
		{"http://0.0.0.0:8000", "", `host "0.0.0.0" is not loopback`},
		{"http://example.com", "", `host "example.com" is not loopback`},
		{"http://localhost.example.com:80", "", `is not loopback`},
		{"http://[::ffff:8.8.8.8]:80", "", `is not loopback`},
		{"ftp://127.0.0.1", "", `scheme "ftp": want http or https`},
		{"127.0.0.1:8000", "", `want an http URL such as http://127.0.0.1:8000`},
		{"http://127.0.0.1:{port}", "", `{port} is chosen for targets loadcheck starts`},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "t.yaml", "base_url: "+tc.url+"\n"+tc.start)
			_, err := scenario.LoadTarget(path)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("LoadTarget(base_url: %s) = %v, want no error", tc.url, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), path+":1:11: base_url: ") || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("LoadTarget(base_url: %s) = %v, want an error at :1:11 containing %q", tc.url, err, tc.wantErr)
			}
		})
	}
}

func TestLoadTargetSources(t *testing.T) {
	t.Parallel()
	tests := []struct{ resources, wantErr string }{
		{"{pid: 1234}", ""},
		{"{systemd_unit: titan.service}", ""},
		{"{cgroup: /sys/fs/cgroup/system.slice/titan.service}", ""},
		{"{prometheus: http://127.0.0.1:9100/metrics}", ""},
		{"{pid: 1234, process: uvicorn}", "name one source of CPU and memory figures, not pid and process"},
		{"{pid: -3}", ":2:18: resources.pid: want a process id above 0, got -3"},
		{"{cgroup: system.slice/titan.service}", "want an absolute cgroup v2 path"},
		{"{prometheus: localhost:9100}", "want the http URL of a metrics page"},
		{"{pidfle: x.pid}", `unknown field "pidfle" — did you mean "pidfile"?`},
	}
	for _, tc := range tests {
		t.Run(tc.resources, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "t.yaml", "base_url: http://127.0.0.1:8000\nresources: "+tc.resources+"\n")
			_, err := scenario.LoadTarget(path)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("LoadTarget(resources: %s) = %v, want no error", tc.resources, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("LoadTarget(resources: %s) = %v, want an error containing %q", tc.resources, err, tc.wantErr)
			}
		})
	}
}

func TestLoadRelativePaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "scenarios/data/p.csv", "p\n1\n")
	s := mustLoad(t, dir, `
target: ../targets/sim.yaml
duration: 1m
http:
  load: {rate: 1/s}
  endpoints: [{name: a, path: "/{{.p}}", feed: {file: data/p.csv}}]
`)
	if want := filepath.Join(dir, "targets/sim.yaml"); s.TargetFile != want {
		t.Errorf("TargetFile = %q, want %q (relative to the scenario file)", s.TargetFile, want)
	}
	if want := filepath.Join(dir, "scenarios/data/p.csv"); s.HTTP.Endpoints[0].Feed.File != want {
		t.Errorf("Feed.File = %q, want %q (relative to the scenario file)", s.HTTP.Endpoints[0].Feed.File, want)
	}
	abs := mustLoad(t, dir, "target: /etc/loadcheck/t.yaml\nduration: 1m\nsse: {clients: 1, path: /s}\n")
	if abs.TargetFile != "/etc/loadcheck/t.yaml" {
		t.Errorf("TargetFile = %q, want an absolute path kept as written", abs.TargetFile)
	}
}

func TestWhere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := mustLoad(t, dir, `name: w
duration: 1m
http:
  load: {rate: 1/s}
  endpoints:
    - name: a
      path: /
      weight: 3
      headers: {X-Api.Key: k}
`)
	file := filepath.Join(dir, "scenarios/s.yaml")
	tp := writeFile(t, dir, "t.yaml", "name: t\nbase_url: http://127.0.0.1:8000\n")
	tg, err := scenario.LoadTarget(tp)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ got, want string }{
		{s.Where("http.endpoints[0].weight"), file + ":8:15"},
		{s.Where("$.http.endpoints[0].weight"), file + ":8:15"},
		{s.Where("http.endpoints[0]"), file + ":6:7"},
		{s.Where("http"), file + ":4:3"},
		{s.Where("http.endpoints[0].headers.'X-Api.Key'"), file + ":9:28"},
		{s.Where("websocket"), file},
		{s.Where("http.endpoints[5]"), file},
		{tg.Where("base_url"), tp + ":2:11"},
		{tg.Where("ready"), tp},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: Where = %q, want %q", i, tc.got, tc.want)
		}
	}
}

func TestLoadSectionErrors(t *testing.T) {
	t.Parallel()
	checkLoadErrors(t, []loadErrorCase{
		{"nothing to run", "duration: 1m\n", "nothing to run"},
		{"rate without duration", "http:\n  load: {rate: 5/s}\n  endpoints: [{name: a, path: /}]\n",
			"http.load.rate: a constant rate needs a duration"},
		{"rate and stages", "duration: 1m\nhttp:\n  load: {rate: 5/s, stages: [{to: 1/s}]}\n  endpoints: [{name: a, path: /}]\n",
			"set either rate or stages, not both"},
		{"no load", "duration: 1m\nhttp:\n  endpoints: [{name: a, path: /}]\n", "http.load: load: missing"},
		{"ramp and hold in one stage", "http:\n  load: {stages: [{to: 1/s, over: 1s, hold: 2s}]}\n  endpoints: [{name: a, path: /}]\n",
			"http.load.stages[0]: a stage is either a ramp"},
		{"bare rate", "duration: 1m\nhttp:\n  load: {rate: 20}\n  endpoints: [{name: a, path: /}]\n",
			"http.load.rate: want a rate with a unit, e.g. 20/s"},
		{"websocket without broadcast", "duration: 1m\nwebsocket: {boards: 2, path: /ws}\n", "websocket: broadcast: missing"},
		{"sse without clients", "duration: 1m\nsse: {path: /s}\n", "sse.clients: want 1 or more clients"},
		{"abort without when", "duration: 1m\nsse: {clients: 1, path: /s}\nabort: {after: 5s}\n", "abort: when: missing"},
		{"window shorter than interval", "duration: 1m\nsse: {clients: 1, path: /s}\nresources: {every: 5s, sustained_window: 1s}\n",
			"resources.sustained_window: the window (1s) is shorter than the sampling interval"},
		{"list where a mapping belongs", "duration: 1m\nsse: [1, 2]\n", "sse: want a mapping of fields, got a list"},
		{"reserved endpoint name", "duration: 1m\nhttp:\n  load: {rate: 5/s}\n  endpoints: [{name: inflight, path: /}]\n",
			`"inflight" is reserved`},
		{"empty file", "", ":1:1: the file is empty"},
		{"syntax error", "http: [a\n", ":"},
	})
}

// loadErrorCase is a scenario file that does not load, and a part of the
// error it must give.
type loadErrorCase struct{ name, yaml, want string }

// checkLoadErrors loads each case's file and checks that the error is
// placed in that file and contains want.
func checkLoadErrors(t *testing.T, tests []loadErrorCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "s.yaml", tc.yaml)
			_, err := scenario.Load(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), path+":") {
				t.Errorf("Load(%q) = %v, want an error at %s:… containing %q", tc.yaml, err, path, tc.want)
			}
		})
	}
}

func TestLoadShippedFixtures(t *testing.T) {
	t.Parallel()
	s, err := scenario.Load("testdata/scenarios/prelaunch.yaml")
	if err != nil {
		t.Fatalf("Load(the documented example scenario) = %v", err)
	}
	if _, err := scenario.LoadTarget(s.TargetFile); err != nil {
		t.Errorf("LoadTarget(%s) = %v", s.TargetFile, err)
	}
	if _, err := os.Stat(s.TargetFile); err != nil {
		t.Errorf("TargetFile %q: %v", s.TargetFile, err)
	}
}

// TestLoadTargetRemote checks the opt-in for another machine: allow_remote
// lets its host through, and then only its exporter may say what it uses,
// since every other source is read on this machine; and the tls section.
func TestLoadTargetRemote(t *testing.T) {
	t.Parallel()
	ca := tlstest.New(t, "198.18.0.2")
	const remote = "base_url: http://198.18.0.2:8000\nallow_remote: true\n"
	tests := []struct {
		name, body string
		wantAt     string // "field: " and its line:col; "" for valid
		wantErr    string
	}{
		{"refused without allow_remote", "base_url: http://198.18.0.2:8000\n", ":1:11: base_url: ", "unless the target file says allow_remote: true"},
		{"allow_remote false", "base_url: http://198.18.0.2:8000\nallow_remote: false\n", ":1:11: base_url: ", "allow_remote: true"},
		{"allowed", remote, "", ""},
		{"allowed by name", "base_url: https://staging.example.com\nallow_remote: true\n", "", ""},
		{"loopback with allow_remote", "base_url: http://127.0.0.1:8000\nallow_remote: true\n", "", ""},
		{"exporter", remote + "resources: {prometheus: http://198.18.0.2:9100/metrics}\n", "", ""},
		{"pid", remote + "resources: {pid: 1234}\n", ":3:18: resources.pid: ", "pid is read on this machine, and this target runs on another"},
		{"pidfile", remote + "resources: {pidfile: x.pid}\n", ":3:22: resources.pidfile: ", "read its CPU and memory from its exporter"},
		{"process", remote + "resources: {process: uvicorn}\n", ":3:22: resources.process: ", "prometheus: http://HOST:9100/metrics"},
		{"systemd_unit", remote + "resources: {systemd_unit: titan.service}\n", ":3:27: resources.systemd_unit: ", "runs on another"},
		{"cgroup", remote + "resources: {cgroup: /sys/fs/cgroup/x}\n", ":3:21: resources.cgroup: ", "runs on another"},
		{"start", remote + "start: {command: [app]}\n", ":2:15: allow_remote: ", "a target loadcheck starts runs on this machine"},
		{"ca_file", "base_url: https://198.18.0.2:8443\nallow_remote: true\ntls: {ca_file: " + ca.CA + "}\n", "", ""},
		{"insecure", "base_url: https://198.18.0.2:8443\nallow_remote: true\ntls: {insecure_skip_verify: true}\n", "", ""},
		{"tls on http", remote + "tls: {insecure_skip_verify: true}\n", ":3:6: tls: ", "base_url is not https://"},
		{"ca_file missing", "base_url: https://127.0.0.1:8443\ntls: {ca_file: nowhere.pem}\n", ":2:16: tls.ca_file: ", "cannot read the CA file"},
		{"ca_file is a key", "base_url: https://127.0.0.1:8443\ntls: {ca_file: " + ca.Key + "}\n", ":2:16: tls.ca_file: ", "holds no PEM certificate"},
		{"both", "base_url: https://127.0.0.1:8443\ntls: {ca_file: " + ca.CA + ", insecure_skip_verify: true}\n", ":2:", "tls.insecure_skip_verify: name one"},
		{"misspelt", "base_url: http://198.18.0.2:8000\nallow_remotes: true\n", ":2:1: ", `did you mean "allow_remote"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "t.yaml", tc.body)
			tg, err := scenario.LoadTarget(path)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("LoadTarget(%q) = %v, want no error", tc.body, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), path+tc.wantAt) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("LoadTarget(%q) = %v, want an error at %s containing %q", tc.body, err, tc.wantAt, tc.wantErr)
			case err == nil && tg.AllowRemote != strings.Contains(tc.body, "allow_remote: true"):
				t.Errorf("AllowRemote = %v for %q", tg.AllowRemote, tc.body)
			}
		})
	}
}

// TestTargetTLSConfig checks that the CA of tls.ca_file, and only it, is
// what the client trusts, and that skipping verification is carried over.
func TestTargetTLSConfig(t *testing.T) {
	t.Parallel()
	ca := tlstest.New(t, "127.0.0.1")
	dir := t.TempDir()
	withCA, err := scenario.LoadTarget(writeFile(t, dir, "a.yaml", "base_url: https://127.0.0.1:8443\ntls: {ca_file: "+ca.CA+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	insecure, err := scenario.LoadTarget(writeFile(t, dir, "b.yaml", "base_url: https://127.0.0.1:8443\ntls: {insecure_skip_verify: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	system, err := scenario.LoadTarget(writeFile(t, dir, "c.yaml", "base_url: https://127.0.0.1:8443\n"))
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(ca.Cert)
	block, _ := pemDecode(pem)
	cert, err := x509.ParseCertificate(block)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: withCA.TLSConfig().RootCAs}); err != nil {
		t.Errorf("the server certificate does not verify against tls.ca_file's pool: %v", err)
	}
	if withCA.TLSConfig().InsecureSkipVerify || system.TLSConfig().InsecureSkipVerify || !insecure.TLSConfig().InsecureSkipVerify {
		t.Errorf("InsecureSkipVerify: ca_file %v, system %v, insecure %v; want false, false, true",
			withCA.TLSConfig().InsecureSkipVerify, system.TLSConfig().InsecureSkipVerify, insecure.TLSConfig().InsecureSkipVerify)
	}
	if system.TLSConfig().RootCAs != nil {
		t.Errorf("without tls.ca_file RootCAs is set; want nil for the system's roots")
	}
	exporter, err := scenario.LoadTarget(writeFile(t, dir, "d.yaml", "base_url: https://127.0.0.1:8443\ntls: {ca_file: "+ca.CA+"}\nresources: {prometheus: https://127.0.0.1:9100/metrics}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tc := exporter.Resources.PrometheusTLS; tc == nil || tc.RootCAs == nil || !tc.RootCAs.Equal(withCA.TLSConfig().RootCAs) {
		t.Errorf("an https exporter's TLS = %v, want the target's tls.ca_file", tc)
	}
	if withCA.Resources.PrometheusTLS != nil || !withCA.Resources.IsZero() {
		t.Errorf("a target without an exporter has exporter TLS %v, IsZero %v", withCA.Resources.PrometheusTLS, withCA.Resources.IsZero())
	}
	if first, second := withCA.TLSConfig(), withCA.TLSConfig(); first == second {
		t.Errorf("TLSConfig returns one shared config; want a copy per caller")
	}
}

func pemDecode(b []byte) ([]byte, []byte) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, rest
	}
	return block.Bytes, rest
}
