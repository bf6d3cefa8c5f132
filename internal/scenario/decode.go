package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// decodeFile reads a YAML file strictly into dst, a pointer to a file
// struct. Decoding runs in three steps over goccy/go-yaml's AST:
//
//  1. ${NAME} in scalar values is replaced from the environment;
//  2. the tree is checked against dst's type, collecting every unknown
//     field, wrong shape and malformed duration or rate with its position;
//  3. only a tree that passed is decoded, with unknown fields disallowed.
//
// It returns the parsed source (for positions later) and the substituted
// values.
func decodeFile(path string, dst any) (*parsedFile, []string, error) {
	src := &parsedFile{file: path}
	p := &problems{parsed: src}
	data, size, err := readBounded(path)
	if err != nil {
		p.atNode(nil, "", err, "cannot read the file: %v", unwrapPathError(err))
		return nil, nil, p.err()
	}
	if size > MaxFileBytes {
		p.errs = append(p.errs, &fieldError{file: path, line: 1, col: 1, msg: fmt.Sprintf(
			"the file is %s: scenario and target files are limited to %s — move bulk data such as search terms into a feed file", unit.FormatMiB(size), unit.FormatMiB(MaxFileBytes))})
		return nil, nil, p.err()
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if le := scanLimits(data); le != nil {
		p.errs = append(p.errs, &fieldError{file: path, line: le.line, col: le.col, msg: le.msg})
		return nil, nil, p.err()
	}
	f, err := parseYAML(data)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p.atNode(&ast.StringNode{BaseNode: &ast.BaseNode{}, Token: ye.GetToken()}, "", nil, "%s", yamlHint(ye.GetMessage()))
		} else {
			p.atNode(nil, "", nil, "%v", err)
		}
		return nil, nil, p.err()
	}
	src.ast = f
	var docs []ast.Node
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	switch {
	case len(docs) == 0:
		p.errs = append(p.errs, &fieldError{file: path, line: 1, col: 1, msg: "the file is empty — write a scenario or a target in it (scenarios/smoke.yaml and targets/sim-1w.yaml are examples)"})
		return nil, nil, p.err()
	case len(docs) > 1:
		p.atNode(docs[1], "", nil, "want one YAML document, found %d", len(docs))
		return nil, nil, p.err()
	}
	body := docs[0]
	if n := expandedSize(body, maxNodes); n > maxNodes {
		p.atNode(body, "", nil, "aliases expand to more than %d values: loadcheck reads files of at most %d values — write the values out, or use fewer aliases", maxNodes, maxNodes)
		return nil, nil, p.err()
	}
	if msg := otherKind(body, reflect.TypeOf(dst).Elem()); msg != "" {
		p.atNode(body, "", nil, "%s", msg)
		return nil, nil, p.err()
	}

	secrets := expandEnv(p, body, "")
	check(p, body, reflect.TypeOf(dst).Elem(), "")
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	if err := yaml.NodeToValue(body, dst, yaml.Strict()); err != nil {
		// The check above accepts only what decodes; this is a backstop.
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p.atNode(&ast.StringNode{BaseNode: &ast.BaseNode{}, Token: ye.GetToken()}, "", nil, "%s", yamlHint(ye.GetMessage()))
		} else {
			p.atNode(nil, "", nil, "%v", err)
		}
		return nil, nil, p.err()
	}
	return src, secrets, nil
}

// parseYAML parses data, turning a panic in the parser on hostile input
// into an error.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot parse the file as YAML (%v)", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

// otherKind returns, for a target file read as a scenario or a scenario
// read as a target, a message that names what the file is and how to
// pass it; "" otherwise. Without it every field would be reported as
// unknown. A file is of the other kind when none of its top-level fields
// belongs only to t and some belong only to the other kind.
func otherKind(body ast.Node, t reflect.Type) string {
	m, ok := body.(ast.MapNode)
	if !ok {
		return ""
	}
	scenarioFields, _ := fieldsOf(reflect.TypeFor[scenarioFile]())
	targetFields, _ := fieldsOf(reflect.TypeFor[targetFile]())
	var own, other map[string]reflect.StructField
	var msg string
	switch t {
	case reflect.TypeFor[scenarioFile]():
		own, other = scenarioFields, targetFields
		msg = "this is a target file, not a scenario: pass it with --target, or name it in the scenario's target: field"
	case reflect.TypeFor[targetFile]():
		own, other = targetFields, scenarioFields
		msg = "this is a scenario file, not a target: pass it as the SCENARIO argument, and a target file (one with base_url) with --target"
	default:
		return ""
	}
	ownOnly, otherOnly := 0, 0
	for it := m.MapRange(); it.Next(); {
		k := keyText(it.Key())
		_, inOwn := own[k]
		_, inOther := other[k]
		switch {
		case inOwn && !inOther:
			ownOnly++
		case inOther && !inOwn:
			otherOnly++
		}
	}
	if ownOnly == 0 && otherOnly > 0 {
		if _, ok := targetFields["base_url"]; ok && t == reflect.TypeFor[scenarioFile]() && !hasKey(m, "base_url") {
			// Read as a scenario only because base_url is missing.
			return "this looks like a target file but has no base_url, so it was read as a scenario: add where the target serves, " +
				"e.g. base_url: http://127.0.0.1:8000, and pass the file with --target"
		}
		return msg
	}
	return ""
}

