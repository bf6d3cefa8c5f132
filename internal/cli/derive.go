package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/derive"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// maxFeedRows bounds --feed-rows: a feed is read whole into memory by
// every run of the scenario.
const maxFeedRows = 100_000

func newDeriveCmd(stdout io.Writer) *cobra.Command {
	o := derive.Options{Growth: 10, FeedRows: 1000, Weights: true}
	c := &cobra.Command{
		Use:   "derive LOG... --out SCENARIO.yaml",
		Short: "Write a scenario from a service's access logs: its routes, their mix, its values and its rates",
		Long: `Read access logs and write a scenario that loads the service the way
production does: one endpoint per route (numeric ids, UUIDs and long hex
segments become placeholders, query values feed columns) weighted by its
share of the requests, feeds of the values seen with their counts as weights
(beside the scenario: from-prod.yaml → from-prod.data/<endpoint>.csv),
production.rate at the mean rate, and a prelaunch ramp to --growth × the
peak minute. Routes under 0.5 % of the requests are left out unless --all.

Formats, detected per file, gzip'd or not: uvicorn access lines from
journalctl -o short-iso or -o json, a uvicorn log with a time, nginx or
gunicorn combined (with $request_time at the end, the service times per
route are shown). "-" reads standard input. Lines over 64 KiB are skipped
and counted; a file with no readable access line is an error (exit 2).`,
		Example: `  journalctl -u titan -o short-iso --since -7d | loadcheck derive - --out scenarios/from-prod.yaml
  loadcheck derive /var/log/nginx/access.log* --out scenarios/from-prod.yaml --growth 5`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("derive: want at least one LOG (- for standard input) — see loadcheck derive --help")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkDeriveFlags(o); err != nil {
				return err
			}
			return runDerive(c, args, o, stdout)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Out, "out", "", "the scenario file to write, e.g. scenarios/from-prod.yaml; feeds go beside it into <name>.data/")
	f.BoolVar(&o.All, "all", false, "keep routes under 0.5 % of the requests too")
	f.Float64Var(&o.Growth, "growth", o.Growth, "the prelaunch ramp ends at this multiple of the peak minute's rate")
	f.IntVar(&o.FeedRows, "feed-rows", o.FeedRows, "the most rows a feed keeps, the most frequent values first")
	f.BoolVar(&o.Weights, "weights", o.Weights, "write each value's count as the feed's weight column (--weights=false: every value alike)")
	return c
}

func checkDeriveFlags(o derive.Options) error {
	switch {
	case o.Out == "":
		return usageError{fmt.Errorf("derive: --out: want the scenario file to write, e.g. --out scenarios/from-prod.yaml")}
	case !(o.Growth >= 1 && o.Growth <= 1000):
		return usageError{fmt.Errorf("--growth %g: want a multiple of the peak from 1 to 1000, e.g. 10", o.Growth)}
	case o.FeedRows < 1 || o.FeedRows > maxFeedRows:
		return usageError{fmt.Errorf("--feed-rows %d: want 1 to %d", o.FeedRows, maxFeedRows)}
	}
	return nil
}

// runDerive reads the logs, prints what they held, and writes the
// scenario and its feeds; then it loads the scenario as run would.
func runDerive(c *cobra.Command, args []string, o derive.Options, stdout io.Writer) error {
	var inputs []derive.Input
	for _, name := range args {
		if name == "-" {
			inputs = append(inputs, derive.Input{Name: "standard input", R: c.InOrStdin()})
			continue
		}
		fh, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("derive: %v", err)
		}
		defer fh.Close()
		inputs = append(inputs, derive.Input{Name: name, R: fh})
	}
	t, err := derive.Read(c.Context(), inputs, o.FeedRows)
	if err != nil {
		return err
	}
	d, err := derive.Plan(t, o)
	if err != nil {
		return err
	}
	if err := derive.Summary(stdout, t, d); err != nil {
		return err
	}
	dir := filepath.Dir(o.Out)
	for _, f := range d.Feeds {
		path := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := result.WriteFileAtomic(path, func(w io.Writer) error { _, err := io.Copy(w, bytes.NewReader(f.Data)); return err }); err != nil {
			return err
		}
	}
	if err := result.WriteFileAtomic(o.Out, func(w io.Writer) error { _, err := w.Write(d.Scenario); return err }); err != nil {
		return err
	}
	sc, err := scenario.Load(o.Out)
	if err != nil {
		return fmt.Errorf("derive wrote a scenario that does not load, which is a bug in derive: %w", err)
	}
	fmt.Fprintf(stdout, "\nwrote %s: %d endpoints, production.rate %s, a ramp to %g × the peak minute over %s", o.Out, len(sc.HTTP.Endpoints), sc.Production, o.Growth, sc.Duration)
	if len(d.Feeds) > 0 {
		fmt.Fprintf(stdout, "; %d feeds in %s", len(d.Feeds), filepath.Join(dir, filepath.Dir(d.Feeds[0].Path)))
	}
	fmt.Fprintln(stdout)
	return nil
}
