package probe

import "testing"

// Boards that expected no broadcast have no loss or duplicates, none
// delivered no delivery time, SSE without events no gap: a gate on them
// fails as not measured instead of holding on a 0 never measured. One of
// each is enough.
func TestReceiveFiguresNeedSomethingMeasured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ws   WSSummary
		sse  SSESummary
		ok   bool
	}{
		{"nothing", WSSummary{Connected: 6}, SSESummary{Connected: 3}, false},
		{"one of each", WSSummary{Connected: 6, Expected: 1, Delivered: 1}, SSESummary{Connected: 3, Events: 1}, true},
	} {
		for _, name := range []string{"ws.loss", "ws.dup", "ws.delivery.p95"} {
			if _, ok := tc.ws.Figure(name, ""); ok != tc.ok {
				t.Errorf("%s: %s measured = %v, want %v", tc.name, name, ok, tc.ok)
			}
		}
		if _, ok := tc.sse.Figure("sse.gap.max", ""); ok != tc.ok {
			t.Errorf("%s: sse.gap.max measured = %v, want %v", tc.name, ok, tc.ok)
		}
	}
}
