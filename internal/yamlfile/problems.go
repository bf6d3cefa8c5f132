package yamlfile

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

// ErrInvalid is wrapped by every problem this package reports, and so by
// every error package scenario's Load and LoadTarget return: the CLI maps
// a bad scenario or target file to exit code 2.
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

// File is a file kept as parsed after decoding, so that problems found
// later, by this package or others, can name a line and column. A File
// with only a Path places every problem at the file alone.
type File struct {
	Path string
	ast  *ast.File
}

// node returns the node at a field path such as "http.endpoints[0].weight"
// (a leading "$." is optional), or nil.
func (s *File) node(path string) ast.Node {
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

// Where returns "file:line:col" of the value at yamlPath, a field path such
// as "http.endpoints[0].weight" or "$.http.endpoints[0].weight" (see
// Child and Index); when the file has no such field it returns the file's
// path alone, and "" for a nil File.
func (s *File) Where(yamlPath string) string {
	if s == nil {
		return ""
	}
	if pos := position(s.node(yamlPath)); pos != nil {
		return fmt.Sprintf("%s:%d:%d", s.Path, pos.Line, pos.Column)
	}
	return s.Path
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

// Problems collects every problem found in one file, each placed at its
// field: Err reports them all at once, in the order of the file. The zero
// value is not usable: File must be set.
type Problems struct {
	File    *File
	errs    []error
	dropped int // problems past maxProblems, counted only
}

// Len is the number of problems recorded so far.
func (p *Problems) Len() int { return len(p.errs) }

// Full reports whether maxProblems are recorded, counting the one the
// caller would add: a caller can skip working out a message that would
// only be counted.
func (p *Problems) Full() bool {
	if len(p.errs) < maxProblems {
		return false
	}
	p.dropped++
	return true
}

// atNode records a problem at a node.
func (p *Problems) atNode(n ast.Node, path string, cause error, format string, args ...any) {
	if p.Full() {
		return
	}
	e := &fieldError{file: p.File.Path, path: path, msg: fmt.Sprintf(format, args...), cause: cause}
	if pos := position(n); pos != nil {
		e.line, e.col = pos.Line, pos.Column
	}
	p.errs = append(p.errs, e)
}

// At records a problem with the field at path, placed at that field or,
// when it is absent from the file, at its closest ancestor that is present.
// The message says what is wrong and how to fix it.
func (p *Problems) At(path string, format string, args ...any) {
	p.AtCause(path, nil, format, args...)
}

// AtCause is At for a problem with a cause, which the error wraps for
// errors.Is.
func (p *Problems) AtCause(path string, cause error, format string, args ...any) {
	if p.Full() {
		return
	}
	p.atNode(p.nearest(path), path, cause, format, args...)
}

// nearest returns the node at path or at its closest present ancestor.
func (p *Problems) nearest(path string) ast.Node {
	for {
		if n := p.File.node(path); n != nil {
			return n
		}
		if path == "" {
			return nil
		}
		path = Parent(path)
	}
}

// Err returns every problem, ordered by position, or nil; each wraps
// ErrInvalid.
func (p *Problems) Err() error {
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
		return errors.Join(append(p.errs, &fieldError{file: p.File.Path, line: 1, col: 1,
			msg: fmt.Sprintf("and %d more problems, not listed: fix the ones above first", p.dropped)})...)
	}
	return errors.Join(p.errs...)
}

// Child returns the path of a field under path, quoting keys that the
// path syntax would otherwise split.
func Child(path, key string) string {
	if strings.ContainsAny(key, ".[]$*' ") || key == "" {
		key = "'" + strings.ReplaceAll(key, "'", `\'`) + "'"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index returns the path of a list element.
func Index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// Parent drops the last element of a path.
func Parent(path string) string {
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
