package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/loadcheck/loadcheck/internal/probe/probetest"
	"github.com/loadcheck/loadcheck/internal/simtest"
)

// The environment of a test binary that serves as the remote target of
// TestRemoteTarget, inside the network namespace the test made.
const (
	envServeHTTP  = "LOADCHECK_TEST_SERVE_HTTP"  // host:port of plain HTTP
	envServeHTTPS = "LOADCHECK_TEST_SERVE_HTTPS" // host:port of HTTPS
	envServeCert  = "LOADCHECK_TEST_SERVE_CERT"  // PEM certificate and key files,
	envServeKey   = "LOADCHECK_TEST_SERVE_KEY"   // for HTTPS
)

// maybeServeRemote serves the remote test target and never returns when
// this test binary was started as one; otherwise it returns at once. The
// target answers GET / and serves dispatch boards (WebSocket), their
// broadcasts and an SSE stream, over HTTP and HTTPS alike, until killed.
func maybeServeRemote() {
	plain, secure := os.Getenv(envServeHTTP), os.Getenv(envServeHTTPS)
	if plain == "" && secure == "" {
		return
	}
	mux := http.NewServeMux()
	hub := &probetest.Hub{}
	mux.Handle(probetest.WSPath, hub)
	mux.Handle(probetest.BroadcastPath, hub)
	mux.Handle("/api/stream", &probetest.Stream{Every: 100 * time.Millisecond})
	mux.HandleFunc("/metrics", processMetrics)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	errs := make(chan error, 2)
	serve := func(addr string, tls bool) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			errs <- err
			return
		}
		// Refused handshakes are what some cases test: not worth a log line.
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		if tls {
			errs <- srv.ServeTLS(ln, os.Getenv(envServeCert), os.Getenv(envServeKey))
		} else {
			errs <- srv.Serve(ln)
		}
	}
	if plain != "" {
		go serve(plain, false)
	}
	if secure != "" {
		go serve(secure, true)
	}
	err := <-errs
	if errors.Is(err, http.ErrServerClosed) {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "remote test target: %v\n", err)
	os.Exit(3)
}

// processMetrics serves this process's CPU time and resident memory as a
// Prometheus client library does: what a remote target's exporter gives
// loadcheck instead of /proc.
func processMetrics(w http.ResponseWriter, _ *http.Request) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	var pages uint64
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		fmt.Sscan(strings.Fields(string(b))[1], &pages)
	}
	counter, gauge := dto.MetricType_COUNTER, dto.MetricType_GAUGE
	cpuName, rssName := "process_cpu_seconds_total", "process_resident_memory_bytes"
	rss := float64(pages * uint64(os.Getpagesize()))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	expfmt.MetricFamilyToText(w, &dto.MetricFamily{Name: &cpuName, Type: &counter, Metric: []*dto.Metric{{Counter: &dto.Counter{Value: &cpu}}}})
	expfmt.MetricFamilyToText(w, &dto.MetricFamily{Name: &rssName, Type: &gauge, Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: &rss}}}})
}

// TestValidateRemoteTarget checks that validate says what a remote target
// file allows, and warns when its certificate will not be verified.
func TestValidateRemoteTarget(t *testing.T) {
	dir := simtest.Files(t, map[string]string{
		"remote.yaml":   "name: staging\nbase_url: https://198.18.0.2:8443\nallow_remote: true\ntls: {insecure_skip_verify: true}\n",
		"loopback.yaml": "name: local\nbase_url: http://127.0.0.1:8000\n",
	})
	o := loadcheck(t, context.Background(), "validate", filepath.Join(dir, "remote.yaml"), filepath.Join(dir, "loopback.yaml"))
	if o.code != ExitPass {
		t.Fatalf("exit %d:\n%s%s", o.code, o.stdout, o.stderr)
	}
	remote, local, _ := strings.Cut(o.stdout, "\n")
	if !strings.Contains(remote, "on another machine (allow_remote)") || !strings.Contains(remote, "WARNING: its TLS certificate will NOT be verified") {
		t.Errorf("validate of a remote, unverified target: %q", remote)
	}
	if strings.Contains(local, "TLS") || strings.Contains(local, "another machine") {
		t.Errorf("validate of a loopback target: %q", local)
	}
}
