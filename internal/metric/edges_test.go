package metric

import (
	"testing"
)

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
