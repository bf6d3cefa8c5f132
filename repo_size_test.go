package loadcheck_test

import (
	"go/ast"
	"go/parser"
	"go/token"
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
