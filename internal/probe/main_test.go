package probe

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/probe/probetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" { // the benchmark's target process
		os.Exit(serveChild())
	}
	code := m.Run()
	if code == 0 {
		if err := checkLeaks(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLeaks waits up to d for every goroutine of the probe, the test
// targets and the websocket library to end.
func checkLeaks(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		leaked := leakedGoroutines()
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines leaked, the first:\n%s", len(leaked), leaked[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var leaked []string
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		s := string(g)
		if strings.Contains(s, "probe.checkLeaks") || strings.Contains(s, "probe.TestMain") {
			continue
		}
		if strings.Contains(s, "loadcheck/internal/probe") || strings.Contains(s, "coder/websocket") ||
			strings.Contains(s, "net/http.(*persistConn)") || strings.Contains(s, "net/http.(*conn).serve") {
			leaked = append(leaked, s)
		}
	}
	return leaked
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
