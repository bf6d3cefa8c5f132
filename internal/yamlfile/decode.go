package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// Decode reads the YAML file at path strictly into dst, a pointer to a
// struct whose fields carry yaml tags. The file is first measured against
// the bounds (see MaxFileBytes) and then decoded in three steps over
// goccy/go-yaml's AST:
//
//  1. ${NAME} in scalar values is replaced from the environment;
//  2. the tree is checked against dst's type, collecting every unknown
//     field, wrong shape and value that does not parse (types that
//     implement yaml.NodeUnmarshaler check themselves) with its position;
//  3. only a tree that passed is decoded, with unknown fields disallowed.
//
// misfit, when not nil, is given the top-level keys of a file that is a
// mapping before step 1; a message it returns is the file's one problem.
// It tells a file of another kind passed in the wrong place, whose every
// field would otherwise be reported as unknown.
//
// Decode returns the parsed file (for positions later) and the values
// substituted for ${NAME}, so that reports can redact them; its error
// lists every problem and wraps ErrInvalid.
func Decode(path string, dst any, misfit func(keys []string) string) (*File, []string, error) {
	src := &File{Path: path}
	p := &Problems{File: src}
	data, size, err := readBounded(path)
	if err != nil {
		p.atNode(nil, "", err, "cannot read the file: %v", WithoutPath(err))
		return nil, nil, p.Err()
	}
	if size > MaxFileBytes {
		p.errs = append(p.errs, &fieldError{file: path, line: 1, col: 1, msg: fmt.Sprintf(
			"the file is %s: scenario and target files are limited to %s — move bulk data such as search terms into a feed file", unit.FormatMiB(size), unit.FormatMiB(MaxFileBytes))})
		return nil, nil, p.Err()
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if le := scanLimits(data); le != nil {
		p.errs = append(p.errs, &fieldError{file: path, line: le.line, col: le.col, msg: le.msg})
		return nil, nil, p.Err()
	}
	f, err := parseYAML(data)
	if err != nil {
		p.yamlError(err)
		return nil, nil, p.Err()
	}
	src.ast = f
	secrets, err := decodeBody(p, f, dst, misfit)
	if err != nil {
		return nil, nil, err
	}
	return src, secrets, nil
}

// decodeBody checks the one document of f against dst's type and decodes
// it, recording every problem in p.
func decodeBody(p *Problems, f *ast.File, dst any, misfit func(keys []string) string) ([]string, error) {
	path := p.File.Path
	var docs []ast.Node
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d.Body)
		}
	}
	switch {
	case len(docs) == 0:
		p.errs = append(p.errs, &fieldError{file: path, line: 1, col: 1, msg: "the file is empty — write a scenario or a target in it (scenarios/smoke.yaml and targets/sim-1w.yaml are examples)"})
		return nil, p.Err()
	case len(docs) > 1:
		p.atNode(docs[1], "", nil, "want one YAML document, found %d", len(docs))
		return nil, p.Err()
	}
	body := docs[0]
	if n := expandedSize(body, maxNodes); n > maxNodes {
		p.atNode(body, "", nil, "aliases expand to more than %d values: loadcheck reads files of at most %d values — write the values out, or use fewer aliases", maxNodes, maxNodes)
		return nil, p.Err()
	}
	if m, ok := body.(ast.MapNode); ok && misfit != nil {
		var keys []string
		for it := m.MapRange(); it.Next(); {
			keys = append(keys, KeyText(it.Key()))
		}
		if msg := misfit(keys); msg != "" {
			p.atNode(body, "", nil, "%s", msg)
			return nil, p.Err()
		}
	}
	secrets := expandEnv(p, body, "")
	check(p, body, reflect.TypeOf(dst).Elem(), "")
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := yaml.NodeToValue(body, dst, yaml.Strict()); err != nil {
		// The check above accepts only what decodes; this is a backstop.
		p.yamlError(err)
		return nil, p.Err()
	}
	return secrets, nil
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

// yamlError records an error of the YAML parser or decoder, at its token
// when it has one.
func (p *Problems) yamlError(err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p.atNode(&ast.StringNode{BaseNode: &ast.BaseNode{}, Token: ye.GetToken()}, "", nil, "%s", yamlHint(ye.GetMessage()))
	} else {
		p.atNode(nil, "", nil, "%v", err)
	}
}

// WithoutPath returns the error of a file operation without the
// "open path:" it starts with, for messages that name the file already.
func WithoutPath(err error) error {
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
func expandEnv(p *Problems, n ast.Node, path string) []string {
	var secrets []string
	var walk func(n ast.Node, path string)
	walk = func(n ast.Node, path string) {
		switch n := n.(type) {
		case *ast.MappingNode:
			for _, v := range n.Values {
				walk(v, path)
			}
		case *ast.MappingValueNode:
			walk(n.Value, Child(path, KeyText(n.Key)))
		case *ast.SequenceNode:
			for i, v := range n.Values {
				walk(v, Index(path, i))
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

func expand(p *Problems, n ast.Node, s, path string, secrets *[]string) string {
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
