package yamlfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// TestDecodeAcceptsBOM: editors on Windows start UTF-8 files with a byte
// order mark, which YAML allows.
func TestDecodeAcceptsBOM(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "f.yaml", "\ufeffname: s\n")
	var f file
	if _, _, err := yamlfile.Decode(path, &f, nil); err != nil || f.Name != "s" {
		t.Errorf("Decode(file with a BOM) = %+v, %v; want the name s", f, err)
	}
}

// TestHostileInputsBounded decodes files that took the machine down before
// the bounds (a 48 KB file of nested brackets took 1.9 GB, dashes nested
// 60,000 deep 2.2 GB; a 64 MiB file was read whole) and checks that each
// is refused with a located error, allocating no more than reading a file
// of MaxFileBytes takes. Memory is measured (runtime.MemStats.TotalAlloc, which
// only grows), not time.
func TestHostileInputsBounded(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, []byte("name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 64<<20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	laughs := "name: x\nhttp:\n  endpoints:\n    - &a {name: a, path: /, headers: {a: b, c: d, e: f, g: h}}\n"
	for i := range 6 {
		laughs += "    - &l" + string(rune('a'+i+1)) + " [" + strings.Repeat("*"+anchorName(i)+", ", 9) + "]\n"
	}
	tests := []struct {
		name, file, want string
		maxAlloc         uint64
	}{
		{"nested brackets", writeFile(t, dir, "nested.yaml", "name: "+strings.Repeat("[", 24000)+strings.Repeat("]", 24000)+"\n"),
			":1:70: nested more than 64 levels deep", 4 << 20},
		{"nested dashes", writeFile(t, dir, "dashes.yaml", strings.Repeat("- ", 60000)+"x\n"),
			":1:1: nested more than 64 levels deep", 4 << 20},
		{"over the size limit", huge, ":1:1: the file is 64 MiB: scenario and target files are limited to 1 MiB", 4 << 20},
		{"too many values", writeFile(t, dir, "values.yaml", "name: x\ngates: ["+strings.Repeat("a, ", 60000)+"]\n"),
			":2:1: more than 50000 values", 4 << 20},
		{"aliases of aliases", writeFile(t, dir, "laughs.yaml", laughs),
			":1:1: aliases expand to more than 50000 values", 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := yamlfile.Decode(tc.file, new(file), nil)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.HasPrefix(err.Error(), tc.file+tc.want) || !errors.Is(err, yamlfile.ErrInvalid) {
				t.Errorf("Decode = %v, want an invalid-file error %s%s…", err, tc.file, tc.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > tc.maxAlloc {
				t.Errorf("Decode allocated %d KiB, want at most %d KiB", alloc>>10, tc.maxAlloc>>10)
			}
		})
	}
}

func anchorName(i int) string {
	if i == 0 {
		return "a"
	}
	return "l" + string(rune('a'+i))
}
