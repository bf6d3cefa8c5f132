package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loadcheck/loadcheck/internal/capacity"
)

// saturateOptions are the flags of saturate.
type saturateOptions struct {
	scenario string
	target   string
	out      string
	searchFlags
	settle time.Duration
	reportFlags
}

func newSaturateCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &saturateOptions{}
	c := &cobra.Command{
		Use:   "saturate SCENARIO",
		Short: "Find the highest arrival rate at which every gate holds",
		Long: `Raise the arrival rate step by step until a gate fails, then bisect between the
last rate that passed and the first that failed. Each step is one run of the
scenario at a constant rate (the target started and stopped each time), held
long enough for the gates to mean something: by default the scenario's
duration, at least 20 s and at least the sustained CPU window (30 s by
default), so that cpu.sustained covers a full window. The rate doubles from --from (default: the
scenario's highest rate); when even the first step fails it halves instead.

Prints each step (rate, p95, errors, CPU, pass/fail and the failing gates)
and the capacity: the highest passing rate, the gate that limited it, and
the headroom against the scenario's production rate. An abort condition
that fires forbids higher rates: none is tried, and the search still
bisects below the aborted rate. A search that reaches --max or --max-steps
with every gate holding reports the capacity as at least that rate.

Exit codes: 0 a capacity was found, at least the production rate when the
scenario names one · 1 no rate passed, or the capacity is below today's
traffic · 2 bad input or a target that did not start · 130 interrupted (the
steps so far are still reported).`,
		Example: `  loadcheck saturate scenarios/prelaunch.yaml
  loadcheck saturate scenarios/prelaunch.yaml --target targets/titan-1w.yaml --from 5/s --step 30s
  loadcheck saturate scenarios/prelaunch.yaml --format html > capacity.html`,
		Args: exactArgs(1, "SCENARIO"),
		RunE: func(c *cobra.Command, args []string) error {
			o.scenario = args[0]
			return runSaturate(c, o, stdout, stderr)
		},
	}
	f := c.Flags()
	addTargetFlag(f, &o.target, "saturate searches one target's capacity: run it once per target")
	f.StringVar(&o.out, "out", defaultOut, "folder for the search's JSON (created if missing; '' writes none)")
	o.searchFlags.add(f)
	f.Var(newDurationValue(&o.settle, 2*time.Second), "settle", "pause between two steps")
	o.reportFlags.add(f, reportFormatUsage, "lines", "target's")
	return c
}

// searchFlags are the flags of a capacity search, shared by saturate and
// nightly.
type searchFlags struct {
	step      time.Duration
	from, max rateValue
	precision percentValue
	maxSteps  int
}

// add registers the search's flags. The first rate was --start, which in
// run is a time: it is still read, hidden, and checkSearchFlags says it is
// renamed.
func (s *searchFlags) add(f *pflag.FlagSet) {
	s.precision = 10
	f.Var(newDurationValue(&s.step, 0), "step", "how long each step holds its rate (default: the scenario's duration, at least 20s and the sustained_window)")
	f.Var(&s.from, "from", "first rate, e.g. 10/s (default: the scenario's highest rate)")
	f.Var(&s.from, "start", "the old name of --from")
	_ = f.MarkHidden("start")
	f.Var(&s.max, "max", "highest rate tried (default 10000/s)")
	f.Var(&s.precision, "precision", "bisect until the failing rate is within this of the passing one")
	f.IntVar(&s.maxSteps, "max-steps", 25, "at most this many steps")
}

// checkSearchFlags refuses --start given with --from, and says on stderr
// that --start is now --from.
func checkSearchFlags(f *pflag.FlagSet, stderr io.Writer) error {
	if !f.Changed("start") {
		return nil
	}
	if f.Changed("from") {
		return usageError{fmt.Errorf("--start and --from: both set the first rate; give --from only")}
	}
	fmt.Fprintln(stderr, "loadcheck: --start is deprecated here, use --from: it is the first rate of the search (run's --start is a time)")
	return nil
}

func runSaturate(c *cobra.Command, o *saturateOptions, stdout, stderr io.Writer) error {
	if err := checkReportFormat(stdout, o.format); err != nil {
		return err
	}
	if err := checkSearchFlags(c.Flags(), stderr); err != nil {
		return err
	}
	if o.step < 0 || o.settle < 0 || o.maxSteps < 1 {
		return usageError{fmt.Errorf("--step %s, --settle %s, --max-steps %d: want durations of 0 or more and at least 1 step", o.step, o.settle, o.maxSteps)}
	}
	sc, tg, err := plan(o.scenario, o.target, 0, "")
	if err != nil {
		return err
	}
	outDir, err := prepareOut(o.out, stderr)
	if err != nil {
		return err
	}
	co := capacityOptions(o.quiet, o.verbose, o.settle, stderr)
	co.Save = saveTo("--out", outDir) // each step's result as soon as it ends
	so := capacity.SaturateOptions{
		Options: co,
		Hold:    o.step, Start: float64(o.from), Max: float64(o.max), Precision: float64(o.precision), MaxSteps: o.maxSteps,
	}
	s, err := capacity.Saturate(c.Context(), sc, tg, so)
	if s == nil {
		return usageError{err}
	}
	if werr := render(stdout, s, o.format); werr != nil {
		return werr
	}
	if outDir != "" {
		if serr := saveDoc(outDir, "saturate-"+s.ID+".json", s, stderr); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		return err
	}
	if !s.Pass {
		return errGatesFailed
	}
	return nil
}
