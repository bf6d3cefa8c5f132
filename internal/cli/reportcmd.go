package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/result"
)

func newReportCmd(stdout io.Writer) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "report RESULT.json…",
		Short: "Re-render saved results; two or more are laid out side by side",
		Long: `Re-render a saved document — a run's result (run --out), a comparison, a
capacity search or a nightly report.json — in any format. Two or more run
results are laid out like compare: a column per result, the change against
the first, and PASS/FAIL per gate.

Exit codes: 0 rendered · 2 a file that cannot be read.`,
		Example: `  loadcheck report reports/runs/20261123T100000Z-abcd1234.json --format md
  loadcheck report before.json after.json
  loadcheck report reports/nightly/2026-11-23/report.json --format junit > nightly.xml`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("report: want at least one RESULT.json — see loadcheck report --help")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkReportFormat(stdout, format); err != nil {
				return err
			}
			doc, err := readDocuments(args)
			if err != nil {
				return err
			}
			return render(stdout, doc, format)
		},
	}
	addFormatFlag(c.Flags(), &format, reportFormatUsage)
	return c
}

// readDocuments reads one document, or several run results as a
// comparison.
func readDocuments(paths []string) (result.Document, error) {
	var docs []result.Document
	for _, p := range paths {
		d, err := result.ReadDocument(p)
		if err != nil {
			return nil, usageError{err}
		}
		docs = append(docs, d)
	}
	if len(docs) == 1 {
		return docs[0], nil
	}
	var rs []*result.Result
	for i, d := range docs {
		r, ok := d.(*result.Result)
		if !ok {
			return nil, usageError{fmt.Errorf("%s: not a run's result: only run results can be laid side by side", paths[i])}
		}
		rs = append(rs, r)
	}
	return result.NewComparison(rs), nil
}
