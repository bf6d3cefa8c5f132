package scenario

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

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

var columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

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
			if !slices.Contains(feedOrders, FeedOrder(s)) {
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
		case !columnName.MatchString(key):
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

// feedOrders are the orders a feed may name, the default first.
var feedOrders = []FeedOrder{OrderCycle, OrderRandom, OrderOnce}

// weightColumn names the column that holds each row's weight rather than
// a placeholder's values.
const weightColumn = "weight"

// build turns the feed as written into a Feed, reading its CSV file
// relative to dir. path is the feed's field path, for errors.
func (f *feedFile) build(p *yamlfile.Problems, dir, path string) *Feed {
	feed := &Feed{Order: FeedOrder(f.Order)}
	if feed.Order == "" {
		feed.Order = OrderCycle
	}
	if f.File == "" {
		feed.Columns = f.Columns
		rows := 0
		for _, v := range f.Values {
			rows = max(rows, len(v))
		}
		// Zip the columns; a shorter list cycles.
		for i := range rows {
			row := make([]string, len(f.Values))
			for c, v := range f.Values {
				row[c] = v[i%len(v)]
			}
			feed.Rows = append(feed.Rows, row)
		}
		if c := slices.Index(feed.Columns, weightColumn); c >= 0 {
			var err error
			feed.Columns, feed.Rows, feed.Weights, err = splitWeights(feed.Columns, feed.Rows, c, func(row int) string {
				return fmt.Sprintf("row %d", row+1)
			})
			if err != nil {
				p.At(yamlfile.Child(path, weightColumn), "%v", err)
				return nil
			}
		}
	} else {
		file := f.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		feed.File = file
		cols, rows, weights, err := readCSV(file)
		if err != nil {
			p.At(yamlfile.Child(path, "file"), "%v", err)
			return nil
		}
		feed.Columns, feed.Rows, feed.Weights = cols, rows, weights
	}
	if feed.Weights != nil && feed.Order == OrderOnce {
		p.At(yamlfile.Child(path, "order"), "once sends each row at most once, so the feed's weight column means nothing: drop the column, or draw by weight with order: random or cycle")
		return nil
	}
	feed.draw.cum = cumulative(feed.Weights)
	return feed
}

// readCSV reads a CSV file whose first row names the columns; a column
// named weight gives each row's weight.
func readCSV(file string) (cols []string, rows [][]string, weights []float64, err error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cannot read %s: %v — fix the path (relative to the scenario file) or create the file", file, yamlfile.WithoutPath(err))
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, nil, fmt.Errorf("%s is empty: want a header row naming the columns, then one row per request", file)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %v", file, err)
	}
	for i, c := range header {
		c = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
		if !columnName.MatchString(c) {
			return nil, nil, nil, fmt.Errorf("%s:1: column %q: want a header row of names of letters, digits and _", file, c)
		}
		if slices.Contains(header[:i], c) {
			return nil, nil, nil, fmt.Errorf("%s:1: column %q appears twice", file, c)
		}
		header[i] = c
	}
	wc := slices.Index(header, weightColumn)
	var lines []int // the line of each row, for errors in its weight
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// csv errors name the line and column already.
			return nil, nil, nil, fmt.Errorf("%s: %v", file, err)
		}
		rows = append(rows, rec)
		if wc >= 0 {
			line, _ := r.FieldPos(wc)
			lines = append(lines, line)
		}
	}
	if len(rows) == 0 {
		return nil, nil, nil, fmt.Errorf("%s has a header but no rows", file)
	}
	if wc < 0 {
		return header, rows, nil, nil
	}
	return splitWeights(header, rows, wc, func(row int) string { return fmt.Sprintf("%s:%d", file, lines[row]) })
}

// splitWeights takes column c, the weights, out of cols and rows. where
// names a row in errors.
func splitWeights(cols []string, rows [][]string, c int, where func(row int) string) ([]string, [][]string, []float64, error) {
	if len(cols) == 1 {
		return nil, nil, nil, fmt.Errorf("the feed has only a weight column: want a column of values besides it")
	}
	weights := make([]float64, len(rows))
	out := make([][]string, len(rows))
	for i, row := range rows {
		s := strings.TrimSpace(row[c])
		w, err := strconv.ParseFloat(s, 64)
		if err != nil || !(w > 0) || math.IsInf(w, 0) {
			return nil, nil, nil, fmt.Errorf("%s: weight %q: want a number above 0, how often the row is drawn relative to the others (e.g. the times a value was seen)", where(i), s)
		}
		weights[i] = w
		out[i] = slices.Delete(slices.Clone(row), c, c+1)
	}
	return slices.Delete(slices.Clone(cols), c, c+1), out, weights, nil
}

var placeholder = regexp.MustCompile(`\{\{(.*?)\}\}`)

// placeholders checks the {{.column}} placeholders of one templated value
// of an endpoint against its feed's columns.
func placeholders(p *yamlfile.Problems, path, value string, feed *Feed, feedWritten bool) {
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
		if !ok || !columnName.MatchString(name) {
			p.At(path, "placeholder %s: want {{.column}}, naming a column of the endpoint's feed", m[0])
			continue
		}
		switch {
		case feed == nil && feedWritten:
			// The feed has its own error already.
		case feed == nil:
			p.At(path, "placeholder %s names no feed column: add feed: {%s: [value, ...]} to the endpoint", m[0], name)
		case !slices.Contains(feed.Columns, name):
			hint := ""
			if c := yamlfile.Closest(name, feed.Columns); c != "" {
				hint = fmt.Sprintf(" — did you mean {{.%s}}?", c)
			}
			p.At(path, "placeholder %s names no column of the feed (columns: %s)%s", m[0], strings.Join(feed.Columns, ", "), hint)
		}
	}
}
