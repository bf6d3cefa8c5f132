package scenario

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/metric"
	"github.com/loadcheck/loadcheck/internal/schedule"
	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// Load reads, validates and builds the scenario file at path, with
// defaults applied. Every error wraps yamlfile.ErrInvalid and names
// file:line:col and the field; problems are reported all at once, one per
// line: first those in the file's shape (unknown fields, values that do
// not parse), then, once the shape is right, those in its meaning.
func Load(path string) (*Scenario, error) {
	var f scenarioFile
	src, secrets, err := yamlfile.Decode(path, &f, misfitScenario)
	if err != nil {
		return nil, err
	}
	p := &yamlfile.Problems{File: src}
	s := buildScenario(p, f.withDefaults())
	if err := p.Err(); err != nil {
		return nil, err
	}
	s.Secrets = secrets
	return s, nil
}

// buildScenario validates a defaulted scenario file and builds the
// Scenario, recording problems in p. The order of the steps is the order
// of what each needs: the profiles before the duration they may give, the
// duration before the sections whose stages are fitted to it, and the
// sections before the gates and aborts that read them.
func buildScenario(p *yamlfile.Problems, f scenarioFile) *Scenario {
	file := p.File.Path
	dir := filepath.Dir(file)
	s := &Scenario{
		Name:   f.Name,
		File:   file,
		parsed: p.File,
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if f.Target != "" {
		s.TargetFile = f.Target
		if !filepath.IsAbs(f.Target) {
			s.TargetFile = filepath.Join(dir, f.Target)
		}
	}
	if f.Warmup != nil {
		s.Warmup = time.Duration(*f.Warmup)
	}
	s.SourceAddress = sourceAddress(p, f.SourceAddr)

	// The profiles first: the duration may come from the stages.
	var httpProfile, broadcastProfile []schedule.Stage
	if f.HTTP != nil {
		httpProfile = profile(p, "http.load", f.HTTP.Load, true)
	}
	if f.WebSocket != nil && f.WebSocket.Broadcast != nil {
		b := f.WebSocket.Broadcast
		if b.Stages != nil {
			broadcastProfile = profile(p, "websocket.broadcast", &loadFile{Rate: b.Rate, Stages: b.Stages}, false)
		}
	}
	s.Duration = measuredDuration(p, f, httpProfile, broadcastProfile)
	s.httpProfile, s.broadcastProfile = httpProfile, broadcastProfile
	s.writtenHTTP = httpProfile

	buildSections(p, dir, f, s)
	if p.Len() == 0 {
		// Only of a load otherwise valid: a broken stage is said as such.
		for _, e := range s.emptySchedules() {
			p.At(e[0], "%s", e[1])
		}
	}
	s.Resources = buildResources(p, *f.Resources)
	s.Production = buildProduction(p, f.Production)
	s.Gates = buildGates(p, "gates", f.Gates, s)
	if f.Abort != nil {
		s.Abort = buildAbort(p, *f.Abort, s)
	}
	return s
}

// measuredDuration is the length of the measured phase: the duration as
// written, else the length of the HTTP stages, else that of the broadcast
// stages. A constant rate has no length of its own, so it needs a
// duration; the problem recorded says which field to add.
func measuredDuration(p *yamlfile.Problems, f scenarioFile, httpProfile, broadcastProfile []schedule.Stage) time.Duration {
	switch {
	case f.Duration != nil:
		d := time.Duration(*f.Duration)
		if d <= 0 {
			p.At("duration", "want a measured phase longer than 0s, e.g. 2m")
		}
		return d
	case httpProfile != nil && schedule.Total(httpProfile) > 0:
		return schedule.Total(httpProfile)
	case broadcastProfile != nil && schedule.Total(broadcastProfile) > 0:
		return schedule.Total(broadcastProfile)
	case f.HTTP != nil && f.HTTP.Load != nil && f.HTTP.Load.Rate != nil:
		p.At("http.load.rate", "a constant rate needs a duration: add duration: 2m at the top of the file")
	case httpProfile != nil:
		p.At("http.load.stages", "the stages last 0s: add duration: 2m at the top of the file or give the stages a length")
	default:
		p.At("", "duration: missing: add duration: 2m, the length of the measured phase")
	}
	return 0
}

// buildSections builds the http, websocket and sse sections into s, at
// least one of which a scenario needs to have something to run. The load
// profiles are fitted to s.Duration, so it must be set first; with no
// valid duration the stages are left empty, the problem already recorded.
func buildSections(p *yamlfile.Problems, dir string, f scenarioFile, s *Scenario) {
	if f.HTTP == nil && f.WebSocket == nil && f.SSE == nil {
		p.At("", "nothing to run: add http with endpoints, websocket or sse")
	}
	if f.HTTP != nil {
		s.HTTP = buildHTTP(p, dir, *f.HTTP)
		if s.httpProfile != nil && s.Duration > 0 {
			s.HTTP.Stages = schedule.Fit(s.httpProfile, s.Duration)
		}
	}
	if f.WebSocket != nil {
		s.WebSocket = buildWebSocket(p, *f.WebSocket)
		if s.broadcastProfile != nil && s.Duration > 0 {
			s.WebSocket.Broadcast.Stages = schedule.Fit(s.broadcastProfile, s.Duration)
		}
	}
	if f.SSE != nil {
		s.SSE = buildSSE(p, *f.SSE)
	}
}

// buildSSE validates the sse section: at least one client on a path the
// target serves.
func buildSSE(p *yamlfile.Problems, f sseFile) *SSE {
	s := &SSE{Clients: f.Clients, Path: f.Path, Headers: f.Headers}
	if s.Clients < 1 {
		p.At("sse.clients", "want 1 or more clients, e.g. clients: 3")
	}
	checkPath(p, "sse.path", s.Path, "/api/stream")
	checkHeaders(p, "sse.headers", s.Headers, nil)
	return s
}

// buildResources validates the sampling settings: a sustained figure is
// taken over a window of samples, so the window must hold at least one.
func buildResources(p *yamlfile.Problems, f resourcesFile) Resources {
	r := Resources{
		Every:           time.Duration(*f.Every),
		SustainedWindow: time.Duration(*f.SustainedWindow),
	}
	if r.Every <= 0 {
		p.At("resources.every", "want a sampling interval longer than 0s, e.g. 1s")
	} else if r.SustainedWindow < r.Every {
		p.At("resources.sustained_window", "the window (%v) is shorter than the sampling interval every: %v", r.SustainedWindow, r.Every)
	}
	return r
}

// buildProduction returns today's real traffic, against which headroom
// is reported, or nil when the section is absent or has no rate.
func buildProduction(p *yamlfile.Problems, f *productionFile) *unit.Rate {
	if f == nil {
		return nil
	}
	if f.Rate == nil {
		p.At("production", "rate: missing: today's real traffic, e.g. production: {rate: 40/min}")
		return nil
	}
	r := unit.Rate(*f.Rate)
	return &r
}

// buildAbort validates the abort section. Its conditions are gates over
// the sections s has, so s must be built first; a section with no
// conditions could never stop a run, and is reported.
func buildAbort(p *yamlfile.Problems, f abortFile, s *Scenario) Abort {
	var a Abort
	if f.After != nil {
		a.After = time.Duration(*f.After)
	}
	a.When = buildGates(p, "abort.when", f.When, s)
	if len(f.When) == 0 {
		p.At("abort", "when: missing: the conditions that stop the run, e.g. when: [http.errors > 20%%]")
	}
	a.When = slices.DeleteFunc(a.When, func(g gate.Gate) bool { return endOnly(p, f.When, g) })
	return a
}

// endOnly reports, as a problem at its place in when, an abort condition
// on a figure known only when the run ends: it could never stop the run.
func endOnly(p *yamlfile.Problems, when []string, g gate.Gate) bool {
	m, _, err := metric.Lookup(g.Metric)
	if err != nil || !m.EndOnly {
		return false
	}
	i := slices.Index(when, g.Text)
	p.At(yamlfile.Index("abort.when", max(i, 0)), "%s is known only when the run ends, so it cannot stop a run — move %q to gates", g.Metric, g.Text)
	return true
}

// profile validates a load profile as written: exactly one of rate and
// stages, each stage a ramp {to, over} or a hold, and not a hold first.
// It returns the stages as written, a rate R being the one step [{To: R}].
func profile(p *yamlfile.Problems, path string, l *loadFile, required bool) []schedule.Stage {
	if l == nil || (l.Rate == nil && l.Stages == nil) {
		if required {
			p.At(path, "load: missing: want {rate: 20/s} or {stages: [{to: 20/s, over: 30s}, {hold: 1m}]}")
		}
		return nil
	}
	if l.Rate != nil && l.Stages != nil {
		p.At(yamlfile.Child(path, "stages"), "set either rate or stages, not both — remove one")
		return nil
	}
	if l.Rate != nil {
		r := unit.Rate(*l.Rate)
		return []schedule.Stage{{To: &r}}
	}
	sp := yamlfile.Child(path, "stages")
	if len(l.Stages) == 0 {
		p.At(sp, "no stages: want e.g. [{to: 20/s, over: 30s}, {hold: 1m}]")
		return nil
	}
	out := make([]schedule.Stage, 0, len(l.Stages))
	for i, st := range l.Stages {
		at := yamlfile.Index(sp, i)
		switch {
		case st.Hold != nil && (st.To != nil || st.Over != nil):
			p.At(at, "a stage is either a ramp {to: RATE, over: DURATION} or a hold {hold: DURATION}, not both — remove hold, or to and over")
		case st.Hold != nil:
			if i == 0 {
				p.At(at, "the first stage cannot be a hold: there is no rate yet to hold; start with {to: 20/s, over: 30s}")
			}
			out = append(out, schedule.Stage{Hold: time.Duration(*st.Hold)})
		case st.To != nil && st.Over == nil:
			p.At(at, "over: missing: a ramp needs the time it takes, e.g. {to: %s, over: 30s} (over: 0s for a step)", unit.Rate(*st.To))
		case st.To != nil:
			r := unit.Rate(*st.To)
			out = append(out, schedule.Stage{To: &r, Over: time.Duration(*st.Over)})
		case st.Over != nil:
			p.At(at, "to: missing: a ramp needs the rate it goes to, e.g. {to: 20/s, over: 30s}")
		default:
			p.At(at, "empty stage: want {to: 20/s, over: 30s} or {hold: 30s}")
		}
	}
	return out
}

func buildHTTP(p *yamlfile.Problems, dir string, f httpFile) HTTP {
	h := HTTP{
		Timeout:    time.Duration(*f.Timeout),
		KeepAlive:  *f.KeepAlive,
		MaxWorkers: *f.MaxWorkers,
		Clients:    *f.Clients,
	}
	if h.Timeout <= 0 {
		p.At("http.timeout", "want a request timeout longer than 0s, e.g. 30s")
	}
	if h.MaxWorkers < 1 {
		p.At("http.max_workers", "want 1 or more workers, e.g. %d", defaultMaxWorkers)
	}
	if h.Clients < 1 {
		p.At("http.clients", "want 1 or more clients, e.g. %d (1 is one proxy with upstream keep-alive)", defaultClients)
	}
	if len(f.Endpoints) == 0 {
		p.At("http.endpoints", "no endpoints: add at least one, e.g. endpoints: [{name: home, path: /}]")
	}
	names := map[string]bool{}
	for i, e := range f.Endpoints {
		at := yamlfile.Index("http.endpoints", i)
		ep := Endpoint{
			Name:    e.Name,
			Method:  strings.ToUpper(e.Method),
			Path:    e.Path,
			Headers: e.Headers,
			Body:    e.Body,
			Weight:  *e.Weight,
		}
		switch {
		case ep.Name == "":
			p.At(at, "name: missing: gates and reports name endpoints, e.g. name: search")
		case strings.ContainsAny(ep.Name, " \t"):
			p.At(yamlfile.Child(at, "name"), "%q: want a name without spaces, e.g. %s", ep.Name, strings.Join(strings.Fields(ep.Name), "-"))
		case metric.EndpointOf(metric.OfEndpoint(ep.Name, "max")) != ep.Name:
			p.At(yamlfile.Child(at, "name"), "%q is reserved for http.%s.max: choose another name", ep.Name, ep.Name)
		case names[ep.Name]:
			p.At(yamlfile.Child(at, "name"), "another endpoint is named %q: names must be unique — rename one", ep.Name)
		}
		names[ep.Name] = true
		if !validMethod(ep.Method) {
			p.At(yamlfile.Child(at, "method"), "unknown method %q: want GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS", e.Method)
		}
		checkPath(p, yamlfile.Child(at, "path"), ep.Path, "/api/search")
		if ep.Weight < 1 {
			p.At(yamlfile.Child(at, "weight"), "want a weight of 1 or more, got %d: weights are relative shares of the arrivals", ep.Weight)
		}
		if e.Feed != nil {
			ep.Feed = e.Feed.build(p, dir, yamlfile.Child(at, "feed"))
		}
		placeholders(p, yamlfile.Child(at, "path"), ep.Path, ep.Feed, e.Feed != nil)
		for _, k := range sortedKeys(ep.Headers) {
			placeholders(p, yamlfile.Child(yamlfile.Child(at, "headers"), k), ep.Headers[k], ep.Feed, e.Feed != nil)
		}
		placeholders(p, yamlfile.Child(at, "body"), ep.Body, ep.Feed, e.Feed != nil)
		h.Endpoints = append(h.Endpoints, ep)
	}
	return h
}

func validMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkPath checks a URL path that is appended to the target's base URL.
func checkPath(p *yamlfile.Problems, path, v, example string) {
	switch {
	case v == "":
		p.At(yamlfile.Parent(path), "path: missing: the URL path on the target, e.g. path: %s", example)
	case !strings.HasPrefix(v, "/"):
		p.At(path, "%s", pathFix(v))
	}
}

// pathFix is the message for a URL path that does not start with /. A
// full URL gets its own path as the example: the scheme and host come from
// the target's base_url.
func pathFix(v string) string {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		ex := u.EscapedPath()
		if ex == "" {
			ex = "/"
		}
		if u.RawQuery != "" {
			ex += "?" + u.RawQuery
		}
		return fmt.Sprintf("want a path, not a full URL, e.g. %s: the scheme and host come from the target's base_url", ex)
	}
	return fmt.Sprintf("want a path starting with /, e.g. /%s: it is appended to the target's base_url", v)
}

