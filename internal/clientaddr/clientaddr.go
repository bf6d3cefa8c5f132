// Package clientaddr gives each of loadcheck's clients the source address
// it connects from.
//
// A proxy that balances by client address (nginx ip_hash hashes the first
// three octets of an IPv4 address) sees every client as one when they all
// come from 127.0.0.1, and a sticky-session setup then looks safe when it
// is not. So against a loopback target every client — each board, each SSE
// client, the broadcaster, each HTTP client — connects from an address of
// its own, in a /24 network of its own inside 127.0.0.0/8, as clients in
// production come from different networks. A scenario can instead pin
// every client to one address (one office behind NAT).
package clientaddr

import (
	"fmt"
	"net"
	"net/netip"
)

// Networks is how many distinct /24 networks a spread plan hands out:
// 127.1.0.0/24 to 127.254.255.0/24. 127.0.0.0/24, where the target
// usually listens, is left alone. Beyond it the networks repeat.
const Networks = 254 * 256

// Plan is the source addresses of one run's clients. The zero Plan leaves
// every address to the system. A Plan is a value; its methods are cheap
// and safe for concurrent use.
type Plan struct {
	pinned netip.Addr // every client from this address
	spread bool       // a /24 per client
	// The first network of each kind of client, in the order they are
	// handed out: the broadcaster, the boards, the SSE clients, the HTTP
	// clients.
	boards, sse, http    int
	nBoards, nSSE, nHTTP int
}

// Counts are how many clients of each kind a run has.
type Counts struct {
	Boards, SSE, HTTP int
}

// Pinned returns a plan with every client from addr.
func Pinned(addr netip.Addr) Plan { return Plan{pinned: addr} }

// Spread returns a plan with each client from a loopback /24 of its own:
// the broadcaster first, then the boards, the SSE clients and the HTTP
// clients.
func Spread(c Counts) Plan {
	return Plan{
		spread: true,
		boards: 1, sse: 1 + c.Boards, http: 1 + c.Boards + c.SSE,
		nBoards: c.Boards, nSSE: c.SSE, nHTTP: c.HTTP,
	}
}

// For returns the plan of a run: pinned to pin when it is valid, else
// spread over loopback when the target is on loopback, else the system's
// choice (another host routes only the machine's own addresses back).
func For(pin netip.Addr, targetLoopback bool, c Counts) Plan {
	switch {
	case pin.IsValid():
		return Pinned(pin)
	case targetLoopback:
		return Spread(c)
	}
	return Plan{}
}

// Check reports whether this machine can connect from the plan's
// addresses, by binding the first one: a pinned address must be one of
// the machine's, and a spread needs the whole of 127.0.0.0/8 on loopback,
// which Linux gives and some systems do not (macOS has 127.0.0.1 alone).
func (p Plan) Check() error {
	if p.IsZero() {
		return nil
	}
	ln, err := net.Listen("tcp", netip.AddrPortFrom(p.Broadcaster(), 0).String())
	if err != nil {
		return err
	}
	return ln.Close()
}

// IsZero reports whether the plan leaves every address to the system.
func (p Plan) IsZero() bool { return !p.spread && !p.pinned.IsValid() }

// Broadcaster returns the broadcaster's address; zero for the system's
// choice.
func (p Plan) Broadcaster() netip.Addr { return p.at(0) }

// Board returns board i's address.
func (p Plan) Board(i int) netip.Addr { return p.at(p.boards + i) }

// SSE returns SSE client i's address.
func (p Plan) SSE(i int) netip.Addr { return p.at(p.sse + i) }

// HTTP returns HTTP client i's address.
func (p Plan) HTTP(i int) netip.Addr { return p.at(p.http + i) }

// at returns the address of network n of a spread plan, 127.a.b.1.
func (p Plan) at(n int) netip.Addr {
	if !p.spread {
		return p.pinned
	}
	n %= Networks
	return netip.AddrFrom4([4]byte{127, byte(1 + n/256), byte(n % 256), 1})
}

// Description says which addresses each kind of client used, compactly:
// "127.1.1.1–127.1.6.1 (6 /24s)". Kinds a run did not have are "".
type Description struct {
	Mode   string `json:"mode"`             // "spread", "pinned" or "system"
	Pinned string `json:"pinned,omitempty"` // the one address of a pinned plan
	// Note says why the addresses were left to the system against a
	// loopback target.
	Note        string `json:"note,omitempty"`
	Broadcaster string `json:"broadcaster,omitempty"`
	Boards      string `json:"boards,omitempty"`
	SSE         string `json:"sse,omitempty"`
	HTTP        string `json:"http,omitempty"`
}

// Describe returns the addresses the plan hands out, given whether the
// run had a broadcaster.
func (p Plan) Describe(broadcaster bool) Description {
	switch {
	case p.pinned.IsValid():
		return Description{Mode: "pinned", Pinned: p.pinned.String()}
	case !p.spread:
		return Description{Mode: "system"}
	}
	d := Description{Mode: "spread"}
	if broadcaster {
		d.Broadcaster = p.Broadcaster().String()
	}
	d.Boards = p.span(p.boards, p.nBoards)
	d.SSE = p.span(p.sse, p.nSSE)
	d.HTTP = p.span(p.http, p.nHTTP)
	return d
}

func (p Plan) span(first, n int) string {
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return p.at(first).String()
	}
	return fmt.Sprintf("%s–%s (%d /24s)", p.at(first), p.at(first+n-1), min(n, Networks))
}
