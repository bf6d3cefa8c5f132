// Package golden holds a test's rendered output to a file under testdata:
// what a user reads (a report, an error message) is compared in full, so
// that any change to it shows in review as a change to the file.
//
// Run the tests with -update to rewrite the files from the current output.
// It is for tests only.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/*.golden) from the current output")

// Check compares got with testdata/<name>.golden, or with -update writes
// got there. On a difference it writes got to testdata/<name>.got (which
// git ignores) for a diff tool, and fails t with the difference.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		gotPath := filepath.Join("testdata", name+".got")
		if err := os.WriteFile(gotPath, got, 0o644); err != nil {
			t.Logf("write %s: %v", gotPath, err)
		}
		t.Errorf("%s differs (-want +got), the output written to %s:\n%s", path, gotPath, diff)
	}
}
