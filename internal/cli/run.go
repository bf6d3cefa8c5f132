package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// Where results go by default, relative to the working folder: the
// repository's reports/ (reports/README.md describes its layout).
const (
	defaultOut     = "reports/runs"
	defaultHistory = "reports"
)

// runOptions are the flags of run.
type runOptions struct {
	scenario string
	target   string
	out      string
	duration time.Duration
	rate     string
	reportFlags
	shard string
	start string
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &runOptions{}
	c := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario once and check its gates",
		Long: `Run a scenario against its target (the scenario's own, or --target), print the
report, write the result JSON to --out, and exit by the gates:
0 every gate held, 1 a gate failed or an abort condition fired, 2 bad input
or target down, 130 interrupted (the partial result is still written).

With --shard K/N the run is one of N shards of one run (see loadcheck merge):
its gates see only its share, so it exits 0 whatever they say, unless the
input is bad or it was interrupted; loadcheck merge judges the run.`,
		Example: `  loadcheck run scenarios/prelaunch.yaml
  loadcheck run scenarios/smoke.yaml --target targets/titan-2w.yaml --out reports/runs
  loadcheck run scenarios/prelaunch.yaml --rate 30/s --duration 1m
  loadcheck run scenarios/prelaunch.yaml --shard 2/4 --start 2026-12-01T15:00:00Z --out shards`,
		Args: exactArgs(1, "SCENARIO"),
		RunE: func(c *cobra.Command, args []string) error {
			o.scenario = args[0]
			return runRun(c, o, stdout, stderr)
		},
	}
	f := c.Flags()
	addTargetFlag(f, &o.target, "run measures one target: use compare to measure several")
	f.StringVar(&o.out, "out", defaultOut, "folder for the result JSON (created if missing; '' writes none)")
	f.Var(newDurationValue(&o.duration, 0), "duration", "override the measured duration, e.g. 30s")
	f.StringVar(&o.rate, "rate", "", "override the load with a constant rate, e.g. 20/s or 40/min")
	o.reportFlags.add(f, reportFormatUsage, "line", "target's")
	f.StringVar(&o.shard, "shard", "", "run shard K of N (e.g. 2/4): every N-th arrival, 1/N of the boards and SSE clients; merge the shards with loadcheck merge")
	f.StringVar(&o.start, "start", "", "begin the load at this time (RFC 3339 or Unix seconds; default $"+StartEnv+"): every shard of a run waits for it")
	return c
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s: want %s, got %d arguments — see %s --help", c.CommandPath(), what, len(args), c.CommandPath())}
		}
		return nil
	}
}

// plan loads the scenario and target named by the flags.
func plan(scenarioFile, targetFile string, duration time.Duration, rate string) (*scenario.Scenario, *scenario.Target, error) {
	sc, err := scenario.Load(scenarioFile)
	if err != nil {
		return nil, nil, err
	}
	if duration < 0 {
		return nil, nil, usageError{fmt.Errorf("--duration %s: want a positive duration such as 30s", duration)}
	}
	if duration > 0 {
		sc = sc.WithDuration(duration)
	}
	if rate != "" {
		r, err := scenario.ParseRate(rate)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("--rate: %v", err)}
		}
		sc = sc.WithRate(r)
	}
	if duration > 0 || rate != "" {
		var flags []string
		if duration > 0 {
			flags = append(flags, "--duration "+duration.String())
		}
		if rate != "" {
			flags = append(flags, "--rate "+rate)
		}
		if err := sc.CheckSends(strings.Join(flags, " ")); err != nil {
			return nil, nil, usageError{err}
		}
	}
	var tg *scenario.Target
	if targetFile == "" {
		tg, err = sc.LoadTarget()
	} else {
		tg, err = scenario.LoadTarget(targetFile)
	}
	if err != nil {
		return nil, nil, err
	}
	return sc, tg, nil
}

// onceValue is a string flag that may be given once: a second value would
// silently replace the first.
type onceValue struct {
	p    *string
	set  bool
	what string // why once, for the error
}

func (v *onceValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v *onceValue) Set(s string) error {
	if v.set {
		return fmt.Errorf("given twice (%s, then %s): %s", *v.p, s, v.what)
	}
	*v.p, v.set = s, true
	return nil
}

func (v *onceValue) Type() string { return "string" }

// checkDurationFlag refuses a --duration of 0 or less given on the
// command line: 0 is the flag's "not set", which would silently run the
// scenario's own duration.
func checkDurationFlag(c *cobra.Command) error {
	f := c.Flags().Lookup("duration")
	if f == nil || !f.Changed {
		return nil
	}
	if d, err := time.ParseDuration(f.Value.String()); err == nil && d <= 0 {
		return usageError{fmt.Errorf("--duration %s: want a measured phase longer than 0s, e.g. 30s — see %s --help", f.Value, c.CommandPath())}
	}
	return nil
}

