package scenario_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/gate"
	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// TestErrorsGolden loads every file in testdata/errors and compares the
// error text, which is what a user reads, with <case>.golden. Files named
// target-*.yaml are target files. Run with -update to refresh the golden
// files; on a mismatch the text is written to <case>.got.
func TestErrorsGolden(t *testing.T) {
	// missing-env.yaml names this variable; it must not be set.
	t.Setenv("LOADCHECK_TEST_UNSET_TOKEN", "")
	os.Unsetenv("LOADCHECK_TEST_UNSET_TOKEN")

	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases in testdata/errors: %v", err)
	}
	located := regexp.MustCompile(`^testdata/errors/[\w-]+\.yaml:\d+:\d+: `)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			var err error
			if strings.HasPrefix(name, "target-") {
				_, err = scenario.LoadTarget(file)
			} else {
				_, err = scenario.Load(file)
			}
			if err == nil {
				t.Fatalf("Load(%q) = nil error, want one", file)
			}
			if !errors.Is(err, yamlfile.ErrInvalid) {
				t.Errorf("Load(%q) error does not wrap ErrInvalid: %v", file, err)
			}
			got := err.Error() + "\n"
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !located.MatchString(line) {
					t.Errorf("error line %q does not start with file:line:col", line)
				}
			}

			golden.Check(t, "errors/"+name, []byte(got))
		})
	}
}

// TestErrorsAllAtOnce checks that a file with several problems reports
// each of them, one per line, rather than stopping at the first.
func TestErrorsAllAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []string // one substring per expected line, in order
	}{
		{
			name: "shape errors",
			yaml: `
duration: 30
http:
  timeout: 5
  load: {rate: fast}
  endpoints:
    - {name: a, path: /a, wieght: 2}
`,
			want: []string{
				":2:11: duration: want a duration with a unit, e.g. 30s, got 30",
				":4:12: http.timeout: want a duration with a unit",
				`:5:16: http.load.rate: rate "fast": want N/s`,
				`:7:27: http.endpoints[0]: unknown field "wieght" — did you mean "weight"?`,
			},
		},
		{
			name: "meaning errors",
			yaml: `
duration: 1m
http:
  load: {rate: 5/s}
  endpoints:
    - {name: a, path: a, weight: 0}
    - {name: a, path: /b, method: FETCH}
gates: [ws.loss == 0%, http.b.p95 < 1s]
`,
			want: []string{
				`:6:23: http.endpoints[0].path: want a path starting with /, e.g. /a`,
				`:6:34: http.endpoints[0].weight: want a weight of 1 or more, got 0`,
				`:7:14: http.endpoints[1].name: another endpoint is named "a"`,
				`:7:35: http.endpoints[1].method: unknown method "FETCH"`,
				`:8:9: gates[0]: "ws.loss == 0%": ws metrics need a websocket section`,
				`:8:24: gates[1]: "http.b.p95 < 1s": no endpoint is named "b"`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "s.yaml", tc.yaml)
			_, err := scenario.Load(path)
			if err == nil {
				t.Fatalf("Load = nil error, want %d problems", len(tc.want))
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("Load error has %d lines, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], path) || !strings.Contains(lines[i], w) {
					t.Errorf("line %d = %q, want %s%s...", i+1, lines[i], path, w)
				}
			}
		})
	}
}

func TestErrorsWrap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := scenario.Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, yamlfile.ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing file) = %v, want an error wrapping ErrInvalid and os.ErrNotExist", err)
	}
	path := writeFile(t, dir, "s.yaml", "duration: 1m\nhttp:\n  load: {rate: 1/s}\n  endpoints: [{name: a, path: /}]\ngates: [http.p95 = 1s]\n")
	_, err = scenario.Load(path)
	if !errors.Is(err, yamlfile.ErrInvalid) || !errors.Is(err, gate.ErrSyntax) {
		t.Errorf("Load(bad gate) = %v, want an error wrapping ErrInvalid and gate.ErrSyntax", err)
	}
}

// writeFile writes content to dir/name, creating directories, and returns
// the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
