package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A once feed that runs out stops its endpoint; the report says so and
// the result counts the arrivals not sent, apart from the generator's
// unsent ones.
func TestFeedOnceRunOutReported(t *testing.T) {
	url := server(t, ok)
	dir := scenarioFiles(t, url, `duration: 2s
http:
  load: {rate: 20/s}
  endpoints:
    - {name: claim, path: "/claim?token={{.token}}", feed: {token: [t1, t2, t3], order: once}}
    - {name: home, path: /}
gates: [http.errors < 1%]
`)
	out := t.TempDir()
	o := loadcheck(t, context.Background(), "run", filepath.Join(dir, "scenario.yaml"), "--quiet", "--out", out)
	if o.code != ExitPass {
		t.Fatalf("exit %d\n%s\n%s", o.code, o.stdout, o.stderr)
	}
	if want := "the feed of claim ran out (order: once, 3 rows): its 17 later arrivals were not sent"; !strings.Contains(o.stdout, want) {
		t.Errorf("report does not say %q:\n%s", want, o.stdout)
	}
	res := onlyResult(t, out)
	if g := res.Generator; g.FeedRanOut["claim"] != 17 || g.Unsent() != 0 {
		t.Errorf("result: feed_ran_out %v, unsent %d; want claim: 17 and none unsent", g.FeedRanOut, g.Unsent())
	}
	for _, e := range res.HTTP.Endpoints {
		if want := map[string]uint64{"claim": 3, "home": 20}[e.Name]; e.Requests != want {
			t.Errorf("%s: %d requests, want %d", e.Name, e.Requests, want)
		}
	}
}
