//go:build !linux

package probe

import "syscall"

// boundWrites does nothing here: TCP_USER_TIMEOUT is Linux's. A write to
// a vanished peer then fails when the kernel gives up retransmitting.
func boundWrites(_, _ string, _ syscall.RawConn) error { return nil }