// sourceAddress parses the address every client is pinned to; "" for none.
func sourceAddress(p *yamlfile.Problems, s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.IsUnspecified() || a.Zone() != "" {
		p.At("source_address", "want one IP address of this machine such as 127.0.0.1 (every client connects from it), got %q", s)
		return netip.Addr{}
	}
	return a.Unmap()
}

func buildWebSocket(p *yamlfile.Problems, f websocketFile) *WebSocket {
	w := &WebSocket{
		Boards:  f.Boards,
		Path:    f.Path,
		IDField: f.IDField,
		Stagger: time.Duration(*f.Stagger),
		Grace:   time.Duration(*f.Grace),
		Headers: f.Headers,
	}
	w.Subprotocols = f.Subprotocols
	if w.Boards < 1 {
		p.At("websocket.boards", "want 1 or more boards, e.g. boards: 6")
	}
	checkPath(p, "websocket.path", w.Path, "/ws/dispatch")
	checkHeaders(p, "websocket.headers", w.Headers, wsHandshakeOwners)
	checkSubprotocols(p, "websocket.subprotocols", w.Subprotocols)
	b := f.Broadcast
	if b == nil {
		p.At("websocket", "broadcast: missing: boards need broadcasts to count losses, e.g. broadcast: {path: /api/dispatch/broadcast, rate: 2/s}")
		return w
	}
	w.Broadcast = Broadcast{
		Path:    b.Path,
		Fields:  b.Fields,
		Headers: mergeHeaders(f.Headers, b.Headers),
	}
	checkPath(p, "websocket.broadcast.path", b.Path, "/api/dispatch/broadcast")
	checkHeaders(p, "websocket.broadcast.headers", b.Headers, broadcastOwners)
	for _, k := range sortedKeys(f.Headers) { // shared with the boards: also the broadcaster's
		if why, ok := broadcastOwners[http.CanonicalHeaderKey(k)]; ok && !hasHeader(b.Headers, k) {
			p.At(yamlfile.Child("websocket.headers", k), "the broadcaster sends these headers too, and loadcheck sets %s itself: %s — set it on no websocket client", http.CanonicalHeaderKey(k), why)
		}
	}
	switch {
	case b.Rate == nil && b.Stages == nil:
		p.At("websocket.broadcast", "rate: missing: how often to broadcast, e.g. rate: 2/s")
	case b.Stages == nil:
		w.Broadcast.Rate = unit.Rate(*b.Rate)
	}
	if _, ok := b.Fields[w.IDField]; ok {
		p.At(yamlfile.Child("websocket.broadcast.fields", w.IDField), "%q is the event id field (id_field), set by loadcheck", w.IDField)
	}
	return w
}

