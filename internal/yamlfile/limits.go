package yamlfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
)

// Bounds on a scenario or target file. The YAML parser's time and memory
// grow much faster than its input on deeply nested or alias-heavy text (a
// 48 KB file of nested brackets took 6.6 s and 1.9 GB), and it cannot be
// interrupted, so a file is measured against these before it is parsed.
// Real files are a few KB with a nesting depth below 10.
const (
	// MaxFileBytes is the largest scenario or target file loadcheck reads.
	MaxFileBytes = 1 << 20
	// maxDepth bounds the nesting of mappings and lists, block and flow.
	maxDepth = 64
	// maxNodes bounds the values (keys, items, scalars) of a file,
	// counted from its indicators before parsing and again after alias
	// expansion, which keeps the parser and decoder's memory near
	// 100 MB on a file of MaxFileBytes.
	maxNodes = 50_000
)

// readBounded reads at most MaxFileBytes of path, and returns the file's
// size: a longer file is an error rather than a read into memory.
func readBounded(path string) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if st.Size() > MaxFileBytes {
		return nil, st.Size(), nil
	}
	// One more byte than the limit shows a file that grew since Stat (or
	// has no size, like a pipe).
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, 0, err
	}
	return data, max(int64(len(data)), st.Size()), nil
}

// utf8BOM is the byte order mark some editors write at the start of a
// UTF-8 file. YAML allows it; the parser would read it as part of the
// first key.
var utf8BOM = []byte("\xef\xbb\xbf")

// scanner walks a file's bytes once, line by line, tracking just enough
// YAML syntax (quotes, comments, block scalars, flow brackets, block
// indentation) to measure nesting and count values. It errs on the side
// of counting: a bracket in a plain scalar inside a flow collection
// counts as nesting, as the parser would also read it.
type scanner struct {
	line    int
	flow    []int // columns of the open flow brackets
	indents []int // the block indentation levels open
	nodes   int
	double  bool // inside a double-quoted scalar
	single  bool // inside a single-quoted scalar
	literal int  // >= 0 while skipping a block scalar: its parent's indent
}

// limitError is a file that exceeds a bound, at line:col (0 when the
// whole file is meant).
type limitError struct {
	line, col int
	msg       string
}

// scanLimits checks data against maxDepth and maxNodes, and indentation
// for tabs, without building anything.
func scanLimits(data []byte) *limitError {
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return &limitError{line: 1, col: 1, msg: "the file is UTF-16: save it as UTF-8"}
	}
	s := &scanner{literal: -1}
	for i, line := range bytes.Split(data, []byte("\n")) {
		s.line = i + 1
		if err := checkText(s.line, line); err != nil {
			return err
		}
		if err := s.scanLine(bytes.TrimSuffix(line, []byte("\r"))); err != nil {
			return err
		}
	}
	return nil
}

// checkText refuses a line that is not text: a NUL byte marks a binary
// file (a program, an archive), which YAML would misread as a tab or a
// string of garbage; bytes that are not UTF-8 would print mangled in
// every name and message taken from them.
func checkText(line int, b []byte) *limitError {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return &limitError{line: line, col: utf8.RuneCount(b[:i]) + 1, msg: "a NUL byte: this is a binary file, not YAML — pass a scenario or target file (a .yaml text file)"}
	}
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return &limitError{line: line, col: utf8.RuneCount(b[:i]) + 1, msg: fmt.Sprintf(
			"byte 0x%02x is not UTF-8: save the file as UTF-8 (it looks like another encoding, such as Latin-1)", b[i])}
	}
	return nil
}

func (s *scanner) tooDeep(col int) *limitError {
	return &limitError{line: s.line, col: col, msg: fmt.Sprintf(
		"nested more than %d levels deep: loadcheck reads files nested at most %d levels — flatten the value", maxDepth, maxDepth)}
}

func (s *scanner) tooMany() *limitError {
	return &limitError{line: s.line, col: 1, msg: fmt.Sprintf(
		"more than %d values: loadcheck reads files of at most %d values — move data such as search terms into a feed file", maxNodes, maxNodes)}
}

