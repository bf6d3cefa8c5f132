package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The files report reads come from loadcheck, but a user may hand it
// anything: a scenario, a file cut short, another tool's JSON. Each is
// named for what it is, at its line and column, with what to do, before
// anything is rendered — a damaged file never reads PASS.

// required are the top-level fields every document of a kind has, in
// the order they are reported missing.
var required = map[string][]string{
	"":             {"schema", "run_id", "scenario", "target", "start", "elapsed_ns", "status", "http", "gates", "pass"},
	KindComparison: {"schema", "kind", "results", "pass"},
	KindSaturation: {"schema", "kind", "scenario", "target", "steps", "status", "pass"},
	KindNightly:    {"schema", "kind", "date", "comparison", "pass"},
}

// statuses are the ways a run may end, as a result file writes them.
var statuses = []Status{Complete, Interrupted, Aborted, Failed, Incomplete}

// jsonError words a JSON decoding error of b for a person: where it is
// (line:col) and what to do.
func jsonError(b []byte, err error) string {
	if t := bytes.TrimSpace(b); len(t) == 0 {
		return "1:1: the file is empty — use the result JSON run writes (reports/runs/<run-id>.json)"
	} else if t[0] != '{' {
		return "1:1: not JSON: report reads the result JSON run, compare, saturate and nightly write (reports/runs/<run-id>.json) — a scenario or target file is checked with loadcheck validate"
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &pe):
		line, col := position(b, int64(bytes.Index(b, []byte(strconv.Quote(pe.Value)))))
		return fmt.Sprintf("%d:%d: %q is not a time such as 2026-11-23T10:00:00Z: the file was edited or is not loadcheck's — use the file as run wrote it", line, col, pe.Value)
	case errors.As(err, &se) && se.Offset >= int64(len(b)):
		line, col := position(b, int64(len(b)))
		return fmt.Sprintf("%d:%d: the file ends early (cut off while written, or truncated): use the file of a finished run, or rerun", line, col)
	case errors.As(err, &se):
		line, col := position(b, se.Offset)
		return fmt.Sprintf("%d:%d: not valid JSON (%v): the file was edited or damaged — use the file as run wrote it, or rerun", line, col, se)
	case errors.As(err, &te):
		line, col := position(b, te.Offset)
		return fmt.Sprintf("%d:%d: field %s: want %s, got %s: not a file loadcheck wrote — use the file as run wrote it", line, col, te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// fieldAt is "line:col" of the first "key": in b, 1:1 when absent.
func fieldAt(b []byte, key string) string {
	line, col := position(b, int64(max(bytes.Index(b, []byte(strconv.Quote(key))), 0)))
	return fmt.Sprintf("%d:%d", line, col)
}

// position is the line and column (1-based, in bytes) of offset in b.
func position(b []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(b)))
	before := b[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// checkShape refuses a document of kind that lacks a field every such
// document has, or whose status is none loadcheck writes: a foreign or
// damaged JSON file is named as such rather than rendered as an empty
// run that passed.
func checkShape(b []byte, kind string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return errors.New(jsonError(b, err))
	}
	var missing []string
	for _, f := range required[kind] {
		if _, ok := top[f]; !ok {
			missing = append(missing, f)
		}
	}
	what := "a run's result"
	if kind != "" {
		what = "a " + kind + " report"
	}
	if len(missing) > 0 {
		return fmt.Errorf("1:1: not %s loadcheck wrote: no %s — use the file as run, compare, saturate or nightly wrote it (reports/runs/<run-id>.json)",
			what, strings.Join(missing, ", "))
	}
	if raw, ok := top["status"]; ok {
		var s Status
		if err := json.Unmarshal(raw, &s); err != nil || !slices.Contains(statuses, s) {
			line, col := position(b, int64(bytes.Index(b, raw)))
			return fmt.Errorf("%d:%d: status %s: want one of complete, interrupted, aborted, failed, incomplete — the file was edited or is not loadcheck's", line, col, raw)
		}
	}
	return nil
}