// buildGates parses gate expressions and checks that the scenario measures
// what each names.
func buildGates(p *yamlfile.Problems, path string, list []string, s *Scenario) []gate.Gate {
	var endpoints []string
	for _, e := range s.HTTP.Endpoints {
		endpoints = append(endpoints, e.Name)
	}
	var gates []gate.Gate
	for i, text := range list {
		at := yamlfile.Index(path, i)
		g, err := metric.ParseGate(text)
		if err != nil {
			if p.Full() {
				continue // counted; the suggestion below is not worth computing
			}
			p.AtCause(at, err, "%s", gateError(text, err, endpoints))
			continue
		}
		if measured(p, at, text, g.Metric, s, endpoints) {
			gates = append(gates, g)
		}
	}
	return gates
}

// gateError is the message for a gate that does not parse, suggesting the
// closest metric for an unknown one.
func gateError(text string, err error, endpoints []string) string {
	msg := strings.TrimSuffix(err.Error(), ": "+gate.ErrSyntax.Error())
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return msg
	}
	if _, kerr := metric.KindOf(fields[0]); kerr == nil {
		return msg
	}
	metrics := metric.Names()
	for _, e := range endpoints {
		for _, m := range metric.All() {
			if m.PerEndpoint() {
				metrics = append(metrics, m.For(e))
			}
		}
	}
	if c := yamlfile.Closest(fields[0], metrics); c != "" {
		return fmt.Sprintf("%q: unknown metric %q — did you mean %q?", text, fields[0], c)
	}
	return msg
}

