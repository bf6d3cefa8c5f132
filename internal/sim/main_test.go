//go:build unix

package sim_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/loadcheck/loadcheck/internal/sim"
)

func TestMain(m *testing.M) {
	sim.MaybeChild() // workers are this test binary run again
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
