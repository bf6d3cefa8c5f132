package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/merge"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
)

// StartEnv is the environment variable --start falls back to, so a
// Kubernetes Job can hand every pod the same start time.
const StartEnv = "LOADCHECK_START"

// parseShard reads --shard K/N.
func parseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(a)
	n, nerr := strconv.Atoi(b)
	if !ok || kerr != nil || nerr != nil {
		return 0, 0, usageError{fmt.Errorf("--shard %q: want K/N, e.g. 2/4 for the second of four shards", s)}
	}
	return k, n, nil
}

// parseStart reads --start, or $LOADCHECK_START when the flag is empty:
// an RFC 3339 time or Unix seconds.
func parseStart(s string) (time.Time, error) {
	from := "--start"
	if s == "" {
		s, from = os.Getenv(StartEnv), StartEnv
	}
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec > 0 {
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, usageError{fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-12-01T15:04:05Z, or Unix seconds", from, s)}
}

// shardOptions fills the start time and shard of a run from the flags.
func shardOptions(opts *run.Options, o *runOptions, scenarioName string) error {
	start, err := parseStart(o.start)
	if err != nil {
		return err
	}
	opts.Start = start
	if o.shard == "" {
		return nil
	}
	k, n, err := parseShard(o.shard)
	if err != nil {
		return err
	}
	if opts.Shard, err = run.Shard(k, n, scenarioName, start); err != nil {
		return usageError{err}
	}
	return nil
}

func newMergeCmd(stdout, stderr io.Writer) *cobra.Command {
	var out, format string
	c := &cobra.Command{
		Use:   "merge RESULT.json…",
		Short: "Merge the results of the shards of one run and check its gates",
		Long: `Merge the results of every shard of one sharded run (run --shard K/N) into
one result, exactly: HDR histograms merged, counters summed, timelines
aligned by wall time, broadcast deliveries of every board joined by event
id. The scenario's gates are judged on the merged result.

Exit codes, as run's: 0 every gate held · 1 a gate failed, or a shard was
cut short · 2 a file that cannot be read, results of different scenarios
or runs, or a shard missing or given twice.`,
		Example: `  loadcheck merge results/shard-*.json --out reports/runs
  loadcheck merge s1.json s2.json s3.json s4.json --format html > merged.html`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("merge: want the RESULT.json of every shard — see loadcheck merge --help")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runMerge(args, out, format, stdout, stderr)
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder for the merged result JSON (created if missing)")
	addFormatFlag(c.Flags(), &format, reportFormatUsage)
	return c
}

func runMerge(files []string, out, format string, stdout, stderr io.Writer) error {
	if err := checkReportFormat(stdout, format); err != nil {
		return err
	}
	var shards []merge.Shard
	for _, f := range files {
		r, err := result.ReadFile(f)
		if err != nil {
			return usageError{err}
		}
		shards = append(shards, merge.Shard{File: f, Result: r})
	}
	res, err := merge.Results(shards)
	if err != nil {
		return usageError{err}
	}
	outDir, err := prepareOut(out, stderr)
	if err != nil {
		return err
	}
	if err := render(stdout, res, format); err != nil {
		return err
	}
	if err := saveResult(res, outDir, stderr); err != nil {
		return err
	}
	if !res.Pass {
		return errGatesFailed
	}
	return nil
}
