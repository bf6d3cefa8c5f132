package derive

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, target string
		route          string
		cols, vals     []string
	}{
		{"GET", "/", "GET /", nil, nil},
		{"GET", "/api/customers/1042/history", "GET /api/customers/{{.id}}/history", []string{"id"}, []string{"1042"}},
		{"GET", "/api/jobs/3F2A9C1E-7B4D-4E8A-9C3B-2D1E0F9A8B7C/steps/7", "GET /api/jobs/{{.uuid}}/steps/{{.id}}", []string{"uuid", "id"}, []string{"3F2A9C1E-7B4D-4E8A-9C3B-2D1E0F9A8B7C", "7"}},
		{"GET", "/a/1/b/2", "GET /a/{{.id}}/b/{{.id2}}", []string{"id", "id2"}, []string{"1", "2"}},
		{"GET", "/blob/0123456789abcdef01", "GET /blob/{{.hex}}", []string{"hex"}, []string{"0123456789abcdef01"}},
		// Words and short hex stay: "deadbeef" and "cafe" are names here.
		{"GET", "/api/v2/deadbeef/cafe", "GET /api/v2/deadbeef/cafe", nil, nil},
		{"GET", "/api/zeus/search?q=sewer+camera&page=2", "GET /api/zeus/search?page={{.page}}&q={{.q}}", []string{"page", "q"}, []string{"2", "sewer camera"}},
		{"GET", "/s?q=a%26b&weight=3&x-y=1", "GET /s?q={{.q}}&weight={{.q_weight}}&x-y={{.x_y}}", []string{"q", "q_weight", "x_y"}, []string{"a&b", "3", "1"}},
		{"POST", "/items/5?id=9", "POST /items/{{.id}}?id={{.id2}}", []string{"id", "id2"}, []string{"5", "9"}},
	}
	for _, tc := range tests {
		var key bytes.Buffer
		var cols []string
		vals := split(tc.method, []byte(tc.target), &key, nil, &cols)
		if key.String() != tc.route || !slices.Equal(cols, tc.cols) || !slices.Equal(vals, tc.vals) {
			t.Errorf("split(%s %s) = %q %q %q, want %q %q %q", tc.method, tc.target, key.String(), cols, vals, tc.route, tc.cols, tc.vals)
		}
	}
}

func TestEndpointName(t *testing.T) {
	t.Parallel()
	for route, want := range map[string]string{
		"GET /":                              "home",
		"GET /api/zeus/search?q={{.q}}":      "zeus-search",
		"GET /api/customers/{{.id}}/history": "customers-history",
		"POST /api/dispatch/broadcast":       "post-dispatch-broadcast",
		"DELETE /api/customers/{{.id}}":      "delete-customers",
		"POST /":                             "post-home",
		"GET /static/App.CSS":                "static-app-css",
	} {
		if got := endpointName(route); got != want {
			t.Errorf("endpointName(%q) = %q, want %q", route, got, want)
		}
	}
}

// While it has room topK counts exactly; once full it keeps every value
// more frequent than 1/capacity of all, with a count never too low.
func TestTopKKeepsHeavyHitters(t *testing.T) {
	t.Parallel()
	k := newTopK(50)
	for i := range 10 {
		k.add([]byte("hot"))
		k.add([]byte(fmt.Sprintf("warm%d", i%3)))
	}
	if !k.exact() || k.top(1)[0].count != 10 {
		t.Fatalf("before filling: exact %v, top %v; want exact and hot×10", k.exact(), k.top(1))
	}
	// 10,000 values seen once each, between which hot comes back every
	// 20 sightings (5 % of them, well above 1/50).
	for i := range 10_000 {
		k.add([]byte(fmt.Sprintf("cold%d", i)))
		if i%20 == 0 {
			k.add([]byte("hot"))
		}
	}
	top := k.top(1)[0]
	if k.exact() || top.value != "hot" || top.count < 510 {
		t.Errorf("after 10,000 cold values: exact %v, top %s×%d; want inexact and hot×≥510", k.exact(), top.value, top.count)
	}
	if len(k.heap) != 50 || len(k.index) != 50 {
		t.Errorf("holds %d values (index %d), want the capacity, 50", len(k.heap), len(k.index))
	}
}
