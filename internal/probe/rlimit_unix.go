//go:build unix

package probe

import (
	"fmt"
	"syscall"
)

// ensureFiles makes sure the process may open about need file
// descriptors. When need exceeds half the soft RLIMIT_NOFILE, the soft
// limit is raised to the hard limit (Go already does this at start-up on
// Linux; other launchers may not). It fails when even that is too low.
func ensureFiles(need int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // unknown: let the dials say what fails
	}
	if uint64(need) <= lim.Cur/2 {
		return nil
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
		}
	}
	if uint64(need) > lim.Cur {
		return fmt.Errorf("open files: need about %d, the limit is %d (hard %d): raise it, e.g. ulimit -n %d", need, lim.Cur, lim.Max, need+1024)
	}
	return nil
}