// hasKey says whether the mapping m has the top-level key k.
func hasKey(m ast.MapNode, k string) bool {
	for it := m.MapRange(); it.Next(); {
		if keyText(it.Key()) == k {
			return true
		}
	}
	return false
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in every scalar value (not in keys) under n
// with the environment variable NAME, reports variables that are not set,
// and returns the substituted values.
func expandEnv(p *problems, n ast.Node, path string) []string {
	var secrets []string
	var walk func(n ast.Node, path string)
	walk = func(n ast.Node, path string) {
		switch n := n.(type) {
		case *ast.MappingNode:
			for _, v := range n.Values {
				walk(v, path)
			}
		case *ast.MappingValueNode:
			walk(n.Value, child(path, keyText(n.Key)))
		case *ast.SequenceNode:
			for i, v := range n.Values {
				walk(v, index(path, i))
			}
		case *ast.AnchorNode:
			walk(n.Value, path)
		case *ast.TagNode:
			walk(n.Value, path)
		case *ast.LiteralNode:
			if n.Value != nil {
				n.Value.Value = expand(p, n, n.Value.Value, path, &secrets)
			}
		case *ast.StringNode:
			n.Value = expand(p, n, n.Value, path, &secrets)
		}
	}
	walk(n, path)
	return secrets
}

func expand(p *problems, n ast.Node, s, path string, secrets *[]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := os.LookupEnv(name)
		if !ok {
			p.atNode(n, path, nil, "%s is not set — export it or remove it", ref)
			return ref
		}
		if v != "" && !slices.Contains(*secrets, v) {
			*secrets = append(*secrets, v)
		}
		return v
	})
}

var nodeUnmarshalerType = reflect.TypeFor[yaml.NodeUnmarshaler]()

// check walks n against the Go type t of a file struct field and records
// every problem: unknown fields (suggesting the closest valid name at that
// place), duplicate keys, mappings where lists belong and the reverse, and
// scalars that do not parse. Types implementing yaml.NodeUnmarshaler check
// themselves.
func check(p *problems, n ast.Node, t reflect.Type, path string) {
	for {
		switch m := n.(type) {
		case *ast.AnchorNode:
			n = m.Value
			continue
		case *ast.TagNode:
			n = m.Value
			continue
		}
		break
	}
	if n == nil || n.Type() == ast.NullType || n.Type() == ast.AliasType {
		// Absent, or resolved by the decoder from an anchor checked where
		// it was written.
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(nodeUnmarshalerType) {
		err := reflect.New(t).Interface().(yaml.NodeUnmarshaler).UnmarshalYAML(n)
		reportNodeErrors(p, n, path, err)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		checkStruct(p, n, t, path)
	case reflect.Map:
		checkMap(p, n, t, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			p.atNode(n, path, nil, "want a list, got %s", describe(n))
			return
		}
		for i, v := range seq.Values {
			check(p, v, t.Elem(), index(path, i))
		}
	case reflect.String:
		if _, ok := scalarText(n); !ok {
			p.atNode(n, path, nil, "want a single value, got %s", describe(n))
		}
	case reflect.Int:
		s, _ := scalarText(n)
		if _, err := strconv.Atoi(s); err != nil || !isNumberNode(n) {
			p.atNode(n, path, nil, "want a whole number, got %s", describe(n))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			p.atNode(n, path, nil, "want true or false, got %s", describe(n))
		}
	default:
		panic(fmt.Sprintf("scenario: check: unhandled field type %v", t))
	}
}

// checkStruct checks a mapping n against the file struct type t: each key
// once, each a field of t, each value against its field's type.
func checkStruct(p *problems, n ast.Node, t reflect.Type, path string) {
	m, ok := n.(ast.MapNode)
	if !ok {
		p.atNode(n, path, nil, "want a mapping of fields, got %s", describe(n))
		return
	}
	fields, names := fieldsOf(t)
	seen := map[string]bool{}
	for it := m.MapRange(); it.Next(); {
		key := keyText(it.Key())
		if seen[key] {
			p.atNode(it.Key(), path, nil, "field %q is set twice", key)
			continue
		}
		seen[key] = true
		f, ok := fields[key]
		if !ok {
			p.atNode(it.Key(), path, nil, "unknown field %q%s", key, suggest(key, names))
			continue
		}
		check(p, it.Value(), f.Type, child(path, key))
	}
}

// checkMap checks a mapping n against the map type t: each key once, each
// value against t's element type.
func checkMap(p *problems, n ast.Node, t reflect.Type, path string) {
	m, ok := n.(ast.MapNode)
	if !ok {
		p.atNode(n, path, nil, "want a mapping, e.g. {NAME: value}, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for it := m.MapRange(); it.Next(); {
		key := keyText(it.Key())
		if seen[key] {
			p.atNode(it.Key(), path, nil, "key %q is set twice", key)
			continue
		}
		seen[key] = true
		check(p, it.Value(), t.Elem(), child(path, key))
	}
}

// isNumberNode reports whether n is an integer, or a string that came
// from ${NAME} (the decoder parses numeric strings).
func isNumberNode(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.StringNode:
		return true
	}
	return false
}

// nodeError is a problem found inside a value that checks itself, at one
// of its nodes. sub is the path of that node below the value.
type nodeError struct {
	node ast.Node
	sub  string
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

// reportNodeErrors records err, returned by a NodeUnmarshaler for node n
// at path, splitting joined errors and placing nodeErrors at their node.
func reportNodeErrors(p *problems, n ast.Node, path string, err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			reportNodeErrors(p, n, path, e)
		}
		return
	}
	var ne *nodeError
	if errors.As(err, &ne) {
		sub := path
		if ne.sub != "" {
			if strings.HasPrefix(ne.sub, "[") {
				sub += ne.sub
			} else {
				sub = child(path, ne.sub)
			}
		}
		p.atNode(ne.node, sub, nil, "%s", ne.msg)
		return
	}
	p.atNode(n, path, nil, "%v", err)
}

