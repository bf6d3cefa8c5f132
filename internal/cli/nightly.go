package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/capacity"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/report/prometheus"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// nightlyOptions are the flags of nightly.
type nightlyOptions struct {
	scenario string
	targets  []string
	history  string
	date     string
	saturate bool
	duration time.Duration
	rate     string
	settle   time.Duration
	searchFlags
	p95Growth    percentValue
	p95Floor     time.Duration
	capacityDrop percentValue
	baseline     int
	textfile     string
	reportFlags
}

func newNightlyCmd(stdout, stderr io.Writer) *cobra.Command {
	th := result.DefaultThresholds()
	o := &nightlyOptions{p95Growth: percentValue(th.P95Growth), capacityDrop: percentValue(th.CapacityDrop)}
	c := &cobra.Command{
		Use:   "nightly --scenario SCENARIO --target A.yaml [--target B.yaml…] [--history reports/] [--saturate]",
		Short: "Compare (and saturate) every night, keep a history, flag regressions",
		Long: `Run compare on the targets (and a capacity search on each with --saturate),
write the night's report to HISTORY/nightly/YYYY-MM-DD/ as report.json,
report.md and report.html (with the trend over the last 30 nights), add one
line per target to HISTORY/history.jsonl, and compare with earlier nights.
A regression is flagged when an endpoint's p95 grows by more than
--p95-growth (and by at least --p95-floor), the capacity drops by more than
--capacity-drop, or broadcast loss appears where there was none; the
baseline is the median of the last --baseline earlier nights.

Each run's result is written to the night's folder as soon as the run ends
(with checkpoints while it runs), so a crash keeps every step measured. The
history file is rewritten atomically: a crash leaves the old file or the
new one, never a partial line. Running a night again replaces its lines in
the history, and writes its report to HISTORY/nightly/YYYY-MM-DD.2/ (.3/…):
the earlier run's files are kept. A night cut short writes its report but
adds nothing to the history.

Exit codes: 0 every gate held and nothing regressed · 1 a gate failed, a
capacity search failed, or a regression · 2 bad input or a target that did
not start · 130 interrupted.`,
		Example: `  loadcheck nightly --scenario scenarios/prelaunch.yaml --target targets/sim-1w.yaml --target targets/sim-2w.yaml
  loadcheck nightly --scenario scenarios/prelaunch.yaml --target targets/titan-1w.yaml --saturate --history /var/lib/loadcheck`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1 && o.scenario != "") {
				return usageError{fmt.Errorf("nightly: want the scenario once, as --scenario FILE — see loadcheck nightly --help")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.scenario = args[0]
			}
			if o.scenario == "" {
				return usageError{fmt.Errorf("nightly: want --scenario FILE — see loadcheck nightly --help")}
			}
			return runNightly(c, o, stdout, stderr)
		},
	}
	f := c.Flags()
	f.StringVar(&o.scenario, "scenario", "", "scenario file")
	addTargetsFlag(f, &o.targets)
	f.StringVar(&o.history, "history", defaultHistory, "reports folder: nightly/YYYY-MM-DD/ and history.jsonl go here")
	f.StringVar(&o.date, "date", "", "the night's date, YYYY-MM-DD (default: today, local time)")
	f.BoolVar(&o.saturate, "saturate", false, "also search each target's capacity")
	f.Var(newDurationValue(&o.duration, 0), "duration", "override the measured duration of the compare runs, e.g. 30s")
	f.StringVar(&o.rate, "rate", "", "override the compare load with a constant rate, e.g. 20/s")
	f.Var(newDurationValue(&o.settle, 5*time.Second), "settle", "pause between two runs")
	o.searchFlags.add(f)
	f.Var(&o.p95Growth, "p95-growth", "flag an endpoint whose p95 grew by more than this")
	f.Var(newDurationValue(&o.p95Floor, th.P95Floor), "p95-floor", "ignore p95 growth smaller than this")
	f.Var(&o.capacityDrop, "capacity-drop", "flag a capacity that dropped by more than this")
	f.IntVar(&o.baseline, "baseline", th.Baseline, "earlier nights the baseline median is taken over")
	f.StringVar(&o.textfile, "textfile", "", "also write the night in Prometheus format to DIR/"+prometheus.TextfileName("SCENARIO")+", atomically, for node_exporter's textfile collector")
	o.reportFlags.add(f, "what to print: %s (the files are written either way)", "lines", "targets'")
	return c
}

