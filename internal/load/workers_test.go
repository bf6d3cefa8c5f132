package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// max_workers is, as the README says, the cap on concurrent requests. Asked for far more than the cap carries, the
// target sees exactly max_workers requests at once at the peak — never
// one more — and the generator's own in-flight peak says the same.
func TestInflightWithinMaxWorkers(t *testing.T) {
	for _, workers := range []int{1, 16, 64} {
		var now, peak atomic.Int64
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := now.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			now.Add(-1)
			w.Write([]byte("ok"))
		}))
		// Offered twice what the cap carries at 20 ms a request.
		rate := float64(2 * workers * 50)
		sc := newScenario(constant(rate, 1500*time.Millisecond), 1500*time.Millisecond)
		sc.HTTP.MaxWorkers = workers
		_, st := attack(t, context.Background(), sc, s.URL)
		s.Close()
		if got := peak.Load(); got != int64(workers) {
			t.Errorf("max_workers %d: the target saw %d requests at once at the peak, want %d", workers, got, workers)
		}
		if st.InflightMax != int64(workers) {
			t.Errorf("max_workers %d: the generator's in-flight peak is %d, want %d", workers, st.InflightMax, workers)
		}
	}
}
