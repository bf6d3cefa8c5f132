package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/golden"
)

// fixMarkers are the words with which a message says what to do; a
// message of the corpus must hold one.
var fixMarkers = []string{" — ", "want ", "add ", "did you mean", "use ", "remove", "replace", "write ", "pass ",
	"save ", "e.g.", "raise", "give ", "move ", "install", "create", "export", "start ", "fix ", "flatten", "rerun", "render it", "name "}

// TestBrokenCorpus runs every file of testdata/broken through the command
// a user would: scenario-*.yaml and target-*.yaml through validate,
// result-*.json through report. Each must exit 2 with every message line
// at the file's line and column and saying what to do, and match its
// golden message (testdata/broken/<file>.golden; -update rewrites them).
func TestBrokenCorpus(t *testing.T) {
	t.Setenv("LOADCHECK_CORPUS_UNSET", "")
	os.Unsetenv("LOADCHECK_CORPUS_UNSET")
	var files []string
	for _, g := range []string{"scenario-*.yaml", "target-*.yaml", "result-*.json"} {
		m, _ := filepath.Glob(filepath.Join("testdata", "broken", g))
		files = append(files, m...)
	}
	if len(files) < 120 {
		t.Errorf("the corpus holds %d broken files, want at least 120", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := "validate"
			if strings.HasSuffix(f, ".json") {
				cmd = "report"
			}
			o := loadcheck(t, context.Background(), cmd, f)
			if o.code != ExitBadInput {
				t.Errorf("%s %s: exit %d, want 2; stdout:\n%s\nstderr:\n%s", cmd, f, o.code, o.stdout, o.stderr)
			}
			located := regexp.MustCompile(`^(loadcheck: )?` + regexp.QuoteMeta(f) + `:\d+:\d+: `)
			for _, l := range strings.Split(strings.TrimSpace(o.stderr), "\n") {
				if !located.MatchString(l) {
					t.Errorf("message does not start with %s:line:col: %s", f, l)
				}
				if !hasFix(l) {
					t.Errorf("message says no fix: %s", l)
				}
			}
			golden.Check(t, strings.TrimPrefix(filepath.ToSlash(f), "testdata/"), []byte(o.stderr))
		})
	}
}

func hasFix(msg string) bool {
	for _, m := range fixMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
