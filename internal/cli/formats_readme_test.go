package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/simtest"
)

// TestREADMEFormatsWork takes the output formats from the README's own
// sentences — not from report.Formats, from which the flags' help text is
// built — and checks what a user relies on: every command the README
// names accepts each of its formats and refuses one it does not name, and
// a saved result renders in each format as that format.
func TestREADMEFormatsWork(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	claims := regexp.MustCompile("((?:`[a-z]+`(?:, | and ))+`[a-z]+`) take `--format ([a-z|]+)`").FindAllStringSubmatch(text, -1)
	if len(claims) != 2 {
		t.Fatalf("README: %d sentences \"`cmd` … take `--format a|b`\", want 2 (every command and its formats)", len(claims))
	}
	result := savedResults(t, "targets/t-1w.yaml")[0]
	dir := simtest.Files(t, map[string]string{"t.yaml": "name: t\nbase_url: http://127.0.0.1:1\n"})
	missing := filepath.Join(dir, "missing.yaml")
	for _, c := range claims {
		formats := strings.Split(c[2], "|")
		for _, m := range regexp.MustCompile("`([a-z]+)`").FindAllStringSubmatch(c[1], -1) {
			cmd := m[1]
			for _, format := range append(formats, "xml") {
				var args []string
				switch cmd {
				case "report":
					args = []string{"report", result}
				case "validate":
					args = []string{"validate", filepath.Join(dir, "t.yaml")}
				case "version":
					args = []string{"version"}
				default: // the file is missing: the command stops after its flags are checked
					args = []string{cmd, missing}
				}
				o := loadcheck(t, context.Background(), append(args, "--format", format)...)
				refused := strings.Contains(o.stderr, `--format "`+format+`"`)
				if format == "xml" {
					if !refused || o.code != ExitBadInput {
						t.Errorf("%s --format xml: exit %d, %q; want it refused as a usage error", cmd, o.code, o.stderr)
					}
					continue
				}
				if refused {
					t.Errorf("%s --format %s refused, though the README names it: %s", cmd, format, o.stderr)
					continue
				}
				if cmd == "report" || cmd == "validate" || cmd == "version" {
					if o.code != ExitPass || !looksLike(format, o.stdout) {
						t.Errorf("%s --format %s: exit %d, output does not look like %s:\n%.400s%s", cmd, format, o.code, format, o.stdout, o.stderr)
					}
				}
			}
		}
	}
}

// looksLike reports whether out is a document in format: what a reader
// of that format (a browser, a JSON or XML parser, Prometheus, a Markdown
// viewer, a terminal) needs to find.
func looksLike(format, out string) bool {
	switch format {
	case "table":
		return strings.TrimSpace(out) != "" && !strings.HasPrefix(out, "{") && !strings.HasPrefix(out, "<") && !strings.Contains(out, "| --- |")
	case "md":
		return strings.Contains(out, "|---") || strings.Contains(out, "| --- |") || strings.Contains(out, "|:--")
	case "html":
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(out)), "<!doctype html>") && strings.Contains(out, "</html>")
	case "json":
		s := strings.TrimSpace(out)
		return json.Valid([]byte(s)) && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "["))
	case "junit":
		var s struct {
			XMLName xml.Name
		}
		return xml.Unmarshal([]byte(out), &s) == nil && (s.XMLName.Local == "testsuites" || s.XMLName.Local == "testsuite")
	case "prometheus":
		return strings.Contains(out, "# TYPE loadcheck_") && strings.Contains(out, "# HELP ")
	}
	return false
}
