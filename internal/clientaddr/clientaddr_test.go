package clientaddr

import (
	"net/netip"
	"testing"
)

func TestPlans(t *testing.T) {
	pin := netip.MustParseAddr("127.0.0.1")
	c := Counts{Boards: 6, SSE: 3, HTTP: 100}
	tests := []struct {
		name                   string
		plan                   Plan
		bcast, board0, sse2, h string // h: HTTP client 99
		desc                   Description
	}{
		{"spread", For(netip.Addr{}, true, c), "127.1.0.1", "127.1.1.1", "127.1.9.1", "127.1.109.1",
			Description{Mode: "spread", Broadcaster: "127.1.0.1", Boards: "127.1.1.1–127.1.6.1 (6 /24s)",
				SSE: "127.1.7.1–127.1.9.1 (3 /24s)", HTTP: "127.1.10.1–127.1.109.1 (100 /24s)"}},
		{"pinned", For(pin, true, c), "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
			Description{Mode: "pinned", Pinned: "127.0.0.1"}},
		{"remote target", For(netip.Addr{}, false, c), "invalid IP", "invalid IP", "invalid IP", "invalid IP",
			Description{Mode: "system"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plan
			got := [4]string{p.Broadcaster().String(), p.Board(0).String(), p.SSE(2).String(), p.HTTP(99).String()}
			if want := [4]string{tc.bcast, tc.board0, tc.sse2, tc.h}; got != want {
				t.Errorf("broadcaster, board 0, sse 2, http 99 = %v, want %v", got, want)
			}
			if d := p.Describe(true); d != tc.desc {
				t.Errorf("Describe = %+v, want %+v", d, tc.desc)
			}
		})
	}
}

// Every client of a spread plan is in a /24 of its own, up to Networks
// clients, and none is in 127.0.0.0/24, where targets listen.
func TestSpreadNetworksDistinct(t *testing.T) {
	p := Spread(Counts{Boards: 10000, SSE: 100, HTTP: 1000})
	seen := map[[3]byte]string{}
	check := func(kind string, i int, a netip.Addr) {
		v := a.As4()
		k := [3]byte{v[0], v[1], v[2]}
		if prev, ok := seen[k]; ok {
			t.Fatalf("%s %d (%v) shares a /24 with %s", kind, i, a, prev)
		}
		if v[0] != 127 || v[1] == 0 {
			t.Fatalf("%s %d: %v, want 127.1.0.0–127.254.255.255", kind, i, a)
		}
		seen[k] = kind
	}
	check("broadcaster", 0, p.Broadcaster())
	for i := range 10000 {
		check("board", i, p.Board(i))
	}
	for i := range 100 {
		check("sse", i, p.SSE(i))
	}
	for i := range 1000 {
		check("http", i, p.HTTP(i))
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		plan Plan
		ok   bool
	}{
		{"system", Plan{}, true},
		{"pinned to 127.0.0.1", Pinned(netip.MustParseAddr("127.0.0.1")), true},
		{"pinned to an address of no machine (TEST-NET-1)", Pinned(netip.MustParseAddr("192.0.2.7")), false},
	}
	for _, tc := range tests {
		if err := tc.plan.Check(); (err == nil) != tc.ok {
			t.Errorf("%s: Check() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
