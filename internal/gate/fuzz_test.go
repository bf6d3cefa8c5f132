package gate

import "testing"

func FuzzParse(f *testing.F) {
	for _, s := range []string{"http.p95 < 2s", "ws.loss == 0%", "rss.total < 300MB", "http.x.rate >= 1/min", "a b c", "", "cpu.sustained < 60%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s, kinds)
		if err != nil {
			return
		}
		// A parsed gate evaluates without panicking and keeps its source.
		if g.Source == "" || g.Metric == "" {
			t.Errorf("Parse(%q) = %+v with empty fields", s, g)
		}
		_ = g.Eval(metrics{g.Metric: {V: 1, Kind: g.Threshold.Kind}})
		_ = g.Threshold.String()
	})
}
