// Package dbtest starts private PostgreSQL and Redis servers for tests,
// from the Debian packages, and stops them when the test ends. Each server
// gets a temporary folder and a free loopback port of its own, so tests do
// not touch a database of the machine or of each other.
//
// Where a binary is missing, the test is skipped, unless CI is set: there
// make deps installs them, and their absence fails the test.
package dbtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the start of a server, and stopTimeout its stop.
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 20 * time.Second
)

// Postgres is a private PostgreSQL cluster with two databases: titan, in
// which pg_stat_statements is created (and preloaded), and plain, in which
// it is not.
type Postgres struct {
	Port int
	Dir  string
	bin  string
	srv  *server
}

// StartPostgres initialises a cluster in a temporary folder as the
// postgres user, starts it on a free port of 127.0.0.1 with its Unix
// socket in that folder, creates the databases titan and plain, and stops
// and removes it when t ends. Run as root, the server runs as postgres; as
// any other user, as that user.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin := postgresBin(t)
	cred := postgresCredential(t)
	dir, err := os.MkdirTemp("", "loadcheck-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p := &Postgres{Port: FreePort(t), Dir: dir, bin: bin}
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(p.Port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "shared_preload_libraries=pg_stat_statements",
		"-c", "fsync=off", "-c", "max_connections=50")
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	srv.Stdout, srv.Stderr = log, log
	// The server dies with the test binary, should it die first.
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	// SIGINT is a fast shutdown: open sessions are ended.
	p.srv = start(t, srv, syscall.SIGINT)
	if err := p.waitReady(p.srv); err != nil {
		out, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		t.Fatalf("postgres on port %d: %v\n%s", p.Port, err, out)
	}
	p.Psql(t, "postgres", "CREATE DATABASE titan")
	p.Psql(t, "postgres", "CREATE DATABASE plain")
	p.Psql(t, "titan", "CREATE EXTENSION pg_stat_statements")
	return p
}

// DSN is a postgresql:// URL of database db.
func (p *Postgres) DSN(db string) string {
	return fmt.Sprintf("postgresql://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// Psql runs sql in database db with psql, over TCP as a client of its own,
// and returns its unaligned output without the trailing newline.
func (p *Postgres) Psql(t testing.TB, db, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", db, "-c", sql)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("psql %q: %v\n%s", sql, err, ee.Stderr)
		}
		t.Fatalf("psql %q: %v", sql, err)
	}
	return strings.TrimRight(string(out), "\n")
}

func (p *Postgres) waitReady(s *server) error {
	return s.waitReady(func() bool {
		ready := exec.Command(filepath.Join(p.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port))
		return ready.Run() == nil
	})
}

// Stop stops the cluster now (a fast shutdown), as a database going away
// mid-run would.
func (p *Postgres) Stop() { p.srv.stop(syscall.SIGINT) }

// server is a process a test started.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has exited
	err    error         // its exit status, once exited
}

// start starts cmd and, when t ends, sends sig to its pid and waits for it
// to exit, killing it after stopTimeout.
func start(t testing.TB, cmd *exec.Cmd, sig syscall.Signal) *server {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(sig)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			t.Errorf("%s (pid %d) did not stop within %s of %v: killed", cmd.Path, cmd.Process.Pid, stopTimeout, sig)
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// Stop stops the server now, as at the end of the test, and returns once
// it has exited.
func (s *server) stop(sig syscall.Signal) {
	_ = s.cmd.Process.Signal(sig)
	<-s.exited
}

// waitReady polls ready until it holds, the process exits, or startTimeout
// passes.
func (s *server) waitReady(ready func() bool) error {
	deadline := time.After(startTimeout)
	for !ready() {
		select {
		case <-s.exited:
			return fmt.Errorf("exited before it was ready: %v", s.err)
		case <-deadline:
			return fmt.Errorf("not ready within %s", startTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// postgresBin is the newest /usr/lib/postgresql/N/bin.
func postgresBin(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		na, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		nb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return na - nb
	})
	if len(dirs) == 0 {
		missing(t, "PostgreSQL (/usr/lib/postgresql/N/bin)")
	}
	return dirs[len(dirs)-1]
}

// postgresCredential is the postgres user's when running as root (initdb
// refuses root), nil otherwise.
func postgresCredential(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		missing(t, "the postgres user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s missing (make deps installs it)", what)
	}
	t.Skipf("%s missing (run make deps)", what)
}

// FreePort returns a port of 127.0.0.1 that was free a moment ago, for a
// server the test starts a little later. It is drawn below Linux's
// ephemeral range (32768–60999): a port the kernel hands out for :0 is
// also the kind it gives as the source port of outgoing connections, and
// a test under load makes thousands of those before its server binds.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port of 127.0.0.1 in 20000–31999 after 200 tries")
	return 0
}
