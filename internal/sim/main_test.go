//go:build unix

package sim_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/loadcheck/loadcheck/internal/sim"
)

func TestMain(m *testing.M) {
	sim.MaybeChild() // workers are this test binary run again
	goleak.VerifyTestMain(m)
}
