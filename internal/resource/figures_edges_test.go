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

// A summary's CPU figures are measured once its timeline has a sample
// (two readings); before, a gate on them fails as not measured.
func TestTallyFiguresNeedASample(t *testing.T) {
	t.Parallel()
	if (&Summary{CPUSustained: 5}).Figures().CPUMeasured {
		t.Error("a summary without a sample has CPU figures")
	}
	if !(&Summary{Timeline: []Sample{{CPU: 5}}}).Figures().CPUMeasured {
		t.Error("a summary with one sample has no CPU figures")
	}
}
