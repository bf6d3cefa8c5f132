package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/report"
)

// versionInfo is what loadcheck version prints.
type versionInfo struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func currentVersion() versionInfo {
	return versionInfo{Version: buildVersion(Version, debug.ReadBuildInfo), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}

// buildVersion is set, the version the Makefile stamped in; without it
// (a plain go build or go install) the module version or the VCS
// revision Go recorded in the binary, e.g. "v1.2.0" or "f671ba3c0de1
// (modified)"; "dev" only when the binary records neither.
func buildVersion(set string, read func() (*debug.BuildInfo, bool)) string {
	if set != "" && set != "dev" {
		return set
	}
	bi, ok := read()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return rev[:min(12, len(rev))] + modified
}

func (v versionInfo) String() string {
	return fmt.Sprintf("loadcheck %s (%s %s/%s)", v.Version, v.Go, v.OS, v.Arch)
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	format := report.FormatTable
	c := &cobra.Command{
		Use:     "version",
		Short:   "Print loadcheck's version",
		Long:    "Print the version loadcheck was built as (the git description at build time), with the Go toolchain and platform.",
		Example: "  loadcheck version\n  loadcheck version --format json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, report.FormatTable, report.FormatJSON); err != nil {
				return err
			}
			v := currentVersion()
			if format == report.FormatJSON {
				return json.NewEncoder(stdout).Encode(v)
			}
			_, err := fmt.Fprintln(stdout, v)
			return err
		},
	}
	c.Flags().StringVar(&format, "format", format, "output format: table or json")
	return c
}
