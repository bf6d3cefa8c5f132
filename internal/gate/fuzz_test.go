package gate

import "testing"

// FuzzParse holds every gate Parse accepts to checkParsed: it prints back
// to an equal gate and evaluates by its operator's definition.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"http.p95 < 2s", "ws.loss == 0%", "rss.total < 300MB", "http.x.rate >= 1/min", "a b c", "", "cpu.sustained < 60%",
		"ws.connected > 5", "http.p99 <= 250ms", "sse.gap.max < 3us", "rss.max_process >= 1.5GiB", "http.errors < 0.04%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s, kinds)
		if err != nil {
			return
		}
		if g.Text == "" || g.Metric == "" || g.String() != g.Text {
			t.Errorf("Parse(%q) = %+v with empty fields", s, g)
		}
		checkParsed(t, s, g)
	})
}
