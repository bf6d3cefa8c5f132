package feed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Zip makes the feed of inline columns, drawn in order: values[c] are the
// values of cols[c], and a shorter list cycles. A column named weight
// (WeightColumn) gives each row's weight.
func Zip(cols []string, values [][]string, order Order) (*Feed, error) {
	n := 0
	for _, v := range values {
		n = max(n, len(v))
	}
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = make([]string, len(values))
		for c, v := range values {
			rows[i][c] = v[i%len(v)]
		}
	}
	var weights []float64
	if c := slices.Index(cols, WeightColumn); c >= 0 {
		var err error
		cols, rows, weights, err = splitWeights(cols, rows, c, func(row int) string { return fmt.Sprintf("row %d", row+1) })
		if err != nil {
			return nil, err
		}
	}
	return newFeed(cols, rows, weights, order), nil
}

// ReadCSV reads a CSV file whose first row names the columns; a column
// named weight (WeightColumn) gives each row's weight. The feed is drawn
// in order. Its errors name the file, and the line where a row is wrong.
func ReadCSV(file string, order Order) (*Feed, error) {
	cols, rows, weights, err := readCSV(file)
	if err != nil {
		return nil, err
	}
	f := newFeed(cols, rows, weights, order)
	f.File = file
	return f, nil
}

func readCSV(file string) (cols []string, rows [][]string, weights []float64, err error) {
	fh, err := os.Open(file)
	if err != nil {
		// os.Open fails with a *PathError: Unwrap drops the path the message names.
		return nil, nil, nil, fmt.Errorf("cannot read %s: %v — fix the path (relative to the scenario file) or create the file", file, errors.Unwrap(err))
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
		if !ValidColumn(c) {
			return nil, nil, nil, fmt.Errorf("%s:1: column %q: want a header row of names of letters, digits and _", file, c)
		}
		if slices.Contains(header[:i], c) {
			return nil, nil, nil, fmt.Errorf("%s:1: column %q appears twice", file, c)
		}
		header[i] = c
	}
	wc := slices.Index(header, WeightColumn)
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
