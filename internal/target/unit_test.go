package target

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineRing(t *testing.T) {
	t.Parallel()
	numbered := func(from, to int) []string {
		var s []string
		for i := from; i < to; i++ {
			s = append(s, strconv.Itoa(i))
		}
		return s
	}
	tests := []struct {
		name   string
		writes []string
		max, n int
		want   []string
	}{
		{name: "lines", writes: []string{"a\nb\n"}, max: 200, n: 10, want: []string{"a", "b"}},
		{name: "unfinished last line", writes: []string{"a\nb"}, max: 200, n: 10, want: []string{"a", "b"}},
		{name: "split writes", writes: []string{"he", "llo\nwor", "ld\n"}, max: 200, n: 10, want: []string{"hello", "world"}},
		{name: "crlf", writes: []string{"a\r\nb\r\n"}, max: 200, n: 10, want: []string{"a", "b"}},
		{name: "empty lines", writes: []string{"\n\nx\n"}, max: 200, n: 10, want: []string{"", "", "x"}},
		{name: "last n", writes: []string{strings.Join(numbered(0, 10), "\n") + "\n"}, max: 200, n: 3, want: numbered(7, 10)},
		{name: "wraps", writes: []string{strings.Join(numbered(0, 250), "\n") + "\n"}, max: 200, n: 500, want: numbered(50, 250)},
		{name: "wraps with partial", writes: []string{strings.Join(numbered(0, 6), "\n")}, max: 3, n: 3, want: numbered(3, 6)},
		{name: "long line", writes: []string{strings.Repeat("x", maxLineBytes+10) + "\nok\n"}, max: 200, n: 10,
			want: []string{strings.Repeat("x", maxLineBytes) + " [line truncated]", "ok"}},
		{name: "zero", writes: []string{"a\n"}, max: 200, n: 0, want: []string{}},
		{name: "nothing", max: 200, n: 5, want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			r := newLineRing(tc.max, &log)
			for _, w := range tc.writes {
				if n, err := r.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if diff := cmp.Diff(tc.want, r.Tail(tc.n)); diff != "" {
				t.Errorf("Tail(%d) (-want +got):\n%s", tc.n, diff)
			}
			if got, want := log.String(), strings.Join(tc.writes, ""); got != want {
				t.Errorf("log got %q, want every byte written %q", got, want)
			}
		})
	}
}

