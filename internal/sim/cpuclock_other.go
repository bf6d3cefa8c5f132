//go:build !linux

package sim

import "time"

// threadCPUTime reports false: burnCPU falls back to wall time.
func threadCPUTime() (time.Duration, bool) { return 0, false }
