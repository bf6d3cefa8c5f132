package capacity

import (
	"context"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
	"github.com/loadcheck/loadcheck/internal/verdict"
)

// NightlyOptions configure a nightly run.
type NightlyOptions struct {
	// Options, and Saturate's Options when searching, are these.
	Options
	// Date names the night, YYYY-MM-DD; default Now's local date.
	Date string
	// History holds the earlier nights (read by the caller from
	// history.jsonl): the baseline of the regressions and the trend.
	History []result.HistoryEntry
	// Saturate runs a capacity search on every target after the compare,
	// with these options (their Options field is ignored).
	Saturate  bool
	Search    SaturateOptions
	Threshold result.Thresholds
}

// Nightly compares targets on sc, searches each one's capacity when asked,
// and flags regressions against o.History (verdict.Regressions with
// o.Threshold). It returns the night's report and record, the history
// lines the caller adds to its history file.
//
// A night cut short (ctx cancelled, a target that does not start) still
// returns its report, marked partial, with the error, but a nil record,
// so a broken night never becomes the baseline of later ones. Nightly
// writes no file: the caller keeps each run's result through o.Save and
// writes the report and the history.
func Nightly(ctx context.Context, sc *scenario.Scenario, targets []*scenario.Target, o NightlyOptions) (n *result.Nightly, record []result.HistoryEntry, err error) {
	date := o.Date
	if date == "" {
		date = o.now().Format("2006-01-02")
	}
	n = &result.Nightly{Schema: result.Schema, Kind: result.KindNightly, Date: date, Thresholds: o.thresholds(), Regressions: []result.Regression{}}
	runErr := o.measure(ctx, sc, targets, n)
	cmp := n.Comparison
	var tonight []result.HistoryEntry
	if cmp != nil {
		for _, r := range cmp.Results {
			tonight = append(tonight, result.HistoryEntryOf(date, r, n.Saturation(r.Target.Name)))
		}
	}
	complete := runErr == nil && cmp != nil && len(cmp.Results) == len(targets)
	history := o.History
	if complete {
		n.Regressions = append(n.Regressions, verdict.Regressions(history, tonight, n.Thresholds)...)
		history = result.MergeHistory(history, tonight)
		record = tonight
	} else {
		// The trend still shows tonight's partial figures; the history
		// does not keep them.
		history = append(history[:len(history):len(history)], tonight...)
	}
	if cmp != nil && len(cmp.Results) > 0 {
		n.Trend = result.Trend(history, cmp.Results[0].Scenario.Name, result.TrendNights)
	}
	n.Pass = complete && cmp.Pass && len(n.Regressions) == 0
	for _, s := range n.Saturations {
		n.Pass = n.Pass && s.Pass
	}
	return n, record, runErr
}

// measure runs the night's compare into n, then, when asked, a capacity
// search per target; it returns the error that cut the night short.
func (o NightlyOptions) measure(ctx context.Context, sc *scenario.Scenario, targets []*scenario.Target, n *result.Nightly) error {
	cmp, err := Compare(ctx, sc, targets, o.Options)
	n.Comparison = cmp
	if err != nil || !o.Saturate {
		return err
	}
	search := o.Search
	search.Options = o.Options
	for _, tg := range targets {
		if err := o.settle(ctx); err != nil {
			return err
		}
		s, err := Saturate(ctx, sc, tg, search)
		if s != nil {
			n.Saturations = append(n.Saturations, s)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// thresholds are o.Threshold with each zero field at its default.
func (o NightlyOptions) thresholds() result.Thresholds {
	th := o.Threshold
	def := result.DefaultThresholds()
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
	return th
}
