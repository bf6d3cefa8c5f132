// Tests of the repository as a user clones it: a tidy module that `make
// lint` keeps tidy, and no file that points outside the repository.
package loadcheck_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tracked lists the files git tracks, relative to the repository root.
func tracked(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (not a git checkout)", err)
	}
	var fs []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// TestLintFailsOnUntidyModule copies the module to a temporary folder and
// checks that the copy is tidy as shipped, and that `make lint` fails, and
// says why, once a direct dependency is marked "// indirect" the way the
// old go.mod had it.
func TestLintFailsOnUntidyModule(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	for _, f := range tracked(t) {
		// Nested go.mod files too: they keep another module's packages
		// (deploy/) out of this one, as in the repository.
		base := filepath.Base(f)
		if !strings.HasSuffix(f, ".go") && base != "go.mod" && base != "go.sum" && f != "Makefile" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tidy := exec.Command("go", "mod", "tidy", "-diff")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy -diff on the shipped go.mod: %v — run go mod tidy\n%s", err, out)
	}

	gomod := filepath.Join(dir, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	const dep = "github.com/spf13/cobra "
	i := bytes.Index(b, []byte(dep))
	if i < 0 {
		t.Fatalf("go.mod does not require %s", dep)
	}
	eol := i + bytes.IndexByte(b[i:], '\n')
	untidy := append(append(append([]byte{}, b[:eol]...), " // indirect"...), b[eol:]...)
	if err := os.WriteFile(gomod, untidy, 0o644); err != nil {
		t.Fatal(err)
	}
	lint := exec.Command("make", "--no-print-directory", "lint")
	lint.Dir = dir
	out, err := lint.CombinedOutput()
	if err == nil {
		t.Fatalf("make lint passed with cobra marked // indirect:\n%s", out)
	}
	if !strings.Contains(string(out), "not tidy") || !strings.Contains(string(out), "spf13/cobra") {
		t.Errorf("make lint failed, but does not say go.mod is untidy and where:\n%s", out)
	}
}

// TestNoPointerOutsideRepository checks that no tracked file refers to the
// design notes the project started from, which live outside the
// repository, or to a development machine's absolute paths.
func TestNoPointerOutsideRepository(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	// Built from pieces so that this file does not match itself.
	bad := []string{".." + "/shared/", "DESIGN" + ".md", "/work" + "/main/", "/work" + "/wt-", root + "/"}
	for _, f := range tracked(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(b, 0) >= 0 {
			continue // binary
		}
		for _, s := range bad {
			if i := bytes.Index(b, []byte(s)); i >= 0 {
				line := 1 + bytes.Count(b[:i], []byte("\n"))
				t.Errorf("%s:%d: refers to %q, which a clone of the repository does not have", f, line, s)
			}
		}
	}
}

// TestArchitectureMatchesCode holds docs/architecture.md's package table to
// the code: every package under cmd/ and internal/ has a row, every row is
// a package, and the imports a row lists are the package's imports of
// loadcheck's own packages, no more and no fewer.
func TestArchitectureMatchesCode(t *testing.T) {
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := architectureTable(t, string(doc))
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./cmd/...", "./internal/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/loadcheck/loadcheck/"
	code := map[string]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		var own []string
		for _, imp := range fields[1:] {
			if rest, ok := strings.CutPrefix(imp, module+"internal/"); ok {
				own = append(own, rest)
			}
		}
		slices.Sort(own)
		code[pkg] = strings.Join(own, ", ")
	}
	for pkg, imports := range code {
		row, ok := documented[pkg]
		if !ok {
			t.Errorf("docs/architecture.md: package %s has no row in the package table; add `| `%s` | what it does | %s |`", pkg, pkg, orDash(imports))
			continue
		}
		if row != imports {
			t.Errorf("docs/architecture.md: %s imports %q in the table, but the code imports %q", pkg, row, orDash(imports))
		}
	}
	for pkg := range documented {
		if _, ok := code[pkg]; !ok {
			t.Errorf("docs/architecture.md: the package table has a row for %s, which is not a package", pkg)
		}
	}
}

// architectureTable reads the package table: package path → its imports of
// loadcheck's packages, sorted and joined by ", " ("" for "—").
func architectureTable(t *testing.T, doc string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for line := range strings.Lines(doc) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		pkg := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if !strings.HasPrefix(pkg, "internal/") && !strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		var imports []string
		for imp := range strings.SplitSeq(cells[3], ",") {
			if imp = strings.TrimSpace(imp); imp != "" && imp != "—" {
				imports = append(imports, imp)
			}
		}
		slices.Sort(imports)
		rows[pkg] = strings.Join(imports, ", ")
	}
	if len(rows) == 0 {
		t.Fatal("docs/architecture.md: no package table found")
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
