package downstream_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the tests if any goroutine outlives them: a stub's
// handlers and resolver, a Watcher's sampler, a reader's connection.
// go-redis probes a server it could not dial from a goroutine that sees
// the client closed only after its one-second sleep; it then ends.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}
