package derive

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkRead reads nginx combined lines with $request_time, a
// thousand distinct ids among them: the cost of a line, which decides
// how long a day of logs takes.
func BenchmarkRead(b *testing.B) {
	var log bytes.Buffer
	for i := range 10_000 {
		fmt.Fprintf(&log, `203.0.113.7 - - [01/Dec/2026:14:%02d:%02d +0000] "GET /api/customers/%d/history?page=%d HTTP/1.1" 200 612 "-" "Mozilla/5.0 (X11; Linux x86_64)" 0.%03d`+"\n",
			i/60%60, i%60, i%1000, i%7, i%1000)
	}
	data := log.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(context.Background(), []Input{{Name: "bench.log", R: bytes.NewReader(data)}}, 1000); err != nil {
			b.Fatal(err)
		}
	}
}
