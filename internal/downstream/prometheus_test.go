package downstream_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadcheck/loadcheck/internal/downstream"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// TestPrometheus sums one counter over the series whose labels match, and
// names what is missing.
func TestPrometheus(t *testing.T) {
	var commits atomic.Int64
	commits.Store(1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `# TYPE pg_stat_database_xact_commit counter
pg_stat_database_xact_commit{datname="titan",server="a"} %d
pg_stat_database_xact_commit{datname="titan",server="b"} 7
pg_stat_database_xact_commit{datname="postgres",server="a"} 99999
# TYPE up gauge
up 1
`, commits.Load())
	}))
	defer srv.Close()
	open := func(counter string, labels map[string]string) (downstream.Counter, error) {
		return downstream.Open(context.Background(), scenario.Downstream{Name: "datastorage", Kind: scenario.DownstreamPrometheus, Where: "t.yaml:3:5",
			Prometheus: &scenario.PrometheusSpec{URL: srv.URL + "/metrics", Counter: counter, Labels: labels}})
	}
	c, err := open("pg_stat_database_xact_commit", map[string]string{"datname": "titan"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r0 := mustRead(t, c)
	commits.Add(42)
	r1 := mustRead(t, c)
	if r0.Total != 1007 || r1.Total-r0.Total != 42 || r1.Source != downstream.SourcePrometheus {
		t.Errorf("readings %v then %v, want 1007 then 42 more, from %q", r0.Total, r1.Total, downstream.SourcePrometheus)
	}
	if len(r1.By) != 2 {
		t.Errorf("By %v, want the two titan series", r1.By)
	}
	for _, tc := range []struct {
		counter string
		labels  map[string]string
		want    string
	}{
		{"pg_stat_database_xact_rollback", nil, "has no metric pg_stat_database_xact_rollback"},
		{"pg_stat_database_xact_commit", map[string]string{"datname": "orders"}, "no series of pg_stat_database_xact_commit has the labels"},
	} {
		if _, err := open(tc.counter, tc.labels); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `downstream "datastorage"`) {
			t.Errorf("Open(%s, %v) error %v, want one naming the downstream and saying %q", tc.counter, tc.labels, err, tc.want)
		}
	}
}