// scanLine measures one line. The indentation decides the block depth
// unless the line continues a quoted scalar, a flow collection or a block
// scalar.
func (s *scanner) scanLine(line []byte) *limitError {
	indent := 0
	for indent < len(line) && (line[indent] == ' ' || line[indent] == '\t') {
		indent++
	}
	content := line[indent:]
	blank := len(content) == 0 || content[0] == '#'
	if s.literal >= 0 {
		if blank || indent > s.literal {
			return nil
		}
		s.literal = -1
	}
	if s.double || s.single || len(s.flow) > 0 || blank {
		return s.scanText(line, indent)
	}
	if tab := bytes.IndexByte(line[:indent], '\t'); tab >= 0 {
		return &limitError{line: s.line, col: tab + 1, msg: "a tab in the indentation: YAML indents with spaces only — replace the tab with spaces"}
	}
	for len(s.indents) > 0 && s.indents[len(s.indents)-1] >= indent {
		s.indents = s.indents[:len(s.indents)-1]
	}
	s.indents = append(s.indents, indent)
	// "- - x" opens a list per dash on one line.
	for c := indent; c+1 < len(line) && line[c] == '-' && (line[c+1] == ' ' || line[c+1] == '\t'); {
		c += 2
		for c < len(line) && line[c] == ' ' {
			c++
		}
		s.indents = append(s.indents, c)
	}
	if len(s.indents) > maxDepth {
		return s.tooDeep(indent + 1)
	}
	return s.scanText(line, indent)
}

// scanText follows quotes, comments, flow brackets, aliases and block
// scalar indicators through the rest of a line.
func (s *scanner) scanText(line []byte, from int) *limitError {
	atStart := true // at a place where a value may begin
	for i := from; i < len(line); i++ {
		c := line[i]
		switch {
		case s.double:
			if c == '\\' {
				i++
			} else if c == '"' {
				s.double = false
			}
			continue
		case s.single:
			if c == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
				} else {
					s.single = false
				}
			}
			continue
		}
		if c == ' ' || c == '\t' {
			continue
		}
		if c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return nil
		}
		// A value starts here, or an indicator opens one.
		if atStart || strings.IndexByte("[{:", c) >= 0 {
			if err := s.count(); err != nil {
				return err
			}
		}
		switch {
		case (c == '"' || c == '\'') && atStart:
			s.double, s.single = c == '"', c == '\''
			atStart = false
		case (c == '[' || c == '{') && (atStart || len(s.flow) > 0):
			s.flow = append(s.flow, i)
			if len(s.flow)+len(s.indents) > maxDepth {
				return s.tooDeep(i + 1)
			}
		case (c == ']' || c == '}') && len(s.flow) > 0:
			s.flow = s.flow[:len(s.flow)-1]
			atStart = false
		case c == ',' && len(s.flow) > 0:
			atStart = true
		case c == ':' && (i+1 == len(line) || line[i+1] == ' ' || (len(s.flow) > 0 && strings.IndexByte(",]}", line[i+1]) >= 0)):
			atStart = true
		case c == '-' && atStart && (i+1 == len(line) || line[i+1] == ' '):
		case (c == '|' || c == '>') && atStart && len(s.flow) == 0:
			// The block scalar's lines are those indented more than this
			// one.
			s.literal = from
			return nil
		default:
			atStart = false
		}
	}
	return nil
}

// count adds one value (an upper bound: every indicator and scalar start
// is counted) and checks maxNodes.
func (s *scanner) count() *limitError {
	s.nodes++
	if s.nodes > maxNodes {
		return s.tooMany()
	}
	return nil
}

// expandedSize returns the number of nodes n stands for once every alias
// is replaced by its anchor's value, counting each anchor where it is
// written; it stops counting past limit. A few aliases of aliases can
// stand for billions of nodes (the "billion laughs"), which the decoder
// would build.
func expandedSize(n ast.Node, limit int) int {
	anchors := map[string]int{}
	var size func(n ast.Node) int
	size = func(n ast.Node) int {
		if n == nil {
			return 0
		}
		sum := 1
		switch n := n.(type) {
		case *ast.MappingNode:
			for _, v := range n.Values {
				sum += size(v)
			}
		case *ast.MappingValueNode:
			sum += size(n.Key) + size(n.Value)
		case *ast.SequenceNode:
			for _, v := range n.Values {
				sum += size(v)
			}
		case *ast.TagNode:
			sum += size(n.Value)
		case *ast.AnchorNode:
			v := size(n.Value)
			if name, ok := ScalarText(n.Name); ok {
				anchors[name] = v
			}
			sum += v
		case *ast.AliasNode:
			if name, ok := ScalarText(n.Value); ok {
				sum += anchors[name]
			}
		}
		// Capped, so that sums of sums cannot overflow.
		return min(sum, limit+1)
	}
	return size(n)
}

// yamlHint adds to a message of the YAML parser what to do about it: the
// parser says what it found, not how to fix it.
func yamlHint(msg string) string {
	hints := []struct{ has, fix string }{
		{"already defined", "remove one of the two"},
		{"could not find end character", "close the quote"},
		{"must be specified", "close the bracket, or add the missing comma"},
		{"could not find alias", "define the anchor (&name) before its alias (*name), or write the value"},
		{"not allowed in this context", "check the indentation: indent a field under its section with spaces, as deep as its siblings"},
	}
	for _, h := range hints {
		if strings.Contains(msg, h.has) {
			return msg + " — " + h.fix
		}
	}
	return msg + " — fix the YAML at this position"
}
