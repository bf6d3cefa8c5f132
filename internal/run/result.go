package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/schedule"
)

// newResult returns the result of a run about to start: what was run,
// against what, on which host. The stages fill in the rest.
func newResult(o Options) *result.Result {
	tg := o.Target
	res := &result.Result{
		Schema:   result.Schema,
		RunID:    o.RunID,
		Scenario: scenarioInfo(o.Scenario),
		Target:   result.TargetInfo{Name: tg.Name, File: tg.File, Remote: tg.Remote(), TLS: tlsInfo(tg)},
		Status:   result.Complete,
	}
	if res.RunID == "" {
		res.RunID = NewRunID(time.Now())
	}
	host, _ := os.Hostname()
	res.Host = &result.Host{Hostname: host, Cores: runtime.NumCPU(), Version: o.Version}
	return res
}

// assemble is a run's fourth stage: it puts the load's figures in x.res,
// then ends the observers and puts theirs. The target is finished after
// it (targetStage.finish), once the observers are done with it.
func assemble(ctx context.Context, x *execution, ob *observers, ld *loadStage) {
	ld.figures(x.res, x.sc)
	ob.finish(ctx, x.res)
}

// setLoadFigures puts the HTTP figures s and what the generator did, g,
// in r: for the final result and for each checkpoint.
func setLoadFigures(r *result.Result, s record.Summary, g result.Generator) {
	r.HTTP = s
	r.HTTP.InflightMax = g.InflightMax
	r.Start, r.Elapsed = s.Start, s.Elapsed
	g.Late = s.Total.Late
	r.Generator = g
}

// judge is a run's last stage: it evaluates the gates on res and sets its
// status. An interrupted or aborted run does not pass, whatever its gates
// say; an interrupted one also returns ErrInterrupted.
func judge(ctx context.Context, sc *scenario.Scenario, res *result.Result, aborted bool) error {
	res.Gates, res.Pass = gate.EvalAll(sc.Gates, res)
	switch {
	case ctx.Err() != nil:
		res.Status = result.Interrupted
		res.Pass = false
		return fmt.Errorf("run %s: %w", res.RunID, ErrInterrupted)
	case aborted:
		res.Status = result.Aborted
		res.Pass = false
	}
	return nil
}

// secrets are the values, taken from the environment, that the result
// must not show.
func secrets(sc *scenario.Scenario, tg *scenario.Target) []string {
	return append(append([]string(nil), sc.Secrets...), tg.Secrets...)
}

// tlsInfo says how the target's certificate is checked, for the report.
func tlsInfo(tg *scenario.Target) string {
	switch {
	case !strings.HasPrefix(tg.BaseURL, "https://"):
		return ""
	case tg.TLS.InsecureSkipVerify:
		return result.TLSNotVerified
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

func addReason(r *result.Result, s string) {
	if r.Reason != "" {
		r.Reason += "; "
	}
	r.Reason += s
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

func scenarioInfo(sc *scenario.Scenario) result.ScenarioInfo {
	si := result.ScenarioInfo{
		Name: sc.Name, File: sc.File, Duration: sc.Duration, Warmup: sc.Warmup,
		Timeout: sc.HTTP.Timeout, KeepAlive: sc.HTTP.KeepAlive, MaxWorkers: sc.HTTP.MaxWorkers,
		Clients: sc.HTTP.Clients, LoadChange: sc.LoadChange(),
		PeakRate: schedule.PeakRate(sc.HTTP.Stages).PerSecond(), WrittenPeakRate: sc.WrittenPeak().PerSecond(),
	}
	if len(sc.HTTP.Stages) > 0 && sc.HTTP.Stages[0].To != nil {
		si.WarmupRate = sc.HTTP.Stages[0].To.PerSecond()
	}
	for _, st := range sc.HTTP.Stages {
		if st.To != nil && st.Over == 0 {
			si.Load = append(si.Load, fmt.Sprintf("at %s", st.To))
		} else if st.To != nil {
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
		si.Endpoints = append(si.Endpoints, result.EndpointInfo{Name: e.Name, Method: m, Path: redact(e.Path, sc.Secrets), Weight: e.Weight})
	}
	if sc.Production != nil {
		si.Production = sc.Production.PerSecond()
	}
	return si
}
