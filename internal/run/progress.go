package run

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/scenario"
)

// The stages of a run that take a while before or after the live
// progress line — starting the target, connecting the boards, the grace
// period — each get a line of their own on o.Progress: the stage as it
// begins ("starting titan-4w … "), its outcome when it ends ("ready in
// 1.1 s"). Without o.Progress they print nothing.

// begin clears the live line and writes what starts now, leaving the line
// open for its outcome.
func (o Options) begin(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "\r\033[K"+format+" … ", args...)
	}
}

// end closes the line begin opened with the stage's outcome.
func (o Options) end(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// targetLabel names a target in progress lines as the comparison's
// columns do: its file's stem, else its name.
func targetLabel(tg *scenario.Target) string {
	if tg.File == "" {
		return tg.Name
	}
	b := filepath.Base(tg.File)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// p95Shown is the live line's p95: "–" until a request succeeded, never
// a 0 that reads as instant.
func p95Shown(e record.EndpointSummary) string {
	if e.Successes() == 0 {
		return "–"
	}
	return e.Latency.P95.Duration().Round(100 * time.Microsecond).String()
}

// seconds formats a short wait the way a person reads it: "1.1 s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}
