package cli

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/simtest"
	"github.com/loadcheck/loadcheck/internal/tlstest"
)

// netns is a network namespace joined to this one by a veth pair, with a
// /30 of 198.18.0.0/15 (the range reserved for benchmarking) across it:
// a host that is not this machine's loopback, which the test owns.
type netns struct {
	name       string
	host, peer netip.Addr // this side's address, the namespace's
}

// newNetns makes the namespace and removes it when t ends. When it cannot
// (not root, no ip, no kernel support) the test fails where CI is set, to
// any value, and is skipped, with the reason, elsewhere.
func newNetns(t *testing.T) *netns {
	t.Helper()
	pid := os.Getpid()
	n := &netns{name: fmt.Sprintf("loadcheck-test-%d", pid)}
	vethHost, vethPeer := fmt.Sprintf("lct%dh", pid), fmt.Sprintf("lct%dn", pid)
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot make a network namespace with CI set: "+format, args...)
		}
		t.Skipf("cannot make a network namespace (run as root on Linux with iproute2): "+format, args...)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		unavailable("%v", err)
	}
	n.host, n.peer = freeBlock(t, pid)
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		unavailable("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		// Deleting the namespace deletes its end of the pair, and so both.
		if out, err := exec.Command("ip", "netns", "delete", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", n.name, err, out)
		}
		exec.Command("ip", "link", "delete", vethHost).Run()
	})
	for _, args := range [][]string{
		{"link", "add", vethHost, "type", "veth", "peer", "name", vethPeer},
		{"link", "set", vethPeer, "netns", n.name},
		{"addr", "add", n.host.String() + "/30", "dev", vethHost},
		{"link", "set", vethHost, "up"},
		{"-n", n.name, "addr", "add", n.peer.String() + "/30", "dev", vethPeer},
		{"-n", n.name, "link", "set", vethPeer, "up"},
		{"-n", n.name, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			unavailable("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return n
}

// freeBlock picks a /30 of 198.18.0.0/15 that no interface uses, starting
// from one derived from pid, so that tests of other processes on the same
// machine do not collide.
func freeBlock(t *testing.T, pid int) (host, peer netip.Addr) {
	t.Helper()
	out, err := exec.Command("ip", "-o", "addr", "show").Output()
	if err != nil {
		t.Fatalf("ip addr show: %v", err)
	}
	base := netip.MustParseAddr("198.18.0.0").As4()
	for i := range 1 << 15 {
		b := (pid + i) % (1 << 15)
		a := base
		a[1] += byte(b >> 14)
		a[2] = byte(b >> 6)
		a[3] = byte(b&63) * 4
		host, peer = netip.AddrFrom4([4]byte{a[0], a[1], a[2], a[3] + 1}), netip.AddrFrom4([4]byte{a[0], a[1], a[2], a[3] + 2})
		if !strings.Contains(string(out), " "+host.String()+"/") && !strings.Contains(string(out), " "+peer.String()+"/") {
			return host, peer
		}
	}
	t.Fatal("no free /30 in 198.18.0.0/15")
	return
}

// serve starts this test binary inside the namespace as the remote target
// (see maybeServeRemote) with env, waits until every address of addrs
// accepts connections, and kills the server, by its PID, when t ends.
func (n *netns) serve(t *testing.T, addrs []string, env ...string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", n.name, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	// ip netns exec execs the server in its own place: this PID is the
	// server's, and it dies with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range addrs {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server in namespace %s does not accept at %s: %v", n.name, addr, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// remoteScenario is a short run with every kind of client: HTTP load,
// WebSocket boards with their broadcaster, and SSE clients.
const remoteScenario = `name: remote
target: target.yaml
duration: 2s
warmup: 500ms
http:
  timeout: 5s
  load: {rate: 20/s}
  endpoints: [{name: home, path: /}]
websocket:
  boards: 3
  path: /ws/dispatch
  grace: 500ms
  broadcast: {path: /api/dispatch/broadcast, rate: 4/s}
sse: {clients: 2, path: /api/stream}
resources: {every: 250ms, sustained_window: 1s}
gates: ["http.errors == 0%", "http.rate > 15/s", "ws.loss == 0%", "ws.connected == 3", "sse.connected == 2"]
`

// TestRemoteTarget runs against a server on another host, one in a
// network namespace this test makes: refused without allow_remote, passed
// with it; over HTTPS with a private CA, passed with tls.ca_file and
// refused with a certificate error without it.
func TestRemoteTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("a network namespace and four short runs, about 15 s")
	}
	n := newNetns(t)
	plain := netip.AddrPortFrom(n.peer, 8080).String()
	secure := netip.AddrPortFrom(n.peer, 8443).String()
	ca := tlstest.New(t, n.peer.String())
	n.serve(t, []string{plain, secure}, envServeHTTP+"="+plain, envServeHTTPS+"="+secure, envServeCert+"="+ca.Cert, envServeKey+"="+ca.Key)

	tests := []struct {
		name, target string
		wantCode     int
		want         []string // in stdout for a run, in stderr for a refusal
	}{
		{"http refused without allow_remote", "base_url: http://" + plain + "\n", ExitBadInput,
			[]string{"target.yaml:2:11: base_url: host \"" + n.peer.String() + "\" is not loopback", "allow_remote: true"}},
		{"http with allow_remote", "base_url: http://" + plain + "\nallow_remote: true\n", ExitPass,
			[]string{"PASS: all 5 gates hold"}},
		{"resources from its exporter", "base_url: http://" + plain + "\nallow_remote: true\nresources: {prometheus: http://" + plain + "/metrics}\n", ExitPass,
			[]string{"PASS: all 5 gates hold", "Resources (prometheus http://" + plain + "/metrics)", "MiB │"}},
		{"local source refused", "base_url: http://" + plain + "\nallow_remote: true\nresources: {systemd_unit: titan.service}\n", ExitBadInput,
			[]string{"target.yaml:4:27: resources.systemd_unit:", "prometheus"}},
		{"https with tls.ca_file", "base_url: https://" + secure + "\nallow_remote: true\ntls: {ca_file: " + ca.CA + "}\n", ExitPass,
			[]string{"PASS: all 5 gates hold"}},
		{"https without tls.ca_file", "base_url: https://" + secure + "\nallow_remote: true\n", ExitBadInput,
			[]string{"certificate signed by unknown authority", "tls.ca_file"}},
		{"https not verified", "base_url: https://" + secure + "\nallow_remote: true\ntls: {insecure_skip_verify: true}\n", ExitPass,
			[]string{"TLS CERTIFICATE NOT VERIFIED", "warning: the target's TLS certificate was NOT VERIFIED", "PASS: all 5 gates hold"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := simtest.Files(t, map[string]string{
				"target.yaml":   "name: remote\n" + tc.target,
				"scenario.yaml": remoteScenario,
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			o := loadcheck(t, ctx, "run", filepath.Join(dir, "scenario.yaml"), "--quiet")
			out := o.stdout
			if tc.wantCode != ExitPass {
				out = o.stderr
			}
			if o.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", o.code, tc.wantCode, o.stdout, o.stderr)
			}
			if tc.wantCode != ExitPass {
				t.Logf("refused:\n%s", strings.TrimSpace(out))
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
