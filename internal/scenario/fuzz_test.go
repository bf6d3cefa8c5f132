package scenario_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// FuzzLoad feeds arbitrary bytes to Load and LoadTarget: whatever the
// file holds, they must return a scenario or an error, never panic. The
// seed corpus is in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("duration: 1m\nhttp:\n  load: {rate: 5/s}\n  endpoints: [{name: a, path: /}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := scenario.Load(path)
		if (s == nil) == (err == nil) {
			t.Errorf("Load = %v, %v: want exactly one of a scenario and an error", s, err)
		}
		if s != nil {
			s.Where("http.endpoints[0].path")
			s.WithDuration(s.Duration / 2)
		}
		tg, err := scenario.LoadTarget(path)
		if (tg == nil) == (err == nil) {
			t.Errorf("LoadTarget = %v, %v: want exactly one of a target and an error", tg, err)
		}
	})
}
