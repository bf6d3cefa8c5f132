package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/result"
)

func TestRecommendation(t *testing.T) {
	five := func() *result.Comparison { return fiveTargets(t) }
	tests := []struct {
		name string
		c    func() *result.Comparison
		sats func(c *result.Comparison) []*result.Saturation
		want string
	}{
		{"fewest processes wins", five, nil,
			"recommended: titan-1w, which passes every gate in 1 process with 46.0MiB; " +
				"titan-gunicorn-redis also passes, in 4 processes and with 3× the memory; " +
				"titan-split also passes, in 6 processes and with 4× the memory"},
		{"headroom when the capacity is known", five, func(c *result.Comparison) []*result.Saturation {
			s := saturation(t)
			s.Target = c.Results[0].Target
			return []*result.Saturation{s}
		}, "recommended: titan-1w, which passes every gate in 1 process with 46.0MiB, up to 32.5 req/s (49× today's 40/min); "},
		{"then the least memory", func() *result.Comparison {
			c := fiveTargets(t)
			// Without titan-1w, gunicorn (4 processes) and the split (6)
			// remain; give the split 4 serving processes and less memory.
			c = result.NewComparison(c.Results[1:])
			split := c.Results[3].Resources
			split.Processes = split.Processes[:4]
			split.RSSTotal = 100 << 20
			return c
		}, nil, "recommended: titan-split, which passes every gate in 4 processes with 100.0MiB; titan-gunicorn-redis also passes, with 1.4× the memory"},
		{"none passes", func() *result.Comparison {
			five := fiveTargets(t)
			return result.NewComparison([]*result.Result{five.Results[1], five.Results[3]}) // 2 workers, nginx sticky
		}, nil,
			"recommended: none — no target passes every gate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c()
			var sats []*result.Saturation
			if tc.sats != nil {
				sats = tc.sats(c)
			}
			got := Recommendation(c, sats)
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("Recommendation() =\n  %s\nwant it to start\n  %s", got, tc.want)
			}
		})
	}
}

func TestCountsInSentences(t *testing.T) {
	r := fixture(t)
	r.Gates = r.Gates[:1]
	r.Gates[0].Pass = true
	r.Pass = true
	c := result.NewComparison([]*result.Result{r})
	for _, got := range []string{Verdict(r), comparisonHeadline(c), comparisonVerdicts(c)[0]} {
		for _, bad := range []string{"1 targets", "all 1 gates", "1 gates"} {
			if strings.Contains(got, bad) {
				t.Errorf("%q says %q", got, bad)
			}
		}
	}
	if !strings.Contains(comparisonHeadline(c), "against 1 target ") || !strings.Contains(Verdict(r), "the one gate holds") {
		t.Errorf("headline %q / verdict %q: want 1 target and the one gate", comparisonHeadline(c), Verdict(r))
	}
}

// TestFirstNight checks that the first night says there is no baseline
// yet rather than claiming nothing regressed against earlier nights.
func TestFirstNight(t *testing.T) {
	n := nightly(t)
	var tonight []result.HistoryEntry
	for _, e := range n.Trend {
		if e.Date == n.Date {
			tonight = append(tonight, e)
		}
	}
	for _, tc := range []struct {
		name       string
		trend      []result.HistoryEntry
		want, lack string
	}{
		{"first night", tonight, "first night: no earlier night to compare with", "no regression against"},
		{"later night", n.Trend, "no regression against 2 earlier nights", "first night"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n.Trend, n.Regressions, n.Saturations = tc.trend, nil, nil
			n.Comparison = result.NewComparison(n.Comparison.Results[:1])
			n.Comparison.Results[0].Pass = true
			n.Comparison.Pass = true
			var b bytes.Buffer
			if err := Render(&b, n, FormatTable); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) || strings.Contains(b.String(), tc.lack) {
				t.Errorf("nightly report: want %q, not %q:\n%s", tc.want, tc.lack, b.String())
			}
		})
	}
}

// TestNoRequestsNoLatency checks that an endpoint that got no request
// shows dashes, not a measured 0.00 ms.
func TestNoRequestsNoLatency(t *testing.T) {
	r := fixture(t)
	r.HTTP.Endpoints[1] = record.EndpointSummary{Name: "homepage"}
	var row []string
	for _, rw := range httpTable(r).Rows {
		if rw[0] == "homepage" {
			row = rw
		}
	}
	if len(row) == 0 {
		t.Fatal("no homepage row")
	}
	header := httpTable(r).Header
	dashes := 0
	for i, c := range row {
		if strings.HasSuffix(header[i], " ms") || header[i] == "errors" {
			dashes++
			if c != "–" {
				t.Errorf("homepage %s = %q, want –", header[i], c)
			}
		}
	}
	if dashes != 6 {
		t.Errorf("%d latency and error columns, want 6: %v", dashes, header)
	}
}
