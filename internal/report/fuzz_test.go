package report_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/loadcheck/loadcheck/internal/record"
	"github.com/loadcheck/loadcheck/internal/report"
	"github.com/loadcheck/loadcheck/internal/result"
)

// FuzzRead feeds arbitrary bytes to the result reader. No input may make
// Read, the renderers, Metric or the histogram decoder panic; a result Read
// accepts must survive Write and Read again unchanged. The seed corpus in
// testdata/fuzz/FuzzRead holds results of real runs (websocket, SSE,
// resources, a target that died) and broken variants.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"schema":1}`, `{"schema":2}`, `{"schema":0}`, `[]`, `null`,
		`{"schema":1,"http":{"total":{"latency":{"p50_ms":1e400}}}}`,
		`{"schema":1,"http":{"endpoints":[{"name":"a","requests":3,"latency_hdr":"HISTFAAAAB","timeline":[{"t_s":-1}]}]}}`,
		`{"schema":1,"status":"aborted","reason":"x","gates":[{}],"websocket":{"per_board":[{}]},"resources":{"processes":[{}]}}`,
	} {
		f.Add([]byte(s))
	}
	metrics := []string{"http.p50", "http.p95", "http.p99", "http.max", "http.rate", "http.errors", "http.late",
		"http.inflight.max", "ws.loss", "ws.dup", "ws.delivery.p95", "ws.connected", "sse.gap.max", "sse.connected",
		"cpu.sustained", "cpu.total", "rss.total", "rss.max_process", "target.ready_time", "http.x.p95", "http..p95"}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := result.Read(bytes.NewReader(data))
		if (r == nil) == (err == nil) {
			t.Fatalf("Read = %v, %v: want exactly one of a result and an error", r, err)
		}
		if err != nil {
			return
		}
		for _, format := range report.Formats() {
			_ = report.Render(io.Discard, r, format)
		}
		for _, m := range metrics {
			r.Metric(m)
		}
		for _, e := range append(r.HTTP.Endpoints, r.HTTP.Total) {
			r.Metric("http." + e.Name + ".p95")
			for _, h := range []string{e.LatencyHist, e.ServiceHist} {
				if h != "" {
					record.DecodeHistogram(h)
				}
			}
		}

		var first bytes.Buffer
		if err := r.Write(&first); err != nil {
			t.Fatalf("Write of a result Read accepted: %v", err)
		}
		again, err := result.Read(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("Read of what Write wrote: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := again.Write(&second); err != nil {
			t.Fatalf("second Write: %v", err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Errorf("Write, Read, Write changed the result:\nfirst:\n%s\nsecond:\n%s", first.Bytes(), second.Bytes())
		}
	})
}
