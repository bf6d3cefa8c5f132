// Package cli wires loadcheck's subcommands: flags in, options out, and one
// function that maps errors to exit codes. It holds no logic of its own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/run"
)

// Version is set at build time with -ldflags "-X ...cli.Version=…".
var Version = "dev"

// Exit codes, as documented in --help.
const (
	ExitPass        = 0
	ExitFail        = 1
	ExitBadInput    = 2
	ExitInterrupted = 130
)

// errGatesFailed is returned when a run completed but a gate failed or an
// abort condition fired; the report has already been printed.
var errGatesFailed = errors.New("gates failed")

// Main runs loadcheck with args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

// usageError marks a wrong invocation; like every error that is neither a
// failed gate nor an interruption, it exits ExitBadInput.
type usageError struct{ error }

// exitCode maps the error that ended a command to its exit code, in one
// place. Anything that kept loadcheck from measuring — a usage error,
// invalid files, a target that did not start or is unreachable, or any
// other failure — is bad input or environment (2), not a failed gate.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return ExitPass
	case errors.Is(err, run.ErrInterrupted):
		fmt.Fprintln(stderr, "loadcheck: interrupted; the partial result was reported")
		return ExitInterrupted
	case errors.Is(err, errGatesFailed):
		return ExitFail
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "loadcheck: interrupted")
		return ExitInterrupted
	default:
		fmt.Fprintf(stderr, "loadcheck: %v\n", err)
		return ExitBadInput
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "loadcheck",
		Short: "Measure when and how to scale an ASGI service",
		Long: `loadcheck drives open-model HTTP load at a service while WebSocket boards count
which broadcasts arrive, samples the service's CPU and memory, and checks the
figures against gates.

Exit codes: 0 every gate held · 1 a gate failed or an abort condition fired ·
2 bad input, target failed to start, or nothing listening · 130 interrupted
(the partial result is still written).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	// --version has no -v: -v means --verbose, on every command that
	// has it, and nothing else.
	root.Flags().Bool("version", false, "print the version, as loadcheck version does")
	root.SetVersionTemplate(currentVersion().String() + "\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Flags every command shares are checked in one place.
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error { return checkDurationFlag(c) }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%v — see %s --help", err, c.CommandPath())}
	})
	root.AddCommand(newRunCmd(stdout, stderr), newValidateCmd(stdout), newSimCmd(stderr),
		newCompareCmd(stdout, stderr), newSaturateCmd(stdout, stderr), newNightlyCmd(stdout, stderr), newReportCmd(stdout),
		newMergeCmd(stdout, stderr), newVersionCmd(stdout), newDeriveCmd(stdout), newClaimsCmd(stdout, stderr))
	return root
}
