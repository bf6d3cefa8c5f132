package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadcheck/loadcheck/internal/report"
)

// The flags several commands share are defined here once: their names,
// defaults and checks. Each command words their help for itself.

// reportFlags are the flags of the commands that measure a target and
// report on it (run, compare, saturate, nightly): the report's format and
// what they show on stderr while they measure.
type reportFlags struct {
	format  string
	quiet   bool
	verbose bool
}

// add registers --format (formatUsage with %s for the formats), --quiet
// (no progress what) and --verbose (show whose output on stderr).
func (r *reportFlags) add(f *pflag.FlagSet, formatUsage, what, whose string) {
	addFormatFlag(f, &r.format, formatUsage)
	f.BoolVarP(&r.quiet, "quiet", "q", false, "no progress "+what)
	f.BoolVarP(&r.verbose, "verbose", "v", false, "show the "+whose+" output on stderr")
}

// addTargetFlag registers --target, the one target file of a command that
// measures one (run, saturate); given twice, the error says why: once.
func addTargetFlag(f *pflag.FlagSet, p *string, once string) {
	f.Var(&onceValue{p: p, what: once}, "target", "target file (default: the scenario's target)")
}

// addTargetsFlag registers --target, repeated, for a command that
// measures several targets (compare, nightly).
func addTargetsFlag(f *pflag.FlagSet, p *[]string) {
	f.StringArrayVar(p, "target", nil, "target file; repeat for each target, the first is the baseline (default: the scenario's target)")
}

// reportFormatUsage is the usage of --format in most commands.
const reportFormatUsage = "report format: %s"

// addFormatFlag registers --format, a report format (report.Formats),
// table by default; usage has %s for the formats.
func addFormatFlag(f *pflag.FlagSet, p *string, usage string) {
	f.StringVar(p, "format", report.FormatTable, fmt.Sprintf(usage, strings.Join(report.Formats(), ", ")))
}

// checkReportFormat refuses a --format that is not a report format, and
// one that writes a page to a terminal (checkPageOnTerminal).
func checkReportFormat(stdout io.Writer, format string) error {
	if err := checkFormat(format, report.Formats()...); err != nil {
		return err
	}
	return checkPageOnTerminal(stdout, format)
}
