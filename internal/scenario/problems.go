package scenario

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// ErrInvalid is wrapped by every error Load and LoadTarget return, so the
// CLI can map a bad scenario or target file to exit code 2.
var ErrInvalid = errors.New("invalid scenario or target file")

// fieldError is one problem in a file: where it is, which field, and what
// is wrong. Its text reads "file:line:col: field.path: message".
type fieldError struct {
	file      string
	line, col int // 0 when the position is unknown
	path      string
	msg       string
	cause     error // optional, for errors.Is
}

func (e *fieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.line, e.col)
	}
	b.WriteString(": ")
	if e.path != "" {
		b.WriteString(e.path)
		b.WriteString(": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

func (e *fieldError) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrInvalid, e.cause}
	}
	return []error{ErrInvalid}
}

// parsedFile is a file kept as parsed after decoding, so that problems found
// later, by this package or others, can name a line and column.
type parsedFile struct {
	file string
	ast  *ast.File
}

// node returns the node at a field path such as "http.endpoints[0].weight"
// (a leading "$." is optional), or nil.
func (s *parsedFile) node(path string) ast.Node {
	if s == nil || s.ast == nil {
		return nil
	}
	p := path
	switch {
	case p == "" || p == "$":
		p = "$"
	case strings.HasPrefix(p, "$"):
	case strings.HasPrefix(p, "["):
		p = "$" + p
	default:
		p = "$." + p
	}
	if p == "$" {
		if len(s.ast.Docs) == 0 {
			return nil
		}
		return s.ast.Docs[0].Body
	}
	yp, err := yaml.PathString(p)
	if err != nil {
		return nil
	}
	n, err := yp.FilterFile(s.ast)
	if err != nil {
		return nil
	}
	return n
}

// where returns "file:line:col" for the node at path, or the file alone
// when there is no such node.
func (s *parsedFile) where(path string) string {
	if s == nil {
		return ""
	}
	if pos := position(s.node(path)); pos != nil {
		return fmt.Sprintf("%s:%d:%d", s.file, pos.Line, pos.Column)
	}
	return s.file
}

// Where returns "file:line:col" of the value at yamlPath, a field path such
// as "http.endpoints[0].weight" or "$.http.endpoints[0].weight"; when the
// file has no such field it returns the file name alone. Other packages use
// it to point at a field in problems they find later.
func (s *Scenario) Where(yamlPath string) string {
	if s.parsed == nil {
		return s.File
	}
	return s.parsed.where(yamlPath)
}

// Where returns "file:line:col" of the value at yamlPath, such as
// "base_url" or "$.start.command[0]"; when the file has no such field it
// returns the file name alone.
func (t *Target) Where(yamlPath string) string {
	if t.parsed == nil {
		return t.File
	}
	return t.parsed.where(yamlPath)
}

// position is where a node starts in its file. A block mapping's own token
// is the colon after its first key, so it is placed at that key instead.
func position(n ast.Node) *token.Position {
	if n == nil {
		return nil
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return position(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return position(m.Key)
	case *ast.LiteralNode:
		// A block scalar starts at its indicator, "|" or ">".
		if m.Start != nil {
			return m.Start.Position
		}
	}
	tk := n.GetToken()
	if tk == nil {
		return nil
	}
	return tk.Position
}

// maxProblems bounds the problems reported for one file: a file with
// thousands of bad values gets the first ones and a count of the rest,
// rather than a report that costs more than the file (placing each problem
// searches the file).
const maxProblems = 50

// problems collects every error found in one file.
type problems struct {
	parsed  *parsedFile
	errs    []error
	dropped int // problems past maxProblems, counted only
}

// full reports whether maxProblems are recorded, counting the one the
// caller would add.
func (p *problems) full() bool {
	if len(p.errs) < maxProblems {
		return false
	}
	p.dropped++
	return true
}

// atNode records a problem at a node.
func (p *problems) atNode(n ast.Node, path string, cause error, format string, args ...any) {
	if p.full() {
		return
	}
	e := &fieldError{file: p.parsed.file, path: path, msg: fmt.Sprintf(format, args...), cause: cause}
	if pos := position(n); pos != nil {
		e.line, e.col = pos.Line, pos.Column
	}
	p.errs = append(p.errs, e)
}

// at records a problem with the field at path, placed at that field or,
// when it is absent from the file, at its closest ancestor that is present.
func (p *problems) at(path string, format string, args ...any) {
	p.atCause(path, nil, format, args...)
}

func (p *problems) atCause(path string, cause error, format string, args ...any) {
	if p.full() {
		return
	}
	p.atNode(p.nearest(path), path, cause, format, args...)
}

// nearest returns the node at path or at its closest present ancestor.
func (p *problems) nearest(path string) ast.Node {
	for {
		if n := p.parsed.node(path); n != nil {
			return n
		}
		if path == "" {
			return nil
		}
		path = parent(path)
	}
}

// err returns every problem, ordered by position, or nil.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, func(a, b error) int {
		var ea, eb *fieldError
		if !errors.As(a, &ea) || !errors.As(b, &eb) {
			return 0
		}
		return cmp.Or(cmp.Compare(ea.line, eb.line), cmp.Compare(ea.col, eb.col))
	})
	if p.dropped > 0 {
		return errors.Join(append(p.errs, &fieldError{file: p.parsed.file, line: 1, col: 1,
			msg: fmt.Sprintf("and %d more problems, not listed: fix the ones above first", p.dropped)})...)
	}
	return errors.Join(p.errs...)
}

// child returns the path of a field under path, quoting keys that the
// path syntax would otherwise split.
func child(path, key string) string {
	if strings.ContainsAny(key, ".[]$*' ") || key == "" {
		key = "'" + strings.ReplaceAll(key, "'", `\'`) + "'"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// index returns the path of a list element.
func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// parent drops the last element of a path.
func parent(path string) string {
	// Scan from the end, skipping a quoted key.
	inQuote := false
	for i := len(path) - 1; i >= 0; i-- {
		switch c := path[i]; {
		case c == '\'' && (i == 0 || path[i-1] != '\\'):
			inQuote = !inQuote
		case inQuote:
		case c == '.':
			return path[:i]
		case c == '[':
			return path[:i]
		}
	}
	return ""
}
