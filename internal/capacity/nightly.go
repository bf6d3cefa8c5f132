package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// NightlyOptions configure a nightly run.
type NightlyOptions struct {
	// Options, and Saturate's Options when searching, are these.
	Options
	// Dir is the reports folder: the night's report goes to
	// Dir/nightly/YYYY-MM-DD/, the history to Dir/history.jsonl.
	Dir string
	// Date names the night, YYYY-MM-DD; default Now's local date.
	Date string
	// Saturate runs a capacity search on every target after the compare,
	// with these options (their Options field is ignored).
	Saturate  bool
	Search    SaturateOptions
	Threshold report.Thresholds
}

// NightlyFiles names what a nightly run wrote.
type NightlyFiles struct {
	Dir, JSON, Markdown, HTML, History string
}

// Nightly compares targets on sc, searches each one's capacity when asked,
// writes each run's result and then report.json, report.md and report.html
// into Dir/nightly/DATE/ (DATE.2/, DATE.3/… when the night already ran:
// an earlier run's files are measurements too, and are kept),
// adds one line per target to Dir/history.jsonl and flags regressions
// against earlier nights (report.Regressions with o.Threshold).
//
// A night cut short (ctx cancelled, a target that does not start) still
// writes its report, marked partial, but adds nothing to the history, so
// a broken night never becomes the baseline of later ones.
func Nightly(ctx context.Context, sc *scenario.Scenario, targets []*scenario.Target, o NightlyOptions) (*report.Nightly, NightlyFiles, error) {
	date := o.Date
	if date == "" {
		date = o.now().Format("2006-01-02")
	}
	files := NightlyFiles{History: filepath.Join(o.Dir, "history.jsonl")}
	var err error
	if files.Dir, err = nightFolder(filepath.Join(o.Dir, "nightly"), date); err != nil {
		return nil, files, fmt.Errorf("nightly: %v", err)
	}
	files.JSON = filepath.Join(files.Dir, "report.json")
	files.Markdown = filepath.Join(files.Dir, "report.md")
	files.HTML = filepath.Join(files.Dir, "report.html")
	if o.Out == "" {
		o.Out = files.Dir // each run's result as soon as it ends
	}
	th := o.Threshold
	def := report.DefaultThresholds()
	if th.P95Growth == 0 {
		th.P95Growth = def.P95Growth
	}
	if th.P95Floor == 0 {
		th.P95Floor = def.P95Floor
	}
	if th.CapacityDrop == 0 {
		th.CapacityDrop = def.CapacityDrop
	}
	if th.Baseline == 0 {
		th.Baseline = def.Baseline
	}
	n := &report.Nightly{Schema: report.Schema, Kind: report.KindNightly, Date: date, Thresholds: th, Regressions: []report.Regression{}}

	cmp, runErr := Compare(ctx, sc, targets, o.Options)
	n.Comparison = cmp
	if runErr == nil && o.Saturate {
		search := o.Search
		search.Options = o.Options
		for _, tg := range targets {
			if err := o.settle(ctx); err != nil {
				runErr = err
				break
			}
			s, err := Saturate(ctx, sc, tg, search)
			if s != nil {
				n.Saturations = append(n.Saturations, s)
			}
			if err != nil {
				runErr = err
				break
			}
		}
	}

	history, skipped, err := report.ReadHistory(files.History)
	if err != nil {
		return nil, files, fmt.Errorf("nightly: history: %v", err)
	}
	if skipped > 0 {
		o.logf("nightly: %s: %d lines that do not decode were skipped", files.History, skipped)
	}
	var tonight []report.HistoryEntry
	if cmp != nil {
		for _, r := range cmp.Results {
			var sat *report.Saturation
			for _, s := range n.Saturations {
				if s.Target.Name == r.Target.Name {
					sat = s
				}
			}
			tonight = append(tonight, report.HistoryEntryOf(date, r, sat))
		}
	}
	complete := runErr == nil && cmp != nil && len(cmp.Results) == len(targets)
	if complete {
		n.Regressions = append(n.Regressions, report.Regressions(history, tonight, th)...)
		if err := report.AppendHistory(files.History, tonight); err != nil {
			return nil, files, fmt.Errorf("nightly: history: %v", err)
		}
		history, _, err = report.ReadHistory(files.History)
		if err != nil {
			return nil, files, fmt.Errorf("nightly: history: %v", err)
		}
	} else {
		// The trend still shows tonight's partial figures; the file does
		// not keep them.
		history = append(history, tonight...)
	}
	if cmp != nil && len(cmp.Results) > 0 {
		n.Trend = report.Trend(history, cmp.Results[0].Scenario.Name, report.TrendNights)
	}
	n.Pass = complete && cmp.Pass && len(n.Regressions) == 0
	for _, s := range n.Saturations {
		n.Pass = n.Pass && s.Pass
	}

	werr := errors.Join(
		report.WriteFileAtomic(files.JSON, func(w io.Writer) error { return report.Render(w, n, report.FormatJSON) }),
		report.WriteFileAtomic(files.Markdown, func(w io.Writer) error { return report.Render(w, n, report.FormatMarkdown) }),
		report.WriteFileAtomic(files.HTML, func(w io.Writer) error { return report.Render(w, n, report.FormatHTML) }),
	)
	if runErr != nil {
		return n, files, runErr
	}
	if werr != nil {
		return n, files, fmt.Errorf("nightly: %v", werr)
	}
	return n, files, nil
}

// nightFolder creates and returns the night's folder under dir: DATE, or,
// when a night of that date already has one, the first free DATE.N
// (N = 2, 3…). Creating it claims it, so two nightlies started together
// never share one.
func nightFolder(dir, date string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for n := 1; n < 1000; n++ {
		name := date
		if n > 1 {
			name = fmt.Sprintf("%s.%d", date, n)
		}
		p := filepath.Join(dir, name)
		err := os.Mkdir(p, 0o755)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: 999 folders for %s already: remove some", dir, date)
}
