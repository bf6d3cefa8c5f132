// Command loadcheck measures when and how to scale a Python ASGI service:
// open-model HTTP load, WebSocket broadcast loss, SSE streams and the
// target's CPU and memory, checked against gates. See doc.go.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadcheck/loadcheck/internal/cli"
	"github.com/loadcheck/loadcheck/internal/sim"
)

func main() {
	sim.MaybeChild()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
