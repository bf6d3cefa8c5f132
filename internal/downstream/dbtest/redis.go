package dbtest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const (
	redisServer = "/usr/bin/redis-server"
	redisCLI    = "/usr/bin/redis-cli"
)

// Redis is a private Redis server, without persistence.
type Redis struct {
	Addr string // 127.0.0.1:PORT
	srv  *server
}

// StartRedis starts redis-server on a free port of 127.0.0.1 and stops it
// when t ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	for _, bin := range []string{redisServer, redisCLI} {
		if _, err := os.Stat(bin); err != nil {
			missing(t, bin)
		}
	}
	port := strconv.Itoa(FreePort(t))
	cmd := exec.Command(redisServer, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r := &Redis{Addr: net.JoinHostPort("127.0.0.1", port)}
	r.srv = start(t, cmd, syscall.SIGTERM)
	if err := r.srv.waitReady(func() bool {
		out, err := exec.Command(redisCLI, "-h", "127.0.0.1", "-p", port, "PING").Output()
		return err == nil && strings.TrimSpace(string(out)) == "PONG"
	}); err != nil {
		t.Fatalf("redis-server on port %s: %v", port, err)
	}
	return r
}

// Cli runs redis-cli with args against the server and returns its output
// without the trailing newline.
func (r *Redis) Cli(t testing.TB, args ...string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(r.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, redisCLI, append([]string{"-h", host, "-p", port}, args...)...).Output()
	if err != nil {
		t.Fatalf("redis-cli %v: %v", args, err)
	}
	return strings.TrimRight(string(out), "\n")
}

// Stop stops the server now, as a downstream going away mid-run would.
func (r *Redis) Stop() { r.srv.stop(syscall.SIGTERM) }