func runNightly(c *cobra.Command, o *nightlyOptions, stdout, stderr io.Writer) error {
	if err := checkReportFormat(stdout, o.format); err != nil {
		return err
	}
	if err := checkSearchFlags(c.Flags(), stderr); err != nil {
		return err
	}
	if o.date != "" {
		if _, err := time.Parse("2006-01-02", o.date); err != nil {
			return usageError{fmt.Errorf("--date %q: want YYYY-MM-DD", o.date)}
		}
	}
	if o.settle < 0 || o.step < 0 || o.p95Floor < 0 || o.baseline < 1 || o.maxSteps < 1 {
		return usageError{fmt.Errorf("nightly: --settle, --step and --p95-floor want 0 or more, --baseline and --max-steps at least 1")}
	}
	if err := checkTextfileDir(o.textfile); err != nil {
		return err
	}
	sc, targets, err := planTargets(o.scenario, o.targets, o.duration, o.rate)
	if err != nil {
		return err
	}
	opts := capacityOptions(o.quiet, o.verbose, o.settle, stderr)
	no := capacity.NightlyOptions{
		Options: opts, Date: o.date, Saturate: o.saturate,
		Search: capacity.SaturateOptions{Hold: o.step, Start: float64(o.from), Max: float64(o.max), Precision: float64(o.precision), MaxSteps: o.maxSteps},
		Threshold: result.Thresholds{
			P95Growth: float64(o.p95Growth), P95Floor: o.p95Floor, CapacityDrop: float64(o.capacityDrop), Baseline: o.baseline,
		},
	}
	n, files, err := night(c.Context(), sc, targets, no, o.history)
	if n == nil {
		return err
	}
	if werr := render(stdout, n, o.format); werr != nil {
		return werr
	}
	fmt.Fprintf(stderr, "report: %s (report.json, report.md, report.html)\nhistory: %s\n", files.Dir, files.History)
	if err != nil {
		// A night cut short would put partial figures on dashboards.
		return err
	}
	if o.textfile != "" {
		path, terr := writeTextfile(o.textfile, n)
		if terr != nil {
			return terr
		}
		fmt.Fprintf(stderr, "textfile: %s\n", path)
	}
	if !n.Pass {
		return errGatesFailed
	}
	return nil
}

// nightlyFiles names what a nightly run wrote.
type nightlyFiles struct {
	Dir, JSON, Markdown, HTML, History string
}

// night runs capacity.Nightly with the history read from
// dir/history.jsonl, and writes every file of the night: each run's result
// into dir/nightly/DATE/ as soon as the run ends (DATE.2/, DATE.3/… when
// the night already ran: an earlier run's files are measurements too, and
// are kept), then report.json, report.md and report.html there, and, when
// the night is complete, tonight's lines into the history.
func night(ctx context.Context, sc *scenario.Scenario, targets []*scenario.Target, no capacity.NightlyOptions, dir string) (*result.Nightly, nightlyFiles, error) {
	if no.Date == "" {
		no.Date = time.Now().Format("2006-01-02")
	}
	files := nightlyFiles{History: filepath.Join(dir, "history.jsonl")}
	var err error
	if files.Dir, err = nightFolder(filepath.Join(dir, "nightly"), no.Date); err != nil {
		return nil, files, fmt.Errorf("nightly: %v", err)
	}
	files.JSON = filepath.Join(files.Dir, "report.json")
	files.Markdown = filepath.Join(files.Dir, "report.md")
	files.HTML = filepath.Join(files.Dir, "report.html")
	history, skipped, err := result.ReadHistory(files.History)
	if err != nil {
		return nil, files, fmt.Errorf("nightly: history: %v", err)
	}
	if skipped > 0 && no.Log != nil {
		fmt.Fprintf(no.Log, "nightly: %s: %d lines that do not decode were skipped\n", files.History, skipped)
	}
	no.History = history
	if no.Save == nil {
		no.Save = saveTo("--history", files.Dir) // each run's result as soon as it ends
	}
	n, record, runErr := capacity.Nightly(ctx, sc, targets, no)
	if record != nil {
		if err := result.AppendHistory(files.History, record); err != nil {
			return nil, files, fmt.Errorf("nightly: history: %v", err)
		}
	}
	werr := errors.Join(
		result.WriteFileAtomic(files.JSON, func(w io.Writer) error { return report.Render(w, n, report.FormatJSON) }),
		result.WriteFileAtomic(files.Markdown, func(w io.Writer) error { return report.Render(w, n, report.FormatMarkdown) }),
		result.WriteFileAtomic(files.HTML, func(w io.Writer) error { return report.Render(w, n, report.FormatHTML) }),
	)
	if runErr != nil {
		return n, files, runErr
	}
	if werr != nil {
		return n, files, fmt.Errorf("nightly: %v", werr)
	}
	return n, files, nil
}

// nightFolder creates and returns the night's folder under dir: DATE, or,
// when a night of that date already has one, the first free DATE.N
// (N = 2, 3…). Creating it claims it, so two nightlies started together
// never share one.
func nightFolder(dir, date string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for n := 1; n < 1000; n++ {
		name := date
		if n > 1 {
			name = fmt.Sprintf("%s.%d", date, n)
		}
		p := filepath.Join(dir, name)
		err := os.Mkdir(p, 0o755)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: 999 folders for %s already: remove some", dir, date)
}

// checkTextfileDir checks, before the night runs, that --textfile names a
// folder: node_exporter reads its own folder, so loadcheck does not create
// one in the wrong place.
func checkTextfileDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return usageError{fmt.Errorf("--textfile %s: %v — name the folder node_exporter's --collector.textfile.directory reads", dir, errors.Unwrap(err))}
	}
	if !st.IsDir() {
		return usageError{fmt.Errorf("--textfile %s: not a folder — name the folder node_exporter's --collector.textfile.directory reads", dir)}
	}
	return nil
}

// writeTextfile writes the night in Prometheus format into dir through a
// temporary file and a rename: the collector reads only *.prom files, and
// never sees a partial one.
func writeTextfile(dir string, n *result.Nightly) (string, error) {
	scenario := ""
	if n.Comparison != nil && len(n.Comparison.Results) > 0 {
		scenario = n.Comparison.Results[0].Scenario.Name
	}
	path := filepath.Join(dir, prometheus.TextfileName(scenario))
	err := result.WriteFileAtomic(path, func(w io.Writer) error { return report.Render(w, n, report.FormatPrometheus) })
	if err != nil {
		return "", fmt.Errorf("--textfile: %w", err)
	}
	return path, nil
}
