package report

import (
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/resource"
	"github.com/loadcheck/loadcheck/internal/result"
)

// spreadResult is a run measured from t0 for 4 s, with a sample before the
// measured phase (t0-1s) where worker 2 alone was busy.
func spreadResult(roles []string, perSecond ...[]float64) *result.Result {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := &resource.Summary{Start: t0.Add(-2 * time.Second)}
	for i, role := range roles {
		s.Processes = append(s.Processes, resource.Process{PID: 100 + i, Role: role})
	}
	pre := make([]float64, len(roles))
	pre[len(roles)-1] = 100
	s.Timeline = append(s.Timeline, resource.Sample{T: time.Second, PerProcess: pre})
	for i, p := range perSecond {
		s.Timeline = append(s.Timeline, resource.Sample{T: time.Duration(i+3) * time.Second, PerProcess: p})
	}
	return &result.Result{Start: t0, Elapsed: 4 * time.Second, Resources: s}
}

func TestSpread(t *testing.T) {
	tests := []struct {
		name     string
		r        *result.Result
		shares   []float64 // of each worker
		warnWith string    // "" for no warning
	}{
		{"even", spreadResult([]string{"master", "worker", "worker"}, []float64{1, 20, 20}, []float64{1, 30, 30}),
			[]float64{50, 50}, ""},
		{"one worker did it all", spreadResult([]string{"master", "worker", "worker"}, []float64{1, 40, 1}, []float64{1, 36, 3}),
			[]float64{95, 5}, "load did not spread: worker pid 101 did 95.0% of the CPU of 2 workers"},
		{"89 % is still a spread", spreadResult([]string{"worker", "worker"}, []float64{89, 11}),
			[]float64{89, 11}, ""},
		{"too little work to judge", spreadResult([]string{"worker", "worker"}, []float64{2, 0}, []float64{2, 0}),
			[]float64{100, 0}, ""},
		{"one worker", spreadResult([]string{"master", "worker"}, []float64{1, 50}), nil, ""},
		{"nginx and redis are not workers", spreadResult([]string{"nginx worker", "redis", "worker"}, []float64{20, 20, 50}), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Spread(tc.r)
			if len(got) != len(tc.shares) {
				t.Fatalf("Spread = %+v, want shares %v", got, tc.shares)
			}
			for i, w := range got {
				if d := w.Share - tc.shares[i]; d > 0.05 || d < -0.05 {
					t.Errorf("worker %d share %.2f%%, want %.1f%%", w.PID, w.Share, tc.shares[i])
				}
			}
			w := spreadWarning(tc.r)
			if (tc.warnWith == "") != (w == "") || !strings.HasPrefix(w, tc.warnWith) {
				t.Errorf("warning %q, want one starting %q", w, tc.warnWith)
			}
			if tc.warnWith != "" && !strings.Contains(Verdict(tc.r), "warning: "+tc.warnWith) {
				t.Errorf("the verdict does not carry the warning:\n%s", Verdict(tc.r))
			}
		})
	}
}
