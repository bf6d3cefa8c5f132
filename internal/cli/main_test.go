package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/loadcheck/loadcheck/internal/sim"
)

// TestMain lets the test binary stand in for loadcheck itself: target
// files start "loadcheck sim …", which the target package resolves to this
// executable. It also stands in for the remote target of
// TestRemoteTarget (see maybeServeRemote).
func TestMain(m *testing.M) {
	sim.MaybeChild()
	maybeServeRemote()
	if len(os.Args) > 1 && os.Args[1] == "sim" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
