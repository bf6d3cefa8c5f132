package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// An endpoint whose feed (order: once) runs out stops sending: the target
// sees each row once, the rest of that endpoint's arrivals are counted as
// ran out rather than unsent, and the other endpoint keeps its share.
func TestFeedOnceRunsOut(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path+"?"+r.URL.RawQuery]++
		mu.Unlock()
	}))
	defer s.Close()
	fd := &feed.Feed{Columns: []string{"id"}, Rows: [][]string{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}}, Order: feed.Once}
	sc := newScenario(constant(40, time.Second), time.Second,
		scenario.Endpoint{Name: "claim", Path: "/claim?id={{.id}}", Weight: 1, Feed: fd},
		scenario.Endpoint{Name: "home", Path: "/", Weight: 1},
	)
	sum, st := attack(t, context.Background(), sc, s.URL)
	mu.Lock()
	defer mu.Unlock()
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		if n := seen["/claim?id="+id]; n != 1 {
			t.Errorf("row %s sent %d times, want once", id, n)
		}
	}
	if seen["/?"] != 20 {
		t.Errorf("home sent %d times, want its 20 of 40 arrivals", seen["/?"])
	}
	if len(st.RanOut) != 2 || st.RanOut[0] != 15 || st.RanOut[1] != 0 {
		t.Errorf("RanOut = %v, want [15 0]: claim's 20 arrivals less its 5 rows", st.RanOut)
	}
	if st.Scheduled != 25 || st.Sent != 25 {
		t.Errorf("Scheduled %d, Sent %d; want 25 and 25: arrivals after the feed ran out are not unsent", st.Scheduled, st.Sent)
	}
	if got := sum.Total.Requests; got != 25 {
		t.Errorf("recorded %d requests, want 25", got)
	}
}
