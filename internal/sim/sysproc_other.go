//go:build !linux

package sim

import "syscall"

// workerSysProcAttr has no parent-death signal outside Linux; workers
// notice the parent's death by the EOF on their control socket.
func workerSysProcAttr() *syscall.SysProcAttr { return nil }
