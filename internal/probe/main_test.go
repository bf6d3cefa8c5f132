package probe

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/loadcheck/loadcheck/internal/probe/probetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" { // the benchmark's target process
		os.Exit(serveChild())
	}
	goleak.VerifyTestMain(m)
}

// serveEnv, when set, makes the test binary serve a probetest.Hub on a
// loopback port instead of running tests: the benchmark's target runs in
// its own process, so the benchmark's RSS and CPU are loadcheck's alone.
const serveEnv = "LOADCHECK_PROBETEST_SERVE"

// serveChild serves a Hub, prints its address on stdout and returns when
// stdin closes (the parent ended).
func serveChild() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: &probetest.Hub{}, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}
