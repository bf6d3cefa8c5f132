package scenario_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

const validScenario = "name: s\nduration: 1m\nhttp:\n  load: {rate: 5/s}\n  endpoints: [{name: a, path: /}]\n"

// TestMissingTargetFileNamesTheLine: a scenario's target: that names no
// file is reported at that line of the scenario, not as a bare file error.
func TestMissingTargetFileNamesTheLine(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "s.yaml", "name: s\ntarget: targets/typo.yaml\n"+strings.TrimPrefix(validScenario, "name: s\n"))
	s, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.LoadTarget()
	want := path + ":2:9: target: " + filepath.Join(filepath.Dir(path), "targets/typo.yaml") + " does not exist — fix the path"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LoadTarget() = %v, want %s…", err, want)
	}
	if !errors.Is(err, yamlfile.ErrInvalid) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadTarget() = %v, want it to wrap ErrInvalid and fs.ErrNotExist", err)
	}
}

// TestLargestAcceptedFileBounded loads files just inside the bounds, the
// most a file can make the parser do, and checks that each is judged on
// its content, not refused by a bound (the endpoints file, about 35,000
// values, is a valid scenario), and the memory they take against the
// 100 MB budget `validate` promises. BenchmarkLoadLargest measures the
// time.
func TestLargestAcceptedFileBounded(t *testing.T) {
	want := map[string]string{ // the first problem; "" for a valid file
		"endpoints":  "",
		"flow lists": ":2:9: gates[0]: want a single value, got a list",
		"bad gates":  `:2:9: gates[0]: "a": want METRIC OP THRESHOLD`,
		"deep":       ":2:9: gates[0]: want a single value, got a list",
	}
	for name, content := range largestFiles() {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "s.yaml", content)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			sc, err := scenario.Load(path)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
				t.Errorf("Load of %d KiB allocated %d MiB, want at most 100 MiB", len(content)>>10, alloc>>20)
			}
			switch w, ok := want[name]; {
			case !ok:
				t.Fatalf("no expected outcome for %s", name)
			case w == "" && (err != nil || len(sc.HTTP.Endpoints) != 4400):
				t.Errorf("Load = %v, want the 4400 endpoints of a valid file", err)
			case w != "" && (err == nil || !errors.Is(err, yamlfile.ErrInvalid) || !strings.Contains(err.Error(), path+w)):
				t.Errorf("Load = %.300v, want an invalid-file error %s%s", err, path, w)
			case err != nil && (strings.Contains(err.Error(), "more than") || strings.Contains(err.Error(), "limited to")):
				t.Errorf("a file inside the bounds was refused by one: %.300v", err)
			}
		})
	}
}

func BenchmarkLoadLargest(b *testing.B) {
	for name, content := range largestFiles() {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "s.yaml")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				scenario.Load(path)
			}
		})
	}
}

// largestFiles are files just inside the bounds: many endpoints (a valid
// scenario), many small flow lists, and many bad gates (each a problem).
func largestFiles() map[string]string {
	var endpoints strings.Builder
	endpoints.WriteString("name: x\nduration: 1m\nhttp:\n  load: {rate: 5/s}\n  endpoints:\n")
	for i := range 4400 {
		endpoints.WriteString("    - {name: e" + strconv.Itoa(i) + ", path: /api/zeus/search?q=abcdefgh, weight: 1}\n")
	}
	return map[string]string{
		"endpoints":  endpoints.String(),
		"flow lists": "name: x\ngates: [" + strings.Repeat("[[]], ", 12000) + "]\n",
		"bad gates":  "name: x\ngates: [" + strings.Repeat("a, ", 24500) + "]\n",
		"deep":       "name: x\ngates: " + strings.Repeat("[", 62) + strings.Repeat("]", 62) + "\n",
	}
}
