package downstream

import (
	"net"
	"net/netip"
	"os"
	"testing"
)

func BenchmarkOwner(b *testing.B) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	client := c.LocalAddr().(*net.TCPAddr).AddrPort()
	server := l.Addr().(*net.TCPAddr).AddrPort()
	for _, bc := range []struct {
		name string
		pids []int
	}{{"every process", nil}, {"the target's", []int{os.Getpid()}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				got, err := owners([]netip.AddrPort{client}, server, bc.pids)
				if err != nil || got[client] != os.Getpid() {
					b.Fatalf("owners = %v, %v; want %d", got, err, os.Getpid())
				}
			}
		})
	}
}
