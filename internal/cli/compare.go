package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/capacity"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// compareOptions are the flags of compare.
type compareOptions struct {
	scenario string
	targets  []string
	out      string
	duration time.Duration
	rate     string
	settle   time.Duration
	reportFlags
}

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &compareOptions{}
	c := &cobra.Command{
		Use:   "compare SCENARIO --target A.yaml --target B.yaml…",
		Short: "Run one scenario against several targets and compare them side by side",
		Long: `Run the scenario against each target in turn — each started, made ready,
measured and stopped, with a pause between them so the machine settles — and
print a side-by-side table: a column per target, a row per metric that
matters, the change against the first target, PASS/FAIL per gate per target,
and a verdict per target naming each failing gate with its measured value.

Exit codes: 0 every target passed every gate · 1 a gate failed or an abort
condition fired on some target · 2 bad input or a target that did not start ·
130 interrupted (the targets measured so far are still reported).`,
		Example: `  loadcheck compare scenarios/prelaunch.yaml --target targets/sim-1w.yaml --target targets/sim-2w.yaml
  loadcheck compare scenarios/smoke.yaml --target targets/titan-1w.yaml --target targets/titan-2w.yaml --format html > compare.html`,
		Args: exactArgs(1, "SCENARIO"),
		RunE: func(c *cobra.Command, args []string) error {
			o.scenario = args[0]
			return runCompare(c, o, stdout, stderr)
		},
	}
	f := c.Flags()
	addTargetsFlag(f, &o.targets)
	f.StringVar(&o.out, "out", defaultOut, "folder for each result JSON and the comparison JSON (created if missing; '' writes none)")
	f.Var(newDurationValue(&o.duration, 0), "duration", "override the measured duration, e.g. 30s")
	f.StringVar(&o.rate, "rate", "", "override the load with a constant rate, e.g. 20/s or 40/min")
	f.Var(newDurationValue(&o.settle, 5*time.Second), "settle", "pause between two targets")
	o.reportFlags.add(f, reportFormatUsage, "lines", "targets'")
	return c
}

// planTargets loads the scenario and every target file; with no target
// files, the scenario's own target.
func planTargets(scenarioFile string, targetFiles []string, duration time.Duration, rate string) (*scenario.Scenario, []*scenario.Target, error) {
	first := ""
	if len(targetFiles) > 0 {
		first = targetFiles[0]
	}
	sc, tg, err := plan(scenarioFile, first, duration, rate)
	if err != nil {
		return nil, nil, err
	}
	targets := []*scenario.Target{tg}
	for _, f := range targetFiles[min(1, len(targetFiles)):] {
		t, err := scenario.LoadTarget(f)
		if err != nil {
			return nil, nil, err
		}
		targets = append(targets, t)
	}
	return sc, targets, nil
}

// capacityOptions are the options of every capacity command, from the
// common flags.
func capacityOptions(quiet, verbose bool, settle time.Duration, stderr io.Writer) capacity.Options {
	o := capacity.Options{Version: Version, Settle: settle}
	if !quiet {
		o.Log = stderr
		if isTerminal(stderr) {
			o.Progress = stderr
		}
	}
	if verbose {
		o.TargetLog = stderr
	}
	return o
}

func runCompare(c *cobra.Command, o *compareOptions, stdout, stderr io.Writer) error {
	if err := checkReportFormat(stdout, o.format); err != nil {
		return err
	}
	if o.settle < 0 {
		return usageError{fmt.Errorf("--settle %s: want 0 or more, e.g. 5s", o.settle)}
	}
	sc, targets, err := planTargets(o.scenario, o.targets, o.duration, o.rate)
	if err != nil {
		return err
	}
	outDir, err := prepareOut(o.out, stderr)
	if err != nil {
		return err
	}
	co := capacityOptions(o.quiet, o.verbose, o.settle, stderr)
	co.Save = saveTo("--out", outDir) // each run's result as soon as it ends
	cmp, err := capacity.Compare(c.Context(), sc, targets, co)
	if cmp == nil {
		return err
	}
	if werr := render(stdout, cmp, o.format); werr != nil {
		return werr
	}
	if outDir != "" {
		for _, r := range cmp.Results {
			if serr := saveResult(r, outDir, stderr); serr != nil && err == nil {
				err = serr
			}
		}
		if serr := saveDoc(outDir, "compare-"+cmp.Results[0].RunID+".json", cmp, stderr); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return err
	}
	if !cmp.Pass {
		return errGatesFailed
	}
	return nil
}

// saveDoc writes a document as JSON into dir, atomically.
func saveDoc(dir, name string, doc result.Document, stderr io.Writer) error {
	path := filepath.Join(dir, name)
	err := result.WriteFileAtomic(path, func(w io.Writer) error { return report.Render(w, doc, report.FormatJSON) })
	if err != nil {
		return usageError{fmt.Errorf("--out %s: %v", dir, err)}
	}
	fmt.Fprintf(stderr, "result: %s\n", path)
	return nil
}

// percentValue is a flag holding a percentage, written "10%" or "10".
type percentValue float64

func (p *percentValue) String() string { return strconv.FormatFloat(float64(*p), 'f', -1, 64) + "%" }

func (p *percentValue) Set(s string) error {
	t := strings.TrimSpace(s)
	if !strings.HasSuffix(t, "%") {
		t += "%" // the flag also takes a bare number
	}
	f, err := unit.ParsePercent(t)
	if err != nil || !(f > 0 && f < 100) { // also NaN
		return fmt.Errorf("want a percentage between 0 and 100 such as 10%%, got %q", s)
	}
	*p = percentValue(f)
	return nil
}

func (p *percentValue) Type() string { return "percent" }

// rateValue is a flag holding an arrival rate, written "20/s" or
// "40/min"; it stores requests per second, 0 when unset.
type rateValue float64

func (r *rateValue) String() string {
	if *r == 0 {
		return ""
	}
	return unit.FormatRoundRate(float64(*r))
}

func (r *rateValue) Set(s string) error {
	v, err := scenario.ParseRate(s)
	if err != nil {
		return err
	}
	if v.PerSecond() <= 0 {
		return fmt.Errorf("rate %q: want more than 0", s)
	}
	*r = rateValue(v.PerSecond())
	return nil
}

func (r *rateValue) Type() string { return "rate" }
