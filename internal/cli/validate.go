package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/unit"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// validation is what validate --format json prints for one file.
type validation struct {
	File    string `json:"file"`
	OK      bool   `json:"ok"`
	Summary string `json:"summary,omitempty"`
	Error   string `json:"error,omitempty"`
}

func newValidateCmd(stdout io.Writer) *cobra.Command {
	format := report.FormatTable
	c := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario and target files without sending traffic",
		Long: `Check scenario and target files: syntax, fields, units, gates, feeders and
environment variables. A scenario's default target is checked too. A file
with a top-level base_url is a target; any other is a scenario.
Exit 0 when every file is valid, 2 otherwise.`,
		Example: "  loadcheck validate scenarios/*.yaml targets/*.yaml",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("validate: want at least one FILE — see loadcheck validate --help")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, report.FormatTable, report.FormatJSON); err != nil {
				return err
			}
			var errs []error
			var out []validation
			for _, f := range args {
				// Each file takes well under a second (the bounds of
				// scenario.Load); Ctrl-C takes effect between files.
				if err := c.Context().Err(); err != nil {
					return err
				}
				msg, err := validateFile(f)
				v := validation{File: f, OK: err == nil, Summary: msg}
				if err != nil {
					errs = append(errs, err)
					v.Error = err.Error()
				} else if format == report.FormatTable {
					fmt.Fprintf(stdout, "ok  %s: %s\n", f, msg)
				}
				out = append(out, v)
			}
			if format == report.FormatJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			}
			return errors.Join(errs...)
		},
	}
	c.Flags().StringVar(&format, "format", format, "output format: table or json (a list of {file, ok, summary, error})")
	return c
}

func validateFile(path string) (string, error) {
	if isTarget(path) {
		t, err := scenario.LoadTarget(path)
		if err != nil {
			return "", err
		}
		how := "started by loadcheck"
		if t.Start == nil {
			how = "not started by loadcheck: " + runningState(t)
		}
		if t.Remote() {
			how += " on another machine (allow_remote)"
		}
		if t.TLS.InsecureSkipVerify {
			how += " — WARNING: its TLS certificate will NOT be verified (tls.insecure_skip_verify)"
		}
		return fmt.Sprintf("target %q, %s", t.Name, how), nil
	}
	sc, err := scenario.Load(path)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("scenario %q, %s, %s, %s measured", sc.Name,
		unit.Plural(len(sc.HTTP.Endpoints), "endpoint", "endpoints"), unit.Plural(len(sc.Gates), "gate", "gates"), sc.Duration)
	if sc.TargetFile != "" {
		t, err := sc.LoadTarget()
		if err != nil {
			return "", err
		}
		if err := scenario.CheckDownstreamGates(sc, t); err != nil {
			return "", err
		}
		msg += ", target " + sc.TargetFile
	}
	return msg, nil
}

// runningState checks, for a target loadcheck does not start, what run
// checks on this machine before it sends anything: that something listens
// at base_url (a TCP connection, no request) and that the resource source
// is there (the process, the cgroup, the systemd unit). These depend on
// the moment, so they are said, not failed: "run would refuse it now".
// Nothing is dialled on another machine.
func runningState(t *scenario.Target) string {
	var notes []string
	if !t.Remote() {
		u, err := url.Parse(t.BaseURL)
		if err == nil {
			addr := u.Host
			if u.Port() == "" {
				port := "80"
				if u.Scheme == "https" {
					port = "443"
				}
				addr = net.JoinHostPort(u.Hostname(), port)
			}
			if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err != nil {
				notes = append(notes, fmt.Sprintf("WARNING: nothing listens at %s now, so run would refuse it — start the service first, or give the target a start: section", addr))
			} else {
				c.Close()
				notes = append(notes, "listening at "+addr+" now")
			}
		}
	}
	if !t.Resources.IsZero() && !t.Remote() {
		if _, err := resource.New(t.Resources, 0, scenario.Resources{}); err != nil {
			notes = append(notes, fmt.Sprintf("WARNING: %s: %s, so run would refuse it now — fix the source or start what it names first",
				t.Where("$.resources"), strings.Join(strings.Fields(err.Error()), " ")))
		}
	}
	return "run expects it at " + t.BaseURL + "; " + strings.Join(notes, "; ")
}

// isTarget reports whether the file at path has a top-level base_url, as
// every target file does. It reads no more than a scenario or target file
// may hold; the loader reports a file it cannot read.
func isTarget(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() > yamlfile.MaxFileBytes {
		return false // the loader reports it
	}
	b, _ := io.ReadAll(io.LimitReader(f, yamlfile.MaxFileBytes))
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(b, []byte("base_url:")) || bytes.Contains(b, []byte("\nbase_url:"))
}
