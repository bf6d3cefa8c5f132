package sim

import "syscall"

// workerSysProcAttr makes the kernel SIGKILL a worker when the parent dies,
// so a killed `loadcheck sim` leaves no orphan holding the port. (Strictly
// it fires when the forking OS thread exits; the Go runtime does not end
// threads that were not locked, so in practice that is the parent's death.)
// The control socket's EOF is the portable second line of defence.
func workerSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
