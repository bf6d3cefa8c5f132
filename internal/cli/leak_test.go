package cli

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// leakChecked runs the tests and then fails them if any goroutine is left
// running: every stage of a run starts goroutines, and each must end with
// the run.
func leakChecked(m *testing.M) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
