package resource

import "testing"

// A memory figure of 0 was not measured: a gate on it fails as such. One
// byte is a measurement.
func TestTallyFiguresNeedMemoryRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f  Figures
		ok bool
	}{
		{Figures{CPUMeasured: true, CPUSustained: 10}, false},
		{Figures{CPUMeasured: true, RSSTotal: 1, RSSMaxProcess: 1}, true},
	} {
		for _, name := range []string{"rss.total", "rss.max_process"} {
			if _, ok := tc.f.Figure(name, ""); ok != tc.ok {
				t.Errorf("%+v: %s measured = %v, want %v", tc.f, name, ok, tc.ok)
			}
		}
	}
}
