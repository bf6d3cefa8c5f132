package yamlfile

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/loadcheck/loadcheck/internal/unit"
)

var nodeUnmarshalerType = reflect.TypeFor[yaml.NodeUnmarshaler]()

// check walks n against the Go type t of a file struct field and records
// every problem: unknown fields (suggesting the closest valid name at that
// place), duplicate keys, mappings where lists belong and the reverse, and
// scalars that do not parse. Types implementing yaml.NodeUnmarshaler check
// themselves.
func check(p *Problems, n ast.Node, t reflect.Type, path string) {
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
			p.atNode(n, path, nil, "want a list, got %s", Describe(n))
			return
		}
		for i, v := range seq.Values {
			check(p, v, t.Elem(), Index(path, i))
		}
	case reflect.String:
		if _, ok := ScalarText(n); !ok {
			p.atNode(n, path, nil, "want a single value, got %s", Describe(n))
		}
	case reflect.Int:
		s, _ := ScalarText(n)
		if _, err := strconv.Atoi(s); err != nil || !isNumberNode(n) {
			p.atNode(n, path, nil, "want a whole number, got %s", Describe(n))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			p.atNode(n, path, nil, "want true or false, got %s", Describe(n))
		}
	default:
		panic(fmt.Sprintf("yamlfile: check: unhandled field type %v", t))
	}
}

// checkStruct checks a mapping n against the file struct type t: each key
// once, each a field of t, each value against its field's type.
func checkStruct(p *Problems, n ast.Node, t reflect.Type, path string) {
	m, ok := n.(ast.MapNode)
	if !ok {
		p.atNode(n, path, nil, "want a mapping of fields, got %s", Describe(n))
		return
	}
	fields, names := fieldsOf(t)
	eachKey(p, m, path, "field", func(k ast.Node, key string, v ast.Node) {
		f, ok := fields[key]
		if !ok {
			p.atNode(k, path, nil, "unknown field %q%s", key, suggest(key, names))
			return
		}
		check(p, v, f.Type, Child(path, key))
	})
}

// checkMap checks a mapping n against the map type t: each key once, each
// value against t's element type.
func checkMap(p *Problems, n ast.Node, t reflect.Type, path string) {
	m, ok := n.(ast.MapNode)
	if !ok {
		p.atNode(n, path, nil, "want a mapping, e.g. {NAME: value}, got %s", Describe(n))
		return
	}
	eachKey(p, m, path, "key", func(_ ast.Node, key string, v ast.Node) {
		check(p, v, t.Elem(), Child(path, key))
	})
}

// eachKey calls f with each key of m and its value, recording a key
// given twice (a "field" or a "key", as noun says) instead.
func eachKey(p *Problems, m ast.MapNode, path, noun string, f func(k ast.Node, key string, v ast.Node)) {
	seen := map[string]bool{}
	for it := m.MapRange(); it.Next(); {
		key := KeyText(it.Key())
		if seen[key] {
			p.atNode(it.Key(), path, nil, "%s %q is set twice", noun, key)
			continue
		}
		seen[key] = true
		f(it.Key(), key, it.Value())
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

// NodeError is a problem found inside a value that checks itself (a
// yaml.NodeUnmarshaler), at one of its nodes: UnmarshalYAML returns it,
// alone or joined with others, and the problem is placed at Node. Sub is
// the path of that node below the value ("" for the value itself, "[2]"
// or a key); Msg says what is wrong and the fix.
type NodeError struct {
	Node ast.Node
	Sub  string
	Msg  string
}

func (e *NodeError) Error() string { return e.Msg }

// reportNodeErrors records err, returned by a NodeUnmarshaler for node n
// at path, splitting joined errors and placing NodeErrors at their node.
func reportNodeErrors(p *Problems, n ast.Node, path string, err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			reportNodeErrors(p, n, path, e)
		}
		return
	}
	var ne *NodeError
	if errors.As(err, &ne) {
		sub := path
		if ne.Sub != "" {
			if strings.HasPrefix(ne.Sub, "[") {
				sub += ne.Sub
			} else {
				sub = Child(path, ne.Sub)
			}
		}
		p.atNode(ne.Node, sub, nil, "%s", ne.Msg)
		return
	}
	p.atNode(n, path, nil, "%v", err)
}

// FieldNames lists the YAML names of the fields of struct type t, in
// declaration order.
func FieldNames(t reflect.Type) []string {
	_, names := fieldsOf(t)
	return names
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

// KeyText is the text of a mapping key.
func KeyText(n ast.Node) string {
	if s, ok := ScalarText(n); ok {
		return s
	}
	return n.String()
}

// ScalarText returns the text of a scalar node: the value of a string
// (after ${NAME} substitution), the literal text of a number or boolean.
func ScalarText(n ast.Node) (string, bool) {
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
		return ScalarText(n.Value)
	case *ast.TagNode:
		return ScalarText(n.Value)
	case ast.MapKeyNode:
		return n.GetToken().Value, true
	}
	return "", false
}

// Describe says what a node is, for "want X, got Y" messages: "a
// mapping", "a list", or the value quoted (shortened past 40 bytes).
func Describe(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	s, _ := ScalarText(n)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// Duration is a time.Duration in a file. It must carry a unit: "30s",
// "250ms", "2m"; a bare number is an error, and so is a negative one.
type Duration time.Duration

var _ yaml.NodeUnmarshaler = (*Duration)(nil)

// UnmarshalYAML parses the duration with package unit.
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	s, ok := ScalarText(n)
	if !ok {
		return fmt.Errorf("want a duration such as 30s, got %s", Describe(n))
	}
	s = strings.TrimSpace(s)
	v, err := unit.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("want a duration of 0s or more, got %s", s)
	}
	*d = Duration(v)
	return nil
}
