package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeT records what Check reports instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Logf(string, ...any)   {}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "testdata", "out.golden"), []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	for _, tc := range []struct {
		name, got  string
		wantFailed bool
		wantGot    bool // testdata/out.got written
	}{
		{"out", "same\n", false, false},
		{"out", "changed\n", true, true},
		{"missing", "x", true, false},
	} {
		os.Remove(filepath.Join("testdata", "out.got"))
		f := &fakeT{}
		Check(f, tc.name, []byte(tc.got))
		if f.failed != tc.wantFailed {
			t.Errorf("Check(%s, %q) failed = %v, want %v", tc.name, tc.got, f.failed, tc.wantFailed)
		}
		b, err := os.ReadFile(filepath.Join("testdata", "out.got"))
		if written := err == nil; written != tc.wantGot || (written && string(b) != tc.got) {
			t.Errorf("Check(%s, %q): out.got = %q (%v), want written %v", tc.name, tc.got, b, err, tc.wantGot)
		}
	}

	*update = true
	defer func() { *update = false }()
	Check(t, "new", []byte("fresh\n"))
	if b, err := os.ReadFile(filepath.Join("testdata", "new.golden")); err != nil || string(b) != "fresh\n" {
		t.Errorf("with -update: new.golden = %q (%v), want the output", b, err)
	}
}
