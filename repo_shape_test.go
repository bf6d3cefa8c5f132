package loadcheck_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The limits a newcomer reads the code by: a package that outgrows
// maxPackageLines is doing more than one thing, and a function longer than
// maxFuncLines no longer fits on a screen. Test files do not count.
const (
	maxPackageLines = 3000
	maxFuncLines    = 80
)

// TestPackagesAndFunctionsStaySmall holds every package of the module to
// maxPackageLines non-test lines and every function to maxFuncLines lines,
// from its func line to its closing brace.
func TestPackagesAndFunctionsStaySmall(t *testing.T) {
	lines := map[string]int{}
	fset := token.NewFileSet()
	for _, f := range tracked(t) {
		if !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "deploy/") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		lines[filepath.Dir(f)] += fset.File(file.Pos()).LineCount()
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			from, to := fset.Position(fn.Pos()), fset.Position(fn.End())
			if n := to.Line - from.Line + 1; n > maxFuncLines {
				t.Errorf("%s:%d: %s is %d lines long; split it below %d", f, from.Line, fn.Name.Name, n, maxFuncLines)
			}
		}
	}
	for dir, n := range lines {
		if n > maxPackageLines {
			t.Errorf("%s: %d non-test lines; split the package below %d", dir, n, maxPackageLines)
		}
	}
}

// TestGoroutinesAreLeakChecked holds every package whose code starts a
// goroutine, and that has tests, to a leak check after them
// (goleak.VerifyTestMain, or simtest.RunLeakChecked where TestMain also
// serves the built-in target): a goroutine a run forgets to stop would
// otherwise pass every test. Tests-only packages (no tests of their own)
// are checked through the tests that use them.
func TestGoroutinesAreLeakChecked(t *testing.T) {
	starts, tested, checked := map[string]bool{}, map[string]bool{}, map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range tracked(t) {
		if !strings.HasSuffix(f, ".go") || strings.HasPrefix(f, "deploy/") || strings.HasPrefix(f, "bench/") {
			continue
		}
		dir := filepath.Dir(f)
		if strings.HasSuffix(f, "_test.go") {
			tested[dir] = true
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("goleak.VerifyTestMain(")) || bytes.Contains(b, []byte("simtest.RunLeakChecked(")) {
				checked[dir] = true
			}
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if _, ok := n.(*ast.GoStmt); ok {
				starts[dir] = true
			}
			return !starts[dir]
		})
	}
	if len(starts) == 0 {
		t.Fatal("no package starts a goroutine: the walk found no code")
	}
	for dir := range starts {
		if tested[dir] && !checked[dir] {
			t.Errorf("%s starts goroutines but its tests check for none left: add func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }", dir)
		}
	}
}
