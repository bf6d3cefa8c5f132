// Package simtest holds the fixtures of tests that run loadcheck against
// its built-in target: the test binary standing in for `loadcheck sim`, a
// target file that starts it, and the scenario and target files of a test
// written into a temporary folder. It is for tests only.
//
// Target files start "loadcheck sim …", which the target package resolves
// to the running executable: in a test, the test binary. A package whose
// tests start such targets calls MaybeServe first in its TestMain.
package simtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/spf13/pflag"
	"go.uber.org/goleak"

	"github.com/loadcheck/loadcheck/internal/sim"
)

// MaybeServe makes the test binary the built-in target when it was
// started as one: as a sim worker (sim.MaybeChild), or as
// `<binary> sim [flags]`, the flags of `loadcheck sim`, serving until
// SIGTERM or SIGINT. Either way it exits; otherwise it returns at once.
func MaybeServe() {
	sim.MaybeChild()
	if len(os.Args) < 2 || os.Args[1] != "sim" {
		return
	}
	o := sim.Defaults()
	fs := pflag.NewFlagSet("sim", pflag.ContinueOnError)
	o.Flags(fs)
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := sim.Run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Target is a target file named name that starts the built-in target on a
// free loopback port with the given `loadcheck sim` flags (one worker
// unless they say otherwise), waits up to 20 s for /api/health, stops it
// with SIGTERM and samples its process tree.
func Target(name string, flags ...string) string {
	args := []string{"loadcheck", "sim", "--listen", strconv.Quote("127.0.0.1:{port}")}
	for _, f := range flags {
		args = append(args, strconv.Quote(f))
	}
	return `name: ` + name + `
base_url: http://127.0.0.1:{port}
start:
  command: [` + strings.Join(args, ", ") + `]
ready: {path: /api/health, timeout: 20s}
stop: {signal: TERM, grace: 5s}
resources: {}
`
}

// Files writes name → content into a new temporary folder of t, making
// the folders a name holds, and returns the folder.
func Files(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Scenario writes target into target.yaml and a scenario named "test"
// whose target is target.yaml and whose settings are body into
// scenario.yaml, in a new temporary folder of t, and returns the folder.
func Scenario(t testing.TB, target, body string) string {
	t.Helper()
	return Files(t, map[string]string{
		"target.yaml":   target,
		"scenario.yaml": "name: test\ntarget: target.yaml\n" + body,
	})
}

// HealthAndBoards is the http and websocket sections of a scenario for the
// built-in target: health checks at 5/s, and n boards on its dispatch
// socket whose broadcaster posts at rate ("10/s"), given grace after the
// measured phase for the last broadcasts ("" for the default).
func HealthAndBoards(n int, grace, rate string) string {
	s := fmt.Sprintf(`http:
  load: {rate: 5/s}
  endpoints: [{name: health, path: /api/health}]
websocket:
  boards: %d
  path: /ws/dispatch
`, n)
	if grace != "" {
		s += "  grace: " + grace + "\n"
	}
	return s + "  broadcast: {path: /api/dispatch/broadcast, rate: " + rate + "}\n"
}

// Buffer is a bytes.Buffer safe for concurrent use: the log of a target
// or a sim, written by its processes' output at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// RunLeakChecked runs m's tests and then fails them if any goroutine is
// left running: every stage of a run starts goroutines, and each must end
// with the run. It returns the exit code for os.Exit.
func RunLeakChecked(m *testing.M) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