func runRun(c *cobra.Command, o *runOptions, stdout, stderr io.Writer) error {
	if err := checkReportFormat(stdout, o.format); err != nil {
		return err
	}
	sc, tg, err := plan(o.scenario, o.target, o.duration, o.rate)
	if err != nil {
		return err
	}
	outDir, err := prepareOut(o.out, stderr)
	if err != nil {
		return err
	}
	opts := run.Options{Scenario: sc, Target: tg, Version: Version, Checkpoint: checkpointer(outDir, stderr)}
	if err := shardOptions(&opts, o, sc.Name); err != nil {
		return err
	}
	if wait := time.Until(opts.Start); wait > 0 {
		// In a pod's log, the wait must not look like a hang.
		fmt.Fprintf(stderr, "loadcheck: the load begins at --start %s, in %s\n", opts.Start.UTC().Format(time.RFC3339), wait.Round(time.Second))
	}
	if !o.quiet && isTerminal(stderr) {
		opts.Progress = stderr
	}
	if o.verbose {
		opts.TargetLog = stderr
	}
	res, err := run.Execute(c.Context(), opts)
	if res == nil {
		return err
	}
	if werr := render(stdout, res, o.format); werr != nil {
		return werr
	}
	if serr := saveResult(res, outDir, stderr); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if res.Shard != nil {
		// A shard's gates see only its share: loadcheck merge judges.
		fmt.Fprintf(stderr, "shard %d/%d: gates are judged on the merged result — run loadcheck merge on every shard's result\n", res.Shard.Index, res.Shard.Count)
		return nil
	}
	if !res.Pass {
		return errGatesFailed
	}
	return nil
}

// checkPageOnTerminal refuses --format html when stdout is a terminal:
// a page of SVG (some 70 KB) scrolls past unread; the message says how
// to keep it. It runs before anything is measured.
func checkPageOnTerminal(stdout io.Writer, format string) error {
	if format == report.FormatHTML && isTerminal(stdout) {
		return usageError{fmt.Errorf("--format html writes a whole page, not a terminal report: redirect it to a file, e.g. > report.html, and open that in a browser")}
	}
	return nil
}

func checkFormat(f string, allowed ...string) error {
	for _, a := range allowed {
		if f == a {
			return nil
		}
	}
	return usageError{fmt.Errorf("--format %q: want one of %v", f, allowed)}
}

// render writes doc to w in format; a table for a terminal follows the
// terminal's width (a comparison too wide for it becomes a block per
// target).
func render(w io.Writer, doc result.Document, format string) error {
	if format == report.FormatTable {
		if width := terminalWidth(w); width > 0 {
			return report.RenderTerminal(w, doc, width)
		}
	}
	return report.Render(w, doc, format)
}

// prepareOut creates --out when missing and checks that it is writable
// before minutes are spent measuring. An unusable folder is not fatal: the
// result then goes to the system's temporary folder, and the run says so.
func prepareOut(dir string, stderr io.Writer) (string, error) {
	if dir == "" {
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		f, err := os.CreateTemp(dir, ".loadcheck-probe-*")
		if err == nil {
			f.Close()
			os.Remove(f.Name())
			return dir, nil
		}
		fmt.Fprintf(stderr, "loadcheck: warning: --out %s is not writable (%v); the result will be saved in %s instead\n", dir, errors.Unwrap(err), os.TempDir())
	} else {
		fmt.Fprintf(stderr, "loadcheck: warning: --out %s cannot be created (%v); the result will be saved in %s instead\n", dir, err, os.TempDir())
	}
	return dir, nil
}

// checkpointer returns a run.Options.Checkpoint that writes the result so
// far into dir, where the final result replaces it; nil without dir. The
// first failure is reported once: the run goes on.
func checkpointer(dir string, stderr io.Writer) func(*result.Result) {
	if dir == "" {
		return nil
	}
	var warned bool
	return func(r *result.Result) {
		if _, err := r.Save(dir); err != nil && !warned {
			warned = true
			fmt.Fprintf(stderr, "loadcheck: warning: checkpoint: --out %v\n", err)
		}
	}
}

// saveTo returns a capacity.Options.Save that writes each result into dir
// as the run goes: capacity hands results over, cli writes every file.
// Its errors name flag, the flag that gave dir. Nil without dir.
func saveTo(flag, dir string) func(*result.Result) error {
	if dir == "" {
		return nil
	}
	return func(r *result.Result) error {
		if _, err := r.Save(dir); err != nil {
			return fmt.Errorf("%s %w", flag, err)
		}
		return nil
	}
}

// saveResult writes the result into dir, or, when dir fails, into the
// temporary folder; an error reports the failed --out either way.
func saveResult(res *result.Result, dir string, stderr io.Writer) error {
	if dir == "" {
		return nil
	}
	path, err := res.Save(dir)
	if err == nil {
		fmt.Fprintf(stderr, "result: %s\n", path)
		return nil
	}
	if fb, ferr := res.Save(os.TempDir()); ferr == nil {
		fmt.Fprintf(stderr, "loadcheck: the result was saved to %s instead\n", fb)
	}
	return usageError{fmt.Errorf("--out %w", err)}
}

// A terminal is an output that says it is a terminal and how wide it is;
// tests hand one to Main to stand in for a real terminal.
type terminal interface {
	io.Writer
	TerminalWidth() int
}

// terminalWidth is w's width in columns when w is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	if t, ok := w.(terminal); ok {
		return t.TerminalWidth()
	}
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

func isTerminal(w io.Writer) bool {
	if t, ok := w.(terminal); ok {
		return t.TerminalWidth() > 0
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
