package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/loadcheck/loadcheck/internal/sim"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestMain lets the test binary stand in for loadcheck itself: target
// files start "loadcheck sim …", which the target package resolves to this
// executable. It also stands in for the remote target of
// TestRemoteTarget (see maybeServeRemote).
//
// With LOADCHECK_TEST_CLI=1 it is loadcheck, whatever the command: the
// shard tests start shards as separate processes, as a fleet would.
func TestMain(m *testing.M) {
	sim.MaybeChild()
	maybeServeRemote()
	if os.Getenv("LOADCHECK_TEST_CLI") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	if len(os.Args) > 1 && os.Args[1] == "sim" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(simtest.RunLeakChecked(m))
}
