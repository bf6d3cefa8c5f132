package cli

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/loadcheck/loadcheck/internal/run"
	"github.com/loadcheck/loadcheck/internal/target"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// TestExitCodes checks the exit codes --help documents, for each kind of
// error a command can end with, wrapped as the commands wrap them.
func TestExitCodes(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("run scenario.yaml: %w", err) }
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"no error", nil, ExitPass},
		{"gate failed", wrap(errGatesFailed), ExitFail},
		{"interrupted run", wrap(run.ErrInterrupted), ExitInterrupted},
		{"cancelled", wrap(context.Canceled), ExitInterrupted},
		{"usage", usageError{fmt.Errorf("unknown flag --x")}, ExitBadInput},
		{"invalid file", wrap(yamlfile.ErrInvalid), ExitBadInput},
		{"target did not start", wrap(target.ErrStart), ExitBadInput},
		{"nothing listening", wrap(target.ErrUnreachable), ExitBadInput},
		{"anything else", fmt.Errorf("write result: disk full"), ExitBadInput},
	} {
		if got := exitCode(c.err, io.Discard); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}