// fieldsOf maps the YAML names of a file struct's fields to the fields,
// and lists the names in declaration order.
func fieldsOf(t reflect.Type) (map[string]reflect.StructField, []string) {
	fields := map[string]reflect.StructField{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = f
		names = append(names, name)
	}
	return fields, names
}

// keyText is the text of a mapping key.
func keyText(n ast.Node) string {
	if s, ok := scalarText(n); ok {
		return s
	}
	return n.String()
}

// scalarText returns the text of a scalar node: the value of a string
// (after ${NAME} substitution), the literal text of a number or boolean.
func scalarText(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	case *ast.NullNode:
		return "", true
	case *ast.AnchorNode:
		return scalarText(n.Value)
	case *ast.TagNode:
		return scalarText(n.Value)
	case ast.MapKeyNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// describe says what a node is, for "want X, got Y" messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	s, _ := scalarText(n)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// suggest returns ` — did you mean "x"?` for the name among valid that is
// closest to got, or a list of the valid names when none is close.
func suggest(got string, valid []string) string {
	best, bestD := "", len(got)
	for _, v := range valid {
		if d := editDistance(strings.ToLower(got), v); d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" && bestD <= max(1, min(2, len(best)/3)) {
		return fmt.Sprintf(" — did you mean %q?", best)
	}
	if len(valid) == 0 {
		return ""
	}
	return " (want one of: " + strings.Join(valid, ", ") + ")"
}

// closest returns the name among valid closest to got when it is close
// enough to be a likely typo, or "".
func closest(got string, valid []string) string {
	best, bestD := "", len(got)
	for _, v := range valid {
		if d := editDistance(got, v); d < bestD {
			best, bestD = v, d
		}
	}
	if best != "" && bestD <= max(1, min(3, len(best)/3)) {
		return best
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// duration is a time.Duration in a file. It must carry a unit: "30s",
// "250ms", "2m"; a bare number is an error.
type duration time.Duration

var _ yaml.NodeUnmarshaler = (*duration)(nil)

func (d *duration) UnmarshalYAML(n ast.Node) error {
	s, ok := scalarText(n)
	if !ok {
		return fmt.Errorf("want a duration such as 30s, got %s", describe(n))
	}
	s = strings.TrimSpace(s)
	v, err := unit.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("want a duration of 0s or more, got %s", s)
	}
	*d = duration(v)
	return nil
}

// rate is a Rate in a file: "20/s", "40/min".
type rate Rate

var _ yaml.NodeUnmarshaler = (*rate)(nil)

func (r *rate) UnmarshalYAML(n ast.Node) error {
	s, ok := scalarText(n)
	if !ok {
		return fmt.Errorf("want a rate such as 20/s, got %s", describe(n))
	}
	v, err := ParseRate(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*r = rate(v)
	return nil
}