// statLine builds a /proc/<pid>/stat line: the 52 fields of
// proc_pid_stat(5), those target reads filled in.
func statLine(pid int, comm string, state byte, ppid, pgid int, start uint64) string {
	return fmt.Sprintf("%d (%s) %c %d %d %d 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 %d 10000000 25 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		pid, comm, state, ppid, pgid, pgid, start)
}

func TestTreeFixture(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	procs := []struct {
		pid, ppid, pgid int
		comm, cmdline   string
		state           byte
	}{
		{1, 0, 1, "init", "/sbin/init", 'S'},
		{10, 1, 10, "uvicorn", "python3\x00-m\x00uvicorn\x00app:app\x00", 'S'},
		{11, 10, 10, "python3", "python3\x00-c\x00from multiprocessing.spawn import spawn_main\x00", 'S'},
		{12, 10, 10, "python3", "", 'Z'}, // a zombie worker
		{14, 11, 10, "helper", "", 'S'},  // no command line: kernel-style name
		{13, 10, 13, "daemon", "daemon\x00", 'S'},
		{20, 1, 20, "other", "other\x00", 'S'},
	}
	for _, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(p.pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(statLine(p.pid, p.comm, p.state, p.ppid, p.pgid, 100)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(p.cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"self", "sys"} { // non-pid entries are skipped
		if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name    string
		pid     int
		want    []Proc
		wantErr error
	}{
		{name: "workers and a process that left the group", pid: 10, want: []Proc{
			{PID: 10, PPID: 1, PGID: 10, Cmdline: "python3 -m uvicorn app:app"},
			{PID: 11, PPID: 10, PGID: 10, Cmdline: "python3 -c from multiprocessing.spawn import spawn_main"},
			{PID: 13, PPID: 10, PGID: 13, Cmdline: "daemon"},
			{PID: 14, PPID: 11, PGID: 10, Cmdline: "[helper]"},
		}},
		{name: "leaf", pid: 20, want: []Proc{{PID: 20, PPID: 1, PGID: 20, Cmdline: "other"}}},
		{name: "zombie root", pid: 12, wantErr: syscall.ESRCH},
		{name: "no such process", pid: 99, wantErr: syscall.ESRCH},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tree(root, tc.pid)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("tree(%d) error = %v, want %v", tc.pid, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tree(%d) (-want +got):\n%s", tc.pid, diff)
			}
		})
	}

	members, err := groupMembers(root, 10, 11)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, m := range members {
		pids = append(pids, m.PID)
	}
	if diff := cmp.Diff([]int{10, 14}, pids); diff != "" {
		t.Errorf("groupMembers(10, skip 11) (-want +got):\n%s", diff)
	}
}

func TestCheckReachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /api/health", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("GET /moved", http.RedirectHandler("/api/health", http.StatusFound))
	healthy := httptest.NewServer(mux)
	t.Cleanup(healthy.Close)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		url     string
		path    string // the ready path; "" for /
		wantErr error  // nil: reachable
		wantMsg string // exact message, when set
	}{
		{name: "closed port", ctx: context.Background(), url: closed, wantErr: ErrUnreachable,
			wantMsg: "nothing is listening at " + closed + " — start the service or pass --target"},
		{name: "closed port is refused", ctx: context.Background(), url: closed, wantErr: syscall.ECONNREFUSED},
		{name: "404 is not ready", ctx: context.Background(), url: notFound.URL, path: "/api/health", wantErr: ErrUnreachable,
			wantMsg: "GET " + notFound.URL + "/api/health answered 404 Not Found, want a 2xx — fix ready.path in the target file, or the service"},
		{name: "2xx on the ready path", ctx: context.Background(), url: healthy.URL, path: "/api/health"},
		{name: "2xx on / without a ready path", ctx: context.Background(), url: healthy.URL},
		{name: "redirect is not ready", ctx: context.Background(), url: healthy.URL, path: "/moved", wantErr: ErrUnreachable},
		{name: "not a URL", ctx: context.Background(), url: "127.0.0.1:8765", wantErr: ErrUnreachable,
			wantMsg: `base URL "127.0.0.1:8765": want http://host:port`},
		{name: "interrupted", ctx: cancelled, url: notFound.URL, wantErr: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckReachable(tc.ctx, tc.url, tc.path, nil)
			if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
				t.Fatalf("CheckReachable(%q) = %v, want %v", tc.url, err, tc.wantErr)
			}
			if tc.wantMsg != "" && err.Error() != tc.wantMsg {
				t.Errorf("CheckReachable(%q) = %q, want %q", tc.url, err, tc.wantMsg)
			}
			if tc.wantErr == context.Canceled && errors.Is(err, ErrUnreachable) {
				t.Errorf("CheckReachable(%q) = %v, an interrupt is not ErrUnreachable", tc.url, err)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    syscall.Signal
		wantErr bool
	}{
		{"", syscall.SIGTERM, false},
		{"TERM", syscall.SIGTERM, false},
		{"SIGINT", syscall.SIGINT, false},
		{"quit", syscall.SIGQUIT, false},
		{"KILL", syscall.SIGKILL, false},
		{"TERMINATE", 0, true},
	}
	for _, tc := range tests {
		got, err := parseSignal(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("parseSignal(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestCheckReachableTLS checks that an https target's certificate is
// verified with the configuration given, and that a refused certificate
// names the setting that fixes it.
func TestCheckReachableTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	trusting := srv.Client().Transport.(*http.Transport).TLSClientConfig
	if err := CheckReachable(context.Background(), srv.URL, "/", trusting); err != nil {
		t.Errorf("with the server's CA: %v", err)
	}
	err := CheckReachable(context.Background(), srv.URL, "/", nil)
	if err == nil || !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Errorf("with the system's roots = %v, want ErrUnreachable naming tls.ca_file", err)
	}
	if err := CheckReachable(context.Background(), srv.URL, "/", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Errorf("not verifying: %v", err)
	}
}
