package capacity

import (
	"fmt"
	"math"
	"time"

	"github.com/loadcheck/loadcheck/internal/scenario"
)

// runGuess is how long one run of sc is expected to take before any has
// run: the warm-up, the measured phase, the grace period of the boards,
// the pause before it and a few seconds to start and stop the target.
func runGuess(sc *scenario.Scenario, settle time.Duration) time.Duration {
	d := sc.Warmup + sc.Duration + settle + 2*time.Second
	if sc.WebSocket != nil {
		d += sc.WebSocket.Grace
	}
	return d
}

// timeLeft estimates the time the runs left take: at the mean wall time
// of the runs done so far, or at guess before the first has run.
func timeLeft(elapsed time.Duration, done, left int, guess time.Duration) time.Duration {
	per := guess
	if done > 0 {
		per = elapsed / time.Duration(done)
	}
	return per * time.Duration(left)
}

// roughly rounds an estimate to what it is worth: seconds under a minute,
// ten seconds under ten minutes, minutes beyond.
func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 10*time.Minute:
		return d.Round(10 * time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// stepsLeft estimates how many steps a capacity search still runs,
// counting the one about to start, and whether that is an upper bound
// (ramping, when the failing rate is unknown) rather than an estimate
// (bisecting between a passing and a failing rate).
func (o SaturateOptions) stepsLeft(phase string, rate, lo, hi float64, done int) (n int, bound bool) {
	bisect := func(lo, hi float64) int {
		if lo <= 0 || hi <= lo {
			return 0
		}
		return max(0, int(math.Ceil(math.Log2((hi-lo)/(lo*o.Precision/100)))))
	}
	switch phase {
	case "bisect":
		n = max(1, bisect(lo, hi))
	case "back-off":
		n, bound = 6+bisect(1, o.Factor), true
	default: // ramp
		ramp := 1
		if rate > 0 && rate < o.Max {
			ramp += int(math.Ceil(math.Log(o.Max/rate) / math.Log(o.Factor)))
		}
		n, bound = ramp+bisect(1, o.Factor), true
	}
	return min(n, o.MaxSteps-done), bound
}

// stepLine is the log line of a capacity step about to start: "saturate
// step 7 of about 9 (bisect): 35 req/s for 20s — about 1m0s left".
func (o SaturateOptions) stepLine(phase string, rate, lo, hi float64, done int, elapsed, guess time.Duration) string {
	left, bound := o.stepsLeft(phase, rate, lo, hi, done)
	of, about := "about", "about"
	if bound {
		of, about = "at most", "at most"
	}
	return fmt.Sprintf("saturate step %d of %s %d (%s): %s req/s for %s — %s %s left",
		done+1, of, done+left, phase, num(rate), o.Hold, about, roughly(timeLeft(elapsed, done, left, guess)))
}