// measured reports whether s has the section the gate's metric needs, and
// says why not at at.
func measured(p *yamlfile.Problems, at, text, name string, s *Scenario, endpoints []string) bool {
	m, ep, _ := metric.Lookup(name)
	switch m.Needs {
	case metric.NeedsHTTP:
		if len(s.HTTP.Endpoints) == 0 {
			p.At(at, "%q: http metrics need an http section with endpoints — add one, e.g. http: {load: {rate: 5/s}, endpoints: [{name: home, path: /}]}, or remove the gate", text)
			return false
		}
		if ep != "" && !slices.Contains(endpoints, ep) {
			hint := fmt.Sprintf(" (endpoints: %s)", strings.Join(endpoints, ", "))
			if c := yamlfile.Closest(ep, endpoints); c != "" {
				hint = fmt.Sprintf(" — did you mean %q?", c)
			}
			p.At(at, "%q: no endpoint is named %q%s", text, ep, hint)
			return false
		}
	case metric.NeedsWebSocket:
		if s.WebSocket == nil {
			p.At(at, "%q: ws metrics need a websocket section, e.g. websocket: {boards: 6, path: /ws/dispatch, broadcast: {path: /api/dispatch/broadcast, rate: 2/s}}", text)
			return false
		}
	case metric.NeedsSSE:
		if s.SSE == nil {
			p.At(at, "%q: sse metrics need an sse section, e.g. sse: {clients: 3, path: /api/stream}", text)
			return false
		}
	}
	return true
}
