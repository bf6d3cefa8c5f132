package scenario

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// feedFile is an endpoint's feed as written: either inline columns
//
//	{term: [a, b, c], city: [x, y], order: random}
//
// or a CSV file with a header row
//
//	{file: data/phones.csv, order: cycle}
//
// In either, a column named weight holds each row's weight.
type feedFile struct {
	File    string
	Order   string
	Columns []string   // inline columns, in the order written
	Values  [][]string // Values[i] are the values of Columns[i]
}

var _ yaml.NodeUnmarshaler = (*feedFile)(nil)

func (f *feedFile) UnmarshalYAML(n ast.Node) error {
	m, ok := n.(ast.MapNode)
	if !ok {
		return fmt.Errorf("want lists of values, e.g. {term: [a, b]}, or a CSV file, e.g. {file: data/terms.csv}, got %s", yamlfile.Describe(n))
	}
	var errs []error
	bad := func(n ast.Node, sub, format string, args ...any) {
		errs = append(errs, &yamlfile.NodeError{Node: n, Sub: sub, Msg: fmt.Sprintf(format, args...)})
	}
	var fileKey ast.Node
	for it := m.MapRange(); it.Next(); {
		key, v := yamlfile.KeyText(it.Key()), it.Value()
		_, isList := v.(*ast.SequenceNode)
		switch {
		case key == "order":
			s, _ := yamlfile.ScalarText(v)
			if !slices.Contains(feed.Orders(), feed.Order(s)) {
				bad(v, key, "want cycle, random or once, got %s", yamlfile.Describe(v))
			}
			f.Order = s
		case key == "file" && !isList:
			s, ok := yamlfile.ScalarText(v)
			if !ok || s == "" {
				bad(v, key, "want the path of a CSV file, got %s", yamlfile.Describe(v))
			}
			f.File, fileKey = s, it.Key()
		case slices.Contains(f.Columns, key):
			bad(it.Key(), "", "column %q is set twice", key)
		case !feed.ValidColumn(key):
			bad(it.Key(), "", "column %q: want a name of letters, digits and _ usable as {{.%s}}", key, key)
		case !isList && yamlfile.Closest(key, []string{"order", "file"}) != "":
			// A typo of a feed's own key, not a column to make a list of.
			bad(it.Key(), "", "unknown key %q — did you mean %q? (every other key of a feed is a column, a list of values)", key, yamlfile.Closest(key, []string{"order", "file"}))
		case !isList:
			bad(v, yamlfile.Child("", key), "want a list of values, e.g. %s: [a, b], got %s", key, yamlfile.Describe(v))
		default:
			seq := v.(*ast.SequenceNode)
			if len(seq.Values) == 0 {
				bad(v, yamlfile.Child("", key), "the list is empty: give it one value or more, e.g. %s: [a, b]", key)
			}
			var vals []string
			for i, e := range seq.Values {
				s, ok := yamlfile.ScalarText(e)
				if !ok {
					bad(e, yamlfile.Index(yamlfile.Child("", key), i), "want a single value, got %s", yamlfile.Describe(e))
				}
				vals = append(vals, s)
			}
			f.Columns = append(f.Columns, key)
			f.Values = append(f.Values, vals)
		}
	}
	switch {
	case fileKey != nil && len(f.Columns) > 0:
		bad(fileKey, "", "a feed is either a CSV file or lists of values, not both — remove file or the lists")
	case fileKey == nil && len(f.Columns) == 0 && len(errs) == 0:
		bad(n, "", "empty feed: want lists of values, e.g. {term: [a, b]}, or a CSV file, e.g. {file: data/terms.csv}")
	}
	return errors.Join(errs...)
}

// build turns the feed as written into a Feed, reading its CSV file
// relative to dir. path is the feed's field path, for errors.
func (f *feedFile) build(p *yamlfile.Problems, dir, path string) *feed.Feed {
	order := feed.Order(f.Order)
	fd, err := feed.Zip(f.Columns, f.Values, order)
	at := yamlfile.Child(path, feed.WeightColumn)
	if f.File != "" {
		file := f.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		fd, err = feed.ReadCSV(file, order)
		at = yamlfile.Child(path, "file")
	}
	if err != nil {
		p.At(at, "%v", err)
		return nil
	}
	if fd.Weights != nil && fd.Order == feed.Once {
		p.At(yamlfile.Child(path, "order"), "once sends each row at most once, so the feed's weight column means nothing: drop the column, or draw by weight with order: random or cycle")
		return nil
	}
	return fd
}

var placeholder = regexp.MustCompile(`\{\{(.*?)\}\}`)

// placeholders checks the {{.column}} placeholders of one templated value
// of an endpoint against its feed's columns.
func placeholders(p *yamlfile.Problems, path, value string, fd *feed.Feed, feedWritten bool) {
	if !strings.Contains(value, "{{") {
		return
	}
	if _, err := template.New("").Option("missingkey=error").Parse(value); err != nil {
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, ": "); ok {
			msg = after // drop the template's "template: :1:" prefix
			if _, after, ok := strings.Cut(msg, ": "); ok {
				msg = after
			}
		}
		p.At(path, "bad placeholder: %s: want {{.column}}", msg)
		return
	}
	for _, m := range placeholder.FindAllStringSubmatch(value, -1) {
		inner := strings.TrimSpace(m[1])
		name, ok := strings.CutPrefix(inner, ".")
		if !ok || !feed.ValidColumn(name) {
			p.At(path, "placeholder %s: want {{.column}}, naming a column of the endpoint's feed", m[0])
			continue
		}
		switch {
		case fd == nil && feedWritten:
			// The feed has its own error already.
		case fd == nil:
			p.At(path, "placeholder %s names no feed column: add feed: {%s: [value, ...]} to the endpoint", m[0], name)
		case !slices.Contains(fd.Columns, name):
			hint := ""
			if c := yamlfile.Closest(name, fd.Columns); c != "" {
				hint = fmt.Sprintf(" — did you mean {{.%s}}?", c)
			}
			p.At(path, "placeholder %s names no column of the feed (columns: %s)%s", m[0], strings.Join(fd.Columns, ", "), hint)
		}
	}
}
