package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/golden"
	"github.com/loadcheck/loadcheck/internal/result"
)

// mergedFixture is the fixture as a result merged from 3 shards, the
// third of which fell behind.
func mergedFixture(t *testing.T) *result.Result {
	r := fixture(t)
	r.Shards = []result.ShardRun{
		{Index: 1, RunID: "20261123T100000Z-11111111", Host: "loadcheck-0", Status: result.Complete, Scheduled: 1000, Sent: 1000, Late: 0},
		{Index: 2, RunID: "20261123T100000Z-22222222", Host: "loadcheck-1", Status: result.Complete, Scheduled: 1000, Sent: 1000, Late: 2},
		{Index: 3, RunID: "20261123T100000Z-33333333", Host: "loadcheck-2", Status: result.Complete, Scheduled: 1000, Sent: 1000, Late: 180,
			StartedLate: 2300 * time.Millisecond},
	}
	return r
}

func TestMergedTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, mergedFixture(t), FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "merged.txt", b.Bytes())
}

// The HTML report of a merged result names the shards with their sent and
// late counts, as the text report does.
func TestMergedHTMLShowsShards(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, mergedFixture(t)); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"merged from 3 shards", "Shards: merged from 3", "loadcheck-2", ">180<", "18.00%", "shard 3 began 2.3s after the common start time"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}

func TestShardHeadline(t *testing.T) {
	r := fixture(t)
	r.Shard = &result.ShardInfo{Index: 2, Count: 4, Set: "0a1b2c3d"}
	if h := Headline(r); !strings.Contains(h, "shard 2/4 of set 0a1b2c3d: gates judged by loadcheck merge") {
		t.Errorf("Headline = %q, want it to say it is shard 2/4 and who judges", h)
	}
}
