package yamlfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// file is a file struct of each kind of field Decode checks.
type file struct {
	Name  string             `yaml:"name"`
	Count *int               `yaml:"count"`
	On    bool               `yaml:"on"`
	Every *yamlfile.Duration `yaml:"every"`
	Tags  []string           `yaml:"tags"`
	Env   map[string]string  `yaml:"env"`
	Sub   *sub               `yaml:"sub"`
}

type sub struct {
	Path string `yaml:"path"`
}

// TestDecodeProblems checks each kind of problem Decode finds, as the
// user reads it: file:line:col, the field's path, what is wrong and the
// fix; several problems in one file are all reported, in file order.
func TestDecodeProblems(t *testing.T) {
	t.Setenv("YAMLFILE_TEST_UNSET", "")
	os.Unsetenv("YAMLFILE_TEST_UNSET")
	tests := []struct {
		name, yaml string
		want       []string // the lines of the error, after "path:"
	}{
		{"unknown field", "name: a\ncont: 3\n", []string{`2:1: unknown field "cont" — did you mean "count"?`}},
		{"unknown field far from any", "nmae: a\nurl: x\n", []string{
			`1:1: unknown field "nmae" — did you mean "name"?`,
			`2:1: unknown field "url" (want one of: name, count, on, every, tags, env, sub)`}},
		{"nested unknown field", "sub: {pth: /}\n", []string{`1:7: sub: unknown field "pth" — did you mean "path"?`}},
		{"a key given twice", "env: {A: x, \"A\": y}\n", []string{`1:13: mapping key "A" already defined at [1:7] — remove one of the two`}},
		{"unclosed quote", "name: \"a\n", []string{`1:7: could not find end character of double-quoted text — close the quote`}},
		{"shapes", "name: [a]\ncount: x\non: yes\ntags: a\nenv: [a]\nsub: a\n", []string{
			`1:7: name: want a single value, got a list`,
			`2:8: count: want a whole number, got "x"`,
			`3:5: on: want true or false, got "yes"`,
			`4:7: tags: want a list, got "a"`,
			`5:6: env: want a mapping, e.g. {NAME: value}, got a list`,
			`6:6: sub: want a mapping of fields, got "a"`}},
		{"a duration without a unit", "every: 30\n", []string{`1:8: every: want a duration with a unit, e.g. 30s, got 30`}},
		{"an unset variable", "name: ${YAMLFILE_TEST_UNSET}\n", []string{`1:7: name: ${YAMLFILE_TEST_UNSET} is not set — export it or remove it`}},
		{"two documents", "name: a\n---\nname: b\n", []string{`3:1: want one YAML document, found 2`}},
		{"the other kind of file", "base_url: x\n", []string{`1:1: a target file`}},
	}
	misfit := func(keys []string) string {
		if slices.Contains(keys, "base_url") {
			return "a target file"
		}
		return ""
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "f.yaml", tc.yaml)
			var f file
			_, _, err := yamlfile.Decode(path, &f, misfit)
			if !errors.Is(err, yamlfile.ErrInvalid) {
				t.Fatalf("Decode = %v, want an error wrapping ErrInvalid", err)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, path+":"+w)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(want) {
				t.Fatalf("Decode error:\n%v\nwant %d lines:\n%s", err, len(want), strings.Join(want, "\n"))
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("line %d = %q, want %q…", i+1, got[i], want[i])
				}
			}
		})
	}
}

// TestDecode checks a valid file: the values decoded, the ${NAME}
// values returned as secrets, positions kept for Where.
func TestDecode(t *testing.T) {
	t.Setenv("YAMLFILE_TEST_TOKEN", "s3cret")
	path := writeFile(t, t.TempDir(), "f.yaml", "name: x\nevery: 250ms\nenv: {T: \"Bearer ${YAMLFILE_TEST_TOKEN}\"}\nsub:\n  path: /a\n")
	var f file
	src, secrets, err := yamlfile.Decode(path, &f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "x" || time.Duration(*f.Every) != 250*time.Millisecond || f.Env["T"] != "Bearer s3cret" || f.Sub.Path != "/a" {
		t.Errorf("Decode = %+v, want the file's values with ${YAMLFILE_TEST_TOKEN} substituted", f)
	}
	if !slices.Equal(secrets, []string{"s3cret"}) {
		t.Errorf("secrets = %q, want the substituted value", secrets)
	}
	for p, want := range map[string]string{"sub.path": ":5:9", "$.every": ":2:8", "sub.nothing": ""} {
		if got := src.Where(p); got != path+want {
			t.Errorf("Where(%q) = %q, want %q", p, got, path+want)
		}
	}
}

// TestProblems checks problems found after decoding: each placed at its
// field or, when absent, its closest ancestor in the file, all in file
// order, and a cause kept for errors.Is.
func TestProblems(t *testing.T) {
	path := writeFile(t, t.TempDir(), "f.yaml", "name: x\nsub:\n  path: a\n")
	src, _, err := yamlfile.Decode(path, new(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &yamlfile.Problems{File: src}
	if p.Err() != nil || p.Len() != 0 {
		t.Fatalf("no problems: Err = %v, Len = %d", p.Err(), p.Len())
	}
	cause := errors.New("cause")
	p.At(yamlfile.Child("sub", "path"), "want a path starting with /")
	p.AtCause("sub.missing", cause, "missing: add it")
	p.At("name", "bad name")
	want := []string{path + ":1:7: name: bad name", path + ":3:3: sub.missing: missing: add it", path + ":3:9: sub.path: want a path starting with /"}
	err = p.Err()
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("Err =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !errors.Is(err, cause) || !errors.Is(err, yamlfile.ErrInvalid) || p.Len() != 3 {
		t.Errorf("Err = %v (Len %d), want 3 problems wrapping ErrInvalid and the cause", err, p.Len())
	}
}

// TestProblemsBounded: a file with thousands of problems gets the first
// 50 and a count of the rest.
func TestProblemsBounded(t *testing.T) {
	p := &yamlfile.Problems{File: &yamlfile.File{Path: "f.yaml"}}
	for i := range 80 {
		p.At(yamlfile.Index("tags", i), "bad")
	}
	lines := strings.Split(p.Err().Error(), "\n")
	if len(lines) != 51 || lines[50] != "f.yaml:1:1: and 30 more problems, not listed: fix the ones above first" {
		t.Errorf("80 problems gave %d lines, the last %q; want 50 and a count of 30", len(lines), lines[len(lines)-1])
	}
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
