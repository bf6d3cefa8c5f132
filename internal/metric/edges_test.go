package metric

import (
	"testing"
)

// A part the run had but that measured nothing has no figure: websockets
// that expected no broadcast have no loss or duplicates, none delivered no
// delivery time, SSE without events no gap, a sampler that read no
// memory no RSS. A gate on them fails as not measured instead of holding
// on a 0 that was never measured.
func TestReadNothingMeasured(t *testing.T) {
	t.Parallel()
	empty := &figures{
		ws:  &WS{Connected: 6},
		sse: &SSE{Connected: 3},
		res: &Resources{CPUMeasured: true, CPUSustained: 10, CPUTotal: 10},
	}
	for _, name := range []string{"ws.loss", "ws.dup", "ws.delivery.p95", "sse.gap.max", "rss.total", "rss.max_process"} {
		if v, ok := Read(empty, name); ok {
			t.Errorf("%s of a run that measured none = %v, want not measured", name, v)
		}
	}
	// One of each is enough to measure.
	one := &figures{
		ws:  &WS{Connected: 6, Expected: 1, Delivered: 1},
		sse: &SSE{Connected: 3, Events: 1},
		res: &Resources{CPUMeasured: true, RSSTotal: 1, RSSMaxProcess: 1},
	}
	for _, name := range []string{"ws.loss", "ws.dup", "ws.delivery.p95", "sse.gap.max", "rss.total", "rss.max_process"} {
		if _, ok := Read(one, name); !ok {
			t.Errorf("%s of a run that measured one is not measured", name)
		}
	}
}

// An endpoint's statistic needs an endpoint name: "http..p95" is not the
// run's p95 of an endpoint called "".
func TestLookupNeedsAnEndpoint(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"http..p95", "http.p95x", "http."} {
		if m, ep, err := Lookup(name); err == nil {
			t.Errorf("Lookup(%q) = %s of endpoint %q, want an error", name, m.Name, ep)
		}
	}
	if _, ep, err := Lookup("http.a.p95"); err != nil || ep != "a" {
		t.Errorf("Lookup(http.a.p95) = endpoint %q, %v; want a", ep, err)
	}
}

func TestOrList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := orList(tc.in); got != tc.want {
			t.Errorf("orList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
