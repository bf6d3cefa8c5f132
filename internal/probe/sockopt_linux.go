package probe

import (
	"syscall"
)

// tcpUserTimeout is TCP_USER_TIMEOUT of linux/tcp.h, the same on every
// architecture; package syscall names it on a few only.
const tcpUserTimeout = 0x12

// boundWrites sets a board connection's TCP_USER_TIMEOUT to userTimeout:
// data written to a peer that vanished (a ping, a close) is given up
// after that long and the read fails, where the kernel would otherwise
// retransmit for about 15 minutes and keep-alive, which probes only an
// idle connection, would not help.
func boundWrites(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(userTimeout.Milliseconds()))
	})
	if err != nil {
		return err
	}
	return serr
}
