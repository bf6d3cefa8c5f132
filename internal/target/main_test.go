package target

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// helperEnv switches the test binary into a helper process: a target
// ("serve", "stubborn") or a stand-in for loadcheck ("parent"). The tests
// start targets with the command "loadcheck", which Start resolves to this
// very executable, so no other program is needed.
const helperEnv = "LOADCHECK_TARGET_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper(os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// helperTarget returns a target that runs this binary as "serve" on {port}
// with the given extra arguments.
func helperTarget(name string, args ...string) *scenario.Target {
	return &scenario.Target{
		Name:    name,
		BaseURL: "http://127.0.0.1:{port}",
		Start: &scenario.Start{
			Command: append([]string{"loadcheck", "serve", "-port", "{port}"}, args...),
			Env:     map[string]string{helperEnv: "1"},
		},
		Ready: scenario.Ready{Path: "/health", Timeout: 10 * time.Second},
		Stop:  scenario.Stop{Signal: "TERM", Grace: 2 * time.Second},
	}
}

func runHelper(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "helper: no mode")
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = helperServe(args[1:])
	case "stubborn":
		err = helperStubborn()
	case "parent":
		err = helperParent()
	default:
		err = fmt.Errorf("unknown mode %q", args[0])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// helperServe serves HTTP on 127.0.0.1:port:
//
//	/health      200, or -status
//	/env?name=N  the value of the environment variable N
//	/exit?code=C answers, then exits with status C
//
// It prints "helper pid=P pgid=G" first and, with -stubborn, forks a child
// that shares the listening socket and ignores SIGTERM.
func helperServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	port := fs.Int("port", 0, "port to listen on")
	delay := fs.Duration("delay", 0, "wait before listening")
	status := fs.Int("status", http.StatusOK, "status of /health")
	stubborn := fs.Bool("stubborn", false, "fork a child that ignores SIGTERM")
	failOnce := fs.String("fail-once", "", "if this file does not exist: create it, say the port is taken and exit 1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Printf("helper pid=%d pgid=%d\n", os.Getpid(), syscall.Getpgrp())
	if *failOnce != "" {
		if _, err := os.Stat(*failOnce); err != nil {
			if err := os.WriteFile(*failOnce, nil, 0o600); err != nil {
				return err
			}
			return fmt.Errorf("listen tcp 127.0.0.1:%d: bind: address already in use", *port)
		}
	}
	time.Sleep(*delay)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		return err
	}
	if *stubborn {
		f, err := l.(*net.TCPListener).File()
		if err != nil {
			return err
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		child := exec.Command(self, "stubborn")
		child.ExtraFiles = []*os.File{f}
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			return err
		}
		f.Close()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(*status) })
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, os.Getenv(r.URL.Query().Get("name")))
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.URL.Query().Get("code"), &code)
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.Exit(code)
		}()
	})
	return http.Serve(l, mux)
}

// helperStubborn serves on the listener inherited as fd 3 and ignores the
// usual stop signals, like a worker that does not shut down.
func helperStubborn() error {
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	fmt.Printf("child pid=%d\n", os.Getpid())
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return err
	}
	mux := http.NewServeMux() // shares the port with its parent: answer alike
	mux.HandleFunc("/health", func(http.ResponseWriter, *http.Request) {})
	return http.Serve(l, mux)
}

// parentReport is what helperParent prints once its target runs.
type parentReport struct {
	BaseURL string `json:"base_url"`
	Pgid    int    `json:"pgid"`
	PIDs    []int  `json:"pids"` // the target's tree and the watchdog
}

// helperParent plays loadcheck: it starts a target with a stubborn worker,
// prints a parentReport line and then waits to be killed.
func helperParent() error {
	ctx := context.Background()
	r, err := Start(ctx, helperTarget("parent's target", "-stubborn"), Options{})
	if err != nil {
		return err
	}
	// Wait until the worker runs and has said so: a process that exists
	// but has not yet written its first line would die of SIGPIPE when
	// writing it after we are killed, which would hide a missing watchdog.
	if err := waitOutput(r, "child pid=", 10*time.Second); err != nil {
		return err
	}
	procs, err := Tree(r.PID())
	if err != nil {
		return err
	}
	rep := parentReport{BaseURL: r.BaseURL(), Pgid: r.Pgid()}
	for _, p := range procs {
		rep.PIDs = append(rep.PIDs, p.PID)
	}
	if r.Pgid() != r.PID() {
		rep.PIDs = append(rep.PIDs, r.Pgid())
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	os.Stdout.Write(append(b, '\n'))
	time.Sleep(time.Minute) // the test kills us long before
	return fmt.Errorf("not killed")
}

// waitOutput waits until the target has written a line containing s.
func waitOutput(r *Running, s string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !strings.Contains(strings.Join(r.Tail(outputLines), "\n"), s) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %q in the output after %v: %q", s, d, r.Tail(outputLines))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
