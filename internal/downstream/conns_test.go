package downstream_test

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/loadcheck/loadcheck/internal/downstream"
)

// holdScript opens N connections to host:port over the given family and
// holds them until killed.
const holdScript = `
import socket, sys, time
family = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
held = []
for _ in range(int(sys.argv[4])):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect((sys.argv[2], int(sys.argv[3])))
    held.append(s)
print("ready", flush=True)
time.sleep(120)
`

// listen accepts connections on a free port of 127.0.0.1 and keeps them
// open until the test ends.
func listen(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range accepted {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// hold starts a child holding n connections to addr, over IPv4 or (with
// a v4-mapped address) IPv6, and returns its pid.
func hold(t *testing.T, addr netip.AddrPort, n int, v6 bool) int {
	t.Helper()
	host, family := addr.Addr().String(), "4"
	if v6 {
		host, family = "::ffff:"+host, "6"
	}
	return startPython(t, holdScript, family, host, strconv.Itoa(int(addr.Port())), strconv.Itoa(n))
}

func TestConns(t *testing.T) {
	addr := listen(t)
	other := listen(t)
	a := hold(t, addr, 3, false)
	b := hold(t, addr, 5, true) // in /proc/net/tcp6, to ::ffff:127.0.0.1
	c := hold(t, other, 4, false)
	got, err := downstream.Conns([]int{a, b, c, 999999999}, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("conns to %v: %v (child %d holds 3, child %d 5 over IPv6, child %d 4 to another port)", addr, got, a, b, c)
	want := map[int]int{a: 3, b: 5, c: 0}
	for pid, n := range want {
		if got[pid] != n {
			t.Errorf("pid %d: %d connections, want %d", pid, got[pid], n)
		}
	}
	if _, ok := got[999999999]; ok || len(got) != 3 {
		t.Errorf("Conns = %v, want only the three live pids", got)
	}
}
