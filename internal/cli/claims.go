package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/claims"
	"github.com/loadcheck/loadcheck/internal/result"
)

// defaultClaims is where make claims (scenarios/claims/run.sh) writes.
const defaultClaims = "reports/claims"

func newClaimsCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "claims [DIR]",
		Short: "Judge the scaling analysis' claims from the runs of make claims",
		Long: `Read the result JSON that make claims (scenarios/claims/run.sh) left under
DIR/runs/<claim>/ and write DIR/claims.md and DIR/claims.html: each claim of
the scaling analysis, the measurement, and a verdict (holds, holds only when,
does not hold) decided by the claim's rule. A claim whose runs are missing
reads "not measured". DIR defaults to reports/claims. The Markdown also goes
to stdout.

Exit codes: 0 written · 2 a file that cannot be read or written.`,
		Example: `  make claims                      # runs every claim, then this
  scenarios/claims/run.sh stall    # one claim again; the others keep their runs
  loadcheck claims reports/claims`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := defaultClaims
			if len(args) == 1 {
				dir = args[0]
			}
			return writeClaims(dir, stdout, stderr)
		},
	}
}

// writeClaims judges the runs under dir/runs and writes claims.md and
// claims.html into dir.
func writeClaims(dir string, stdout, stderr io.Writer) error {
	rep, err := claims.Read(filepath.Join(dir, "runs"))
	if err != nil {
		return usageError{err}
	}
	md, page := filepath.Join(dir, "claims.md"), filepath.Join(dir, "claims.html")
	if err := result.WriteFileAtomic(md, rep.Markdown); err != nil {
		return usageError{fmt.Errorf("claims: %w", err)}
	}
	if err := result.WriteFileAtomic(page, rep.HTML); err != nil {
		return usageError{fmt.Errorf("claims: %w", err)}
	}
	fmt.Fprintf(stderr, "claims: %s, %s\n", md, page)
	return rep.Markdown(stdout)
}
