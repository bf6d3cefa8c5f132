//go:build !linux

package resource

import (
	"errors"
	"time"
)

// bootClock is only known on Linux; elsewhere processes found during a
// run count from their second sample.
func bootClock() (time.Duration, error) {
	return 0, errors.New("no boot clock on this system")
}
