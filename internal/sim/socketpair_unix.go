//go:build unix

package sim

import (
	"os"
	"syscall"
)

// socketpair returns the two ends of a connected unix stream socket, both
// close-on-exec (exec.Cmd.ExtraFiles clears the flag on the end it hands
// over).
func socketpair() (parent, child *os.File, err error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	return os.NewFile(uintptr(fds[0]), "sim-control-parent"), os.NewFile(uintptr(fds[1]), "sim-control-child"), nil
}
