package derive

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadcheck/loadcheck/internal/golden"
)

// derived reads one log and renders all a user sees: the summary, the
// scenario file and the feeds.
func derived(t *testing.T, name string, data []byte, o Options) string {
	t.Helper()
	tr, err := Read(context.Background(), []Input{{Name: name, R: bytes.NewReader(data)}}, o.FeedRows)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	d, err := Plan(tr, o)
	if err != nil {
		t.Fatalf("Plan(%s): %v", name, err)
	}
	var b bytes.Buffer
	if err := Summary(&b, tr, d); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n--- from-prod.yaml\n")
	b.Write(d.Scenario)
	for _, f := range d.Feeds {
		b.WriteString("\n--- " + f.Path + "\n")
		b.Write(f.Data)
	}
	return b.String()
}

// Each format reads into the summary, scenario and feeds of its golden
// file (refresh with -update); the same log gzip'd reads the same.
func TestFormatsGolden(t *testing.T) {
	logs, _ := filepath.Glob("testdata/logs/*.log")
	if len(logs) < 6 {
		t.Fatalf("%d logs in testdata/logs, want one of each format", len(logs))
	}
	o := Options{Out: "scenarios/from-prod.yaml", All: true, Growth: 10, FeedRows: 1000, Weights: true}
	for _, log := range logs {
		name := strings.TrimSuffix(filepath.Base(log), ".log")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			got := derived(t, log, data, o)
			golden.Check(t, name, []byte(got))
			var gz bytes.Buffer
			w := gzip.NewWriter(&gz)
			w.Write(data)
			w.Close()
			if zipped := derived(t, log, gz.Bytes(), o); strings.ReplaceAll(zipped, " (gzip)", "") != got {
				t.Errorf("derive %s gzip'd differs from the plain file:\n%s", log, zipped)
			}
		})
	}
}

// A line over MaxLine is skipped and counted, and the lines around it are
// read; a line of no known form is counted and shown with its file and
// line.
func TestReadSkipsLongAndUnreadableLines(t *testing.T) {
	ok := `127.0.0.1 - - [01/Dec/2026:14:03:21 +0000] "GET /a HTTP/1.1" 200 612 "-" "curl/8.5.0"` + "\n"
	log := ok + "GET /" + strings.Repeat("x", MaxLine) + "\n" + "not a request\n" + ok
	tr, err := Read(context.Background(), []Input{{Name: "a.log", R: strings.NewReader(log)}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	f := tr.Files[0]
	if f.Requests != 2 || f.TooLong != 1 || f.Unreadable != 1 || len(f.Shown) != 1 || f.Shown[0] != `a.log:3: "not a request"` {
		t.Errorf("read %+v; want 2 requests, 1 line too long, 1 unreadable shown as a.log:3", f)
	}
}

// Several files add up, each read in its own format.
func TestReadSeveralFiles(t *testing.T) {
	var inputs []Input
	for _, name := range []string{"testdata/logs/nginx-request-time.log", "testdata/logs/journal-short-iso.log"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, Input{Name: name, R: bytes.NewReader(data)})
	}
	tr, err := Read(context.Background(), inputs, 10)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Requests != 14 || tr.Files[0].Format == tr.Files[1].Format || tr.routes["GET /api/zeus/search?q={{.q}}"].count != 6 {
		t.Errorf("read %d requests in formats %q and %q; want 6 + 8 = 14 in two formats, 3 + 3 searches in one route",
			tr.Requests, tr.Files[0].Format, tr.Files[1].Format)
	}
}
