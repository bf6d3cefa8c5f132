package run

import (
	"testing"

	"github.com/loadcheck/loadcheck/internal/feed"
	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// An endpoint whose once feed ran out is named in the result's reason
// with its rows and the arrivals it did not send, and counted by name.
func TestFeedsRanOut(t *testing.T) {
	sc := &scenario.Scenario{HTTP: scenario.HTTP{Endpoints: []scenario.Endpoint{
		{Name: "home"},
		{Name: "claim", Feed: &feed.Feed{Rows: make([][]string, 5), Order: feed.Once}},
	}}}
	res := &result.Result{}
	got := feedsRanOut(res, sc, []uint64{0, 15})
	if len(got) != 1 || got["claim"] != 15 {
		t.Errorf("feedsRanOut = %v, want map[claim:15]", got)
	}
	if want := "the feed of claim ran out (order: once, 5 rows): its 15 later arrivals were not sent"; res.Reason != want {
		t.Errorf("reason %q, want %q", res.Reason, want)
	}
	if feedsRanOut(&result.Result{}, sc, []uint64{0, 0}) != nil {
		t.Error("feedsRanOut with no feed run out is not nil")
	}
}
