package capacity

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/run"
)

// slowClock is a clock that each run of exec moves on by perRun, so the
// estimates of the time left can be checked against a known truth.
func slowClock(exec Executor, perRun time.Duration) (Executor, func() time.Time) {
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	return func(ctx context.Context, o run.Options) (*result.Result, error) {
		now = now.Add(perRun)
		return exec(ctx, o)
	}, func() time.Time { return now }
}

func TestCompareSaysWhereItIs(t *testing.T) {
	sc, tgs := load(t, modelScenario, "a", "b", "c")
	m := &model{capacity: map[string]float64{"a": 100, "b": 100, "c": 100}, service: 20 * time.Millisecond}
	exec, now := slowClock(m.execute, 90*time.Second)
	var log bytes.Buffer
	if _, err := Compare(context.Background(), sc, tgs, Options{Execute: exec, Now: now, Log: &log}); err != nil {
		t.Fatal(err)
	}
	// Before the first run: the scenario's 5 s, 2 s to start and stop, per
	// target; then the 90 s each run took.
	for _, want := range []string{"compare 1 of 3: a — about 21s left", "compare 2 of 3: b — about 3m0s left", "compare 3 of 3: c — about 1m30s left"} {
		if !strings.Contains(log.String(), want+"\n") {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestSaturateSaysWhereItIs(t *testing.T) {
	sc, tgs := load(t, modelScenario, "one")
	m := &model{capacity: map[string]float64{"one": 50}, service: 20 * time.Millisecond}
	exec, now := slowClock(m.execute, 30*time.Second)
	var log bytes.Buffer
	s, err := Saturate(context.Background(), sc, tgs[0], SaturateOptions{
		Options: Options{Execute: exec, Now: now, Log: &log}, Start: 10, Max: 80, Hold: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", log.String())
	lines := grepLines(log.String(), "saturate step ")
	// Ramping from 10/s to a ceiling of 80/s: 4 ramp steps at most, and
	// ceil(log2(1/10%)) = 4 to bisect one doubling to 10%.
	if want := "saturate step 1 of at most 8 (ramp): 10 req/s for 3s — at most "; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first step: %q, want %q…", lines[0], want)
	}
	var bisect []string
	for _, l := range lines {
		if strings.Contains(l, "(bisect)") {
			bisect = append(bisect, l)
		}
	}
	if len(bisect) == 0 {
		t.Fatalf("no bisection step in:\n%s", log.String())
	}
	// The last bisection step is the last step, and says so.
	last := bisect[len(bisect)-1]
	n := len(s.Steps)
	if want := "saturate step " + strconv.Itoa(n) + " of about " + strconv.Itoa(n) + " (bisect)"; !strings.HasPrefix(last, want) || !strings.HasSuffix(last, "about 30s left") {
		t.Errorf("last step: %q, want %q… about 30s left", last, want)
	}
}

func grepLines(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, " left") {
			out = append(out, l)
		}
	}
	return out
}
